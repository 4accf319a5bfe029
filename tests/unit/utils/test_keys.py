import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.utils.keys import b64url, pem_private, pem_public, write_private_key

SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize(
    "key",
    [ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP256R1())],
    ids=["ed25519", "p256"],
)
def test_pem__both_halves_load_back_as_the_same_key(key):
    private = serialization.load_pem_private_key(pem_private(key), password=None)
    public = serialization.load_pem_public_key(pem_public(key).encode("ascii"))
    expected = key.public_key().public_bytes(*SPKI)
    assert private.public_key().public_bytes(*SPKI) == expected
    assert public.public_bytes(*SPKI) == expected


def test_write_private_key__mode_600_unless_told(tmp_path):
    key = ed25519.Ed25519PrivateKey.generate()
    default = write_private_key(tmp_path / "keys" / "a.pem", key)
    wide = write_private_key(tmp_path / "b.pem", key, mode=0o644)
    assert stat.S_IMODE(default.stat().st_mode) == 0o600
    assert stat.S_IMODE(wide.stat().st_mode) == 0o644
    assert default.read_bytes() == pem_private(key)


def test_write_private_key__replaces_a_longer_file(tmp_path):
    path = tmp_path / "k.pem"
    path.write_bytes(b"x" * 10_000)
    key = ed25519.Ed25519PrivateKey.generate()
    write_private_key(path, key)
    assert path.read_bytes() == pem_private(key)


def test_b64url__unpadded_url_alphabet():
    assert b64url(b"\xfb\xff") == "-_8"
    assert b64url(b"") == ""
