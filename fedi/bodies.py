"""Request bodies, read with a size cap.

Both the inbox and the JSON API take JSON from strangers; a body over its limit is refused while it streams in
(a lying or absent Content-Length changes nothing). What it holds is read by ``fedi.documents``, which refuses
what PostgreSQL would (NUL characters, unpaired surrogates, numbers beyond a float) as bad input, answered with
a 4xx, never a database error.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive


class BodyTooLarge(Exception):
    """The body is over the limit it was read with."""


async def read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_capped(receive: Receive, limit: int, declared: str | None) -> bytes:
    """The body of a request read from its ASGI messages, refused past ``limit`` as :func:`read_capped` refuses it.

    For a caller that reads the body once and keeps it (the inbox): Starlette's stream, which remembers what it read
    for later readers, cost 1.8 µs of every inbox POST. ``declared`` is the request's Content-Length, if any.
    """
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        if message["type"] != "http.request":
            continue
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
