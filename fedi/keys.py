"""Key material of local actors: RSA-2048 for draft-cavage signatures, Ed25519 for FEP-521a and RFC 9421.

Generation is slow (tens of milliseconds for RSA), so keys are made once, with the actor, and stored as PEM;
parsed key objects are cached because parsing a PEM costs more than the signature it serves.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_PUB = b"\xed\x01"  # multicodec prefix of an Ed25519 public key


class KeyFormatError(ValueError):
    """A key document or multibase string is not what it claims to be."""


@dataclass(frozen=True)
class KeyPair:
    """The stored form of an actor's keys."""

    rsa_private_pem: str
    rsa_public_pem: str
    ed25519_private_pem: str
    ed25519_public_multibase: str


def generate() -> KeyPair:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    return KeyPair(
        rsa_private_pem=_private_pem(rsa_key),
        rsa_public_pem=rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        ed25519_private_pem=_private_pem(ed_key),
        ed25519_public_multibase=ed25519_multibase(ed_key.public_key()),
    )


def _private_pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@functools.lru_cache(maxsize=4096)
def load_private(pem: str) -> rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyFormatError("only RSA and Ed25519 private keys are used")
    return key


def ed25519_multibase(public_key: ed25519.Ed25519PublicKey) -> str:
    """FEP-521a's ``publicKeyMultibase``: 'z' + base58btc(0xed01 + raw key)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58_encode(_ED25519_PUB + raw)


def ed25519_from_multibase(value: str) -> ed25519.Ed25519PublicKey:
    if not value.startswith("z"):
        raise KeyFormatError("publicKeyMultibase must be base58btc ('z' prefix)")
    data = base58_decode(value[1:])
    if len(data) != 34 or not data.startswith(_ED25519_PUB):
        raise KeyFormatError("publicKeyMultibase is not an Ed25519 public key")
    return ed25519.Ed25519PublicKey.from_public_bytes(data[2:])


def base58_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = _B58[remainder] + encoded
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + encoded


def base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise KeyFormatError(f"not a base58 character: {char!r}")
        number = number * 58 + index
    leading = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading + body
