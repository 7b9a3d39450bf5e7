"""A middleware that refuses NUL characters in a request's path or query before any handler sees them.

PostgreSQL text can hold no NUL, so a path such as ``/objects/%00`` would otherwise fail in the database the
moment a handler looks it up. Refusing them at the door answers 400 with a reason instead of a 500, for every
route at once. :func:`has_nul` and :func:`refuse` are the same check and answer for a door that bypasses the
middleware (``inbox.entrance``).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

_BODY = json.dumps({"error": "NUL characters are not accepted in a path or query", "status": 400}).encode()


class RejectNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and has_nul(scope):
            await refuse(send)
            return
        await self.app(scope, receive, send)


def has_nul(scope: Scope) -> bool:
    raw = (scope.get("raw_path") or b"") + b"?" + (scope.get("query_string") or b"")
    return b"%00" in raw or b"\x00" in raw or "\x00" in scope.get("path", "")


async def refuse(send: Send) -> None:
    """The 400 answered to a request whose path or query holds a NUL."""
    await send({"type": "http.response.start", "status": 400, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": _BODY})
