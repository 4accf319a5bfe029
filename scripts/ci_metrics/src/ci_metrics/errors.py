"""Typed failures, each mapped to the exit code the command line returns."""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_GITHUB = 3


class CiMetricsError(Exception):
    """Base class: a failure with a one-line message and an exit code."""

    exit_code = EXIT_BAD_INPUT


class InputError(CiMetricsError):
    """Missing, corrupt or malformed input (files, flags, settings)."""


class SettingsError(InputError):
    """Invalid ``[tool.ci_metrics]`` settings; the message lists every problem."""


class GitError(InputError):
    """``git`` failed or its output could not be read."""


class RegisterError(InputError):
    """The coverage exception register is malformed or names unknown modules."""


class GitHubError(CiMetricsError):
    """GitHub could not be reached, or refused the request (``status``: its HTTP status)."""

    exit_code = EXIT_GITHUB

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ReadOnlyToken(GitHubError):
    """A 403 that is not a rate limit: the token may not do this (e.g. write from a fork)."""


class RetriesExhausted(GitHubError):
    """GitHub kept failing transiently until the attempts or the time limit ran out."""


class WriteOutcomeUnknown(GitHubError):
    """A write was sent but its answer was lost or a 5xx: it may or may not have happened."""
