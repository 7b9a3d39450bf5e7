"""Request bodies: read with a size cap, and checked for what PostgreSQL cannot store.

Both the inbox and the JSON API take JSON from strangers; a body over its limit is refused while it streams in
(a lying or absent Content-Length changes nothing), and text PostgreSQL would reject (NUL characters, unpaired
surrogates that JSON can escape) is bad input, answered with a 4xx, never a database error.
"""

from __future__ import annotations

import json

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


def unstorable(value: object) -> str | None:
    """Why a parsed JSON value cannot be stored in PostgreSQL, or None."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "it holds an unpaired surrogate escape"
    except (TypeError, ValueError):
        pass
    return "it holds a NUL character" if _has_nul(value) else None


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False
