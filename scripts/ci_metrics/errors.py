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
    """GitHub could not be reached, or refused the request."""

    exit_code = EXIT_GITHUB


class ReadOnlyToken(GitHubError):
    """The token may read but not write (for example on a pull request from a fork)."""


class RetryBudgetExceeded(GitHubError):
    """GitHub kept answering with rate limits or server errors past the time budget."""
