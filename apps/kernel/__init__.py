"""Pieces both services share: JWS algorithms, the gunicorn configuration, worker counts."""
