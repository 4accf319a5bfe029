"""Coverage diffs and baseline metrics for pull requests, as one sticky comment.

The package is a small pipeline: ``collect`` turns coverage data and test results into
a snapshot, ``baseline`` folds snapshots into a rolling history, ``report`` compares a
snapshot with the baseline and the git diff, ``gate`` applies thresholds and ``post``
keeps one comment per pull request up to date. The folders are its stages:
``inputs`` reads, ``model`` compares and judges, ``render`` writes the text,
``github`` talks to GitHub, and ``verbs`` holds one module per verb, which
:mod:`ci_metrics.cli` wires to the command line.
"""
