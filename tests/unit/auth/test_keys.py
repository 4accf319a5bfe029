"""Signing keys: safe loading, RFC 7638 thumbprints, JWKS contents."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from apps.auth_service.keys import KeyFileError, KeySet, SigningKey, load_key_set, read_private_key
from apps.auth_service.settings import KeySettings, RetiredKeyFile
from tests.utils.keys import write_private_key


def test_signing_key__p256_gets_es256_and_stable_kid():
    key = ec.generate_private_key(ec.SECP256R1())
    first, second = SigningKey.from_private_key(key), SigningKey.from_private_key(key)
    assert first.alg == "ES256"
    assert first.kid == second.kid
    assert set(first.published_jwk()) == {"kty", "crv", "x", "y", "kid", "alg", "use"}


def test_signing_key__unsupported_key__refused():
    """A key of another curve cannot sign access tokens the API accepts."""
    with pytest.raises(KeyFileError, match=r"^a signing key must be Ed25519 or P-256 \(ES256\)$"):
        SigningKey.from_private_key(ec.generate_private_key(ec.SECP384R1()))


def test_signing_key__repr_has_no_private_material():
    key = ed25519.Ed25519PrivateKey.generate()
    signing_key = SigningKey.from_private_key(key)
    raw = key.private_bytes_raw().hex()
    assert raw not in repr(signing_key)
    assert "private_key" not in repr(signing_key)


@pytest.mark.parametrize("key", [ed25519.Ed25519PrivateKey, "p256"])
def test_read_private_key__accepts_owner_only_files(tmp_path, key):
    private = ec.generate_private_key(ec.SECP256R1()) if key == "p256" else key.generate()
    path = write_private_key(tmp_path / "k.pem", private)
    loaded = read_private_key(path)
    assert SigningKey.from_private_key(loaded).kid == SigningKey.from_private_key(private).kid


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_read_private_key__refuses_group_or_world_access(tmp_path, mode):
    private = ed25519.Ed25519PrivateKey.generate()
    path = write_private_key(tmp_path / "k.pem", private, mode=mode)
    with pytest.raises(KeyFileError, match="accessible by group or others") as caught:
        read_private_key(path)
    assert str(path) in str(caught.value)
    assert "PRIVATE KEY" not in str(caught.value)


def test_read_private_key__refuses_missing_file(tmp_path):
    with pytest.raises(KeyFileError, match=r"missing\.pem: cannot be read"):
        read_private_key(tmp_path / "missing.pem")


def test_read_private_key__refuses_symlink(tmp_path):
    target = write_private_key(tmp_path / "real.pem", ed25519.Ed25519PrivateKey.generate())
    link = tmp_path / "link.pem"
    link.symlink_to(target)
    with pytest.raises(KeyFileError, match="cannot be read"):
        read_private_key(link)


def test_read_private_key__refuses_directory(tmp_path):
    directory = tmp_path / "dir.pem"
    directory.mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match=r"dir\.pem: is not a regular file$"):
        read_private_key(directory)


@pytest.mark.parametrize(
    "content",
    [
        b"not a key at all",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        b"",
    ],
)
def test_read_private_key__refuses_malformed_pem(tmp_path, content):
    path = tmp_path / "bad.pem"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="not an unencrypted PEM private key") as caught:
        read_private_key(path)
    assert "AAAA" not in str(caught.value)


def test_read_private_key__refuses_encrypted_pem(tmp_path):
    key = ed25519.Ed25519PrivateKey.generate()
    path = tmp_path / "enc.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="unencrypted"):
        read_private_key(path)


def test_read_private_key__refuses_unsupported_curve(tmp_path):
    path = write_private_key(tmp_path / "p384.pem", ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(KeyFileError, match="Ed25519 or P-256"):
        read_private_key(path)


def test_read_private_key__refuses_huge_file(tmp_path):
    path = tmp_path / "huge.pem"
    path.write_bytes(b"-" * 20_000)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="too large"):
        read_private_key(path)


@pytest.mark.parametrize(("size", "loads"), [(16_384, True), (16_385, False)])
def test_read_private_key__up_to_16_kib(tmp_path, size, loads):
    """A PEM file with comments up to 16 KiB in all is read; one byte more is refused unread."""
    key = ed25519.Ed25519PrivateKey.generate()
    path = write_private_key(tmp_path / "k.pem", key)
    pem = path.read_bytes()
    path.write_bytes(pem + b"\n" * (size - len(pem)))
    assert path.stat().st_size == size
    if loads:
        loaded = read_private_key(path)
        assert SigningKey.from_private_key(loaded).kid == SigningKey.from_private_key(key).kid
    else:
        with pytest.raises(KeyFileError, match=r"k\.pem: is too large to be a PEM private key$"):
            read_private_key(path)


def test_load_key_set__loads_active_retired_and_upcoming(tmp_path):
    from datetime import UTC, datetime

    keys = {name: ed25519.Ed25519PrivateKey.generate() for name in ("a", "r", "u")}
    paths = {name: write_private_key(tmp_path / f"{name}.pem", key) for name, key in keys.items()}
    retired_at = datetime(2026, 1, 1, tzinfo=UTC)
    key_set = load_key_set(
        KeySettings(
            active=paths["a"],
            retired=(RetiredKeyFile(path=paths["r"], retired_at=retired_at),),
            upcoming=(paths["u"],),
        )
    )
    kids = {name: SigningKey.from_private_key(key).kid for name, key in keys.items()}
    assert key_set.active.kid == kids["a"]
    assert [(k.kid, k.retired_at) for k in key_set.retired] == [(kids["r"], retired_at)]
    assert [k.kid for k in key_set.upcoming] == [kids["u"]]
    published = {k["kid"] for k in key_set.jwks(retired_at.timestamp(), 600, 30)["keys"]}
    assert published == set(kids.values())


def test_key_set__jwks_lists_a_key_once():
    key = SigningKey.from_private_key(ed25519.Ed25519PrivateKey.generate())
    assert len(KeySet(active=key, upcoming=(key,)).jwks(0, 600, 30)["keys"]) == 1


def test_key_set__retired_key_without_time_is_not_published():
    active = SigningKey.from_private_key(ed25519.Ed25519PrivateKey.generate())
    retired = SigningKey.from_private_key(ed25519.Ed25519PrivateKey.generate())
    assert len(KeySet(active=active, retired=(retired,)).jwks(0, 600, 30)["keys"]) == 1
