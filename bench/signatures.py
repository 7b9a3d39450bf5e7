"""How fast an inbox can verify draft-cavage POSTs, with parsed keys cached and with a PEM parse per call.

Run from the repository root: ``python -m bench.signatures [count]``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fedi.signatures import KeyCache, PublicKeyInfo, SignedRequest, sign_cavage, verify_request

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
INBOX = "https://chiffres.example/groups/loyers/inbox"
KEY_ID = "https://mastodon.example/users/alice#main-key"
BODY = b'{"type":"Like","actor":"https://mastodon.example/users/alice","object":"https://chiffres.example/f/1"}'


async def _rate(request: SignedRequest, pem: str, count: int, *, cached: bool) -> float:
    async def resolve(key_id: str, refresh: bool) -> PublicKeyInfo:
        return PublicKeyInfo("https://mastodon.example/users/alice", pem)

    shared = KeyCache()
    started = time.perf_counter()
    for _ in range(count):
        await verify_request(request, resolve, NOW, shared if cached else KeyCache())
    return count / (time.perf_counter() - started)


async def _run(count: int) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    headers = sign_cavage("POST", INBOX, key_id=KEY_ID, private_key=key, now=NOW, body=BODY)
    request = SignedRequest("POST", INBOX, headers, BODY)
    await _rate(request, pem, count // 10, cached=True)  # warm up
    cached = await _rate(request, pem, count, cached=True)
    parsed = await _rate(request, pem, count, cached=False)
    print(f"draft-cavage POST, RSA-2048, {count} verifications each")
    print(f"  cached key : {cached:8.0f} verifications/s")
    print(f"  PEM parsed : {parsed:8.0f} verifications/s")
    print(f"  ratio      : {cached / parsed:8.2f}x")


def main() -> None:
    asyncio.run(_run(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))


if __name__ == "__main__":
    main()
