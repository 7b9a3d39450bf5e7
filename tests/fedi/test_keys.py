from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from fedi import keys


def test_generated_keys_are_rsa_2048_and_ed25519_and_sign() -> None:
    pair = keys.generate()
    rsa_private = keys.load_private(pair.rsa_private_pem)
    assert isinstance(rsa_private, rsa.RSAPrivateKey)
    assert rsa_private.key_size == 2048
    rsa_public = serialization.load_pem_public_key(pair.rsa_public_pem.encode())
    assert isinstance(rsa_public, rsa.RSAPublicKey)
    signature = rsa_private.sign(b"message", padding.PKCS1v15(), hashes.SHA256())
    rsa_public.verify(signature, b"message", padding.PKCS1v15(), hashes.SHA256())

    ed_private = keys.load_private(pair.ed25519_private_pem)
    assert isinstance(ed_private, ed25519.Ed25519PrivateKey)
    ed_public = keys.ed25519_from_multibase(pair.ed25519_public_multibase)
    ed_public.verify(ed_private.sign(b"message"), b"message")


def test_every_actor_gets_its_own_keys() -> None:
    first, second = keys.generate(), keys.generate()
    assert first.rsa_public_pem != second.rsa_public_pem
    assert first.ed25519_public_multibase != second.ed25519_public_multibase


def test_multibase_matches_fep_521a_example() -> None:
    # FEP-521a's example key: base58btc of 0xed01 + 32 bytes always starts with "z6Mk".
    pair = keys.generate()
    assert pair.ed25519_public_multibase.startswith("z6Mk")
    assert len(pair.ed25519_public_multibase) == 48


def test_base58_round_trip_keeps_leading_zeros() -> None:
    for data in (b"", b"\0", b"\0\0\x01", bytes(range(40))):
        assert keys.base58_decode(keys.base58_encode(data)) == data
    assert keys.base58_encode(b"hello world") == "StV1DL6CwTryKyV"


def test_bad_multibase_is_refused() -> None:
    import pytest

    with pytest.raises(keys.KeyFormatError):
        keys.ed25519_from_multibase("m" + "a" * 40)
    with pytest.raises(keys.KeyFormatError):
        keys.ed25519_from_multibase("z0OIl")
    with pytest.raises(keys.KeyFormatError):
        keys.ed25519_from_multibase("z" + keys.base58_encode(b"\x12\x00" + bytes(32)))
