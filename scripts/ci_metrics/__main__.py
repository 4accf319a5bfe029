"""``python -m scripts.ci_metrics``."""

import sys

from scripts.ci_metrics.cli import main

if __name__ == "__main__":
    sys.exit(main())
