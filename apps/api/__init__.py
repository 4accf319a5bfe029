"""The projects API: a tenant-scoped Flask service protected by bearer JWTs.

Build it with :func:`apps.api.app.create_app`; importing the package has no
side effects.
"""
