"""The auth layer's test configuration: its issuer, clients and secret, its TOML,
and the requests its clients send."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from apps.auth_service.client_auth import JWT_BEARER
from apps.kernel.jwk import public_jwk

ISSUER = "https://auth.example.test"
TOKEN_ENDPOINT = "https://auth.example.test/oauth/token"
API_AUDIENCE = "https://api.example.test"
CHEAP_ARGON2 = {"time_cost": 1, "memory_cost_kib": 8, "parallelism": 1}
BASIC_CLIENT = "svc-basic"
BASIC_SECRET = "correct horse battery staple"
JWT_CLIENT = "svc-jwt"
ES256_CLIENT = "svc-es256"
ES256_KID = "client-key-1"


def to_toml(data: dict[str, Any]) -> str:
    """Serialise a config mapping (scalars first, then tables, then arrays of tables)."""
    lines: list[str] = []
    for key, value in data.items():
        if not isinstance(value, dict) and not _is_table_array(value):
            lines.append(f"{key} = {_toml_value(value)}")
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"\n[{key}]")
            for sub_key, sub_value in value.items():
                if _is_table_array(sub_value):
                    continue
                lines.append(f"{sub_key} = {_toml_value(sub_value)}")
            for sub_key, sub_value in value.items():
                if _is_table_array(sub_value):
                    for table in sub_value:
                        lines.append(f"\n[[{key}.{sub_key}]]")
                        lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
    for key, value in data.items():
        if _is_table_array(value):
            for table in value:
                lines.append(f"\n[[{key}]]")
                lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
        )
    raise TypeError(type(value))


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def ec_public_jwk(key: ec.EllipticCurvePrivateKey, **extra: str) -> dict[str, str]:
    return {**public_jwk(key), **extra}


def basic_auth(client_id: str, secret: str) -> dict[str, str]:
    """The Authorization header of ``client_secret_basic``."""
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


def request_basic_token(client: FlaskClient, **form: str) -> TestResponse:
    """POST /oauth/token as BASIC_CLIENT with its secret: the client-credentials grant,
    ``form`` adding fields to it or replacing them."""
    return client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", **form},
        headers=basic_auth(BASIC_CLIENT, BASIC_SECRET),
    )


def assertion_form(assertion: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
        **extra,
    }
