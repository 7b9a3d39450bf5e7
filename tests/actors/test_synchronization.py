from __future__ import annotations

import hashlib

from actors.synchronization import digest, header


def test_digest_is_the_xor_of_sha256_and_order_free() -> None:
    ids = ["https://a.example/users/1", "https://a.example/users/2"]
    first = int.from_bytes(hashlib.sha256(ids[0].encode()).digest(), "big")
    second = int.from_bytes(hashlib.sha256(ids[1].encode()).digest(), "big")
    assert digest(ids) == f"{first ^ second:064x}"
    assert digest(list(reversed(ids))) == digest(ids)
    assert digest([]) == "0" * 64
    assert digest(ids + ids) == "0" * 64


def test_header_format() -> None:
    value = header("https://h/actors/g/followers", "https://h/actors/g/followers_synchronization", [])
    assert value == (
        'collectionId="https://h/actors/g/followers", '
        'url="https://h/actors/g/followers_synchronization", digest="' + "0" * 64 + '"'
    )
