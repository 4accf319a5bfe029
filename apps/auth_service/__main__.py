"""``python -m apps.auth_service``: the operator commands in ``apps.auth_service.cli``."""

import sys

from apps.auth_service.cli import main

if __name__ == "__main__":
    sys.exit(main())
