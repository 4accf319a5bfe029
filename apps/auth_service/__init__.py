"""OAuth 2.0 client-credentials token service.

``create_app(settings=None, *, clock=..., ...)`` (:mod:`apps.auth_service.app`)
builds the Flask app; nothing happens at import time. Under gunicorn:
``gunicorn -c apps/auth_service/gunicorn_conf.py 'apps.auth_service:create_app()'``
with ``AUTH_SERVICE_CONFIG`` naming the TOML configuration.
"""

from __future__ import annotations

from apps.auth_service.app import create_app
from apps.auth_service.keys import KeyFileError

__all__ = ["KeyFileError", "create_app"]
