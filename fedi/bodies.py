"""Request bodies, read with a size cap.

Both the inbox and the JSON API take JSON from strangers; a body over its limit is refused while it streams in
(a lying or absent Content-Length changes nothing). What it holds is read by ``fedi.documents``, which refuses
what PostgreSQL would (NUL characters, unpaired surrogates, numbers beyond a float) as bad input, answered with
a 4xx, never a database error.
"""

from __future__ import annotations

from starlette.requests import Request


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
