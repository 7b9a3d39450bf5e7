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
    """The request's body, read once from its ASGI messages (Starlette's stream, which keeps what it read for later
    readers, cost 1.8 µs of every inbox POST; neither the inbox nor the API reads a body twice)."""
    return await receive_capped(request.receive, limit, request.headers.get("content-length"))


async def receive_capped(receive: Receive, limit: int, declared: str | None) -> bytes:
    """A body read from its ASGI messages, refused past ``limit`` while it streams in. ``declared`` is the request's
    Content-Length, if any: a value over the limit is refused before anything is read, and any other is ignored (a
    lying or absent one changes nothing)."""
    if declared is not None and _over(declared, limit):
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


def _over(declared: str, limit: int) -> bool:
    """Whether a Content-Length says more than ``limit``: ASCII digits only (``"²".isdigit()`` is true, and ``int``
    refuses it), and a number too long to convert (``int`` refuses 4,301 digits) is over any limit."""
    text = declared.strip()
    if not (text.isascii() and text.isdigit()):
        return False
    return len(text.lstrip("0")) > len(str(limit)) or int(text) > limit
