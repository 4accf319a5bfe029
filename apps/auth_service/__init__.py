"""The OAuth 2.0 client-credentials token service.

Build it with :func:`apps.auth_service.app.create_app`; importing the package
has no side effects. Operator commands: ``python -m apps.auth_service``.
"""
