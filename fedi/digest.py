"""Body digests: the draft-cavage ``Digest`` header and RFC 9530 ``Content-Digest``.

A signature covers the digest header, not the body, so a signature is worth nothing until the digest has
been checked against the bytes actually received. This module only reads and writes the two formats;
what a missing or wrong digest means for a request is decided in ``fedi.signatures``.

Malformed input raises ``ValueError`` with a sentence fit to be shown to the sender.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping

from fedi.rfc9421 import parse_dictionary, serialize_dictionary

# Names are lower case: draft-cavage peers send both ``SHA-256`` (Mastodon) and ``sha-256`` (bovine).
# The constructors themselves: ``hashlib.new(name)`` looks the name up in Python on every call.
_HASHES = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def digest_header(body: bytes) -> str:
    """The ``Digest`` value we send: upper-case algorithm, because some servers reject ``sha-256=``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes, algorithm: str = "sha-256") -> str:
    """The RFC 9530 ``Content-Digest`` value for ``body``."""
    return serialize_dictionary({algorithm: _HASHES[algorithm](body).digest()})


def parse_digest(value: str) -> dict[str, bytes]:
    """Read a ``Digest`` header (``SHA-256=<base64>[, …]``) into lower-case algorithm → raw digest."""
    digests: dict[str, bytes] = {}
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        if not sep or not name:
            raise ValueError(f"Digest header is malformed: {value!r}")
        try:
            digests[name.lower()] = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            raise ValueError(f"Digest value for {name} is not valid base64") from None
    return digests


def parse_content_digest(value: str) -> dict[str, bytes]:
    """Read an RFC 9530 ``Content-Digest`` (a structured dictionary of byte sequences)."""
    digests: dict[str, bytes] = {}
    for name, (item, _params) in parse_dictionary(value).items():
        if not isinstance(item, bytes):
            raise ValueError(f"Content-Digest member {name} is not a byte sequence")
        digests[name] = item
    return digests


def body_matches(digests: Mapping[str, bytes], body: bytes) -> bool | None:
    """Whether every digest we know how to compute matches ``body``; ``None`` if we know none of them.

    Every known algorithm is checked, not just one, so that a sender cannot pair a correct SHA-256 with
    a forged SHA-512 and have us look only at the one we like.
    """
    known = [name for name in digests if name in _HASHES]
    if not known:
        return None
    for name in known:
        expected = _HASHES[name](body).digest()
        if len(digests[name]) != len(expected):
            raise ValueError(f"{name} digest has {len(digests[name])} bytes, expected {len(expected)}")
        if digests[name] != expected:
            return False
    return True
