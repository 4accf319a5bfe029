"""The claims of an RFC 7523 client assertion, as the token service's clients sign them.

    token = jwt.encode(assertion_claims(CLIENT, TOKEN_ENDPOINT, now), key, algorithm="EdDSA")

For the auth layer, the integration stack and the benchmarks, so each client
states the same claims; a test that needs other claims changes the dict.
"""

from __future__ import annotations

import uuid
from typing import Any


def assertion_claims(client_id: str, audience: str, now: int, lifetime: int = 60) -> dict[str, Any]:
    """``iss`` and ``sub`` the client, ``aud`` the token endpoint, issued at ``now`` (epoch
    seconds), expiring ``lifetime`` seconds later, under a fresh ``jti``."""
    return {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
