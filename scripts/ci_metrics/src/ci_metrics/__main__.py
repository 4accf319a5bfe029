"""``python -m ci_metrics``."""

import sys

from ci_metrics.cli import main

if __name__ == "__main__":
    sys.exit(main())
