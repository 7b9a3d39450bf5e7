"""Whether a browser is signed in, for the navigation bar of every page ("my account" or "sign in").

Read from the signed session cookie alone — a signature check, no database — by the :class:`Presence` middleware
and held for the request in a context variable that the page renderer reads. It is only a hint for the menu: a
cookie of a disabled account still shows "my account", whose page then asks to sign in; what a person may read or do
is always decided from the database (``AccountPages.signed_in``).

A page answered to a browser with a session may carry what is that person's alone (a form's CSRF token, a
members-only value, buttons for members): it is marked ``private``, so that no shared cache keeps it for others,
whatever the route said for the anonymous version of the same address.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.session import Cookies

_SIGNED_IN: ContextVar[bool] = ContextVar("chiffres_signed_in", default=False)


def signed_in() -> bool:
    return _SIGNED_IN.get()


class Presence:
    def __init__(self, app: ASGIApp, cookies: Cookies, clock: Callable[[], datetime]) -> None:
        self._app = app
        self._cookies = cookies
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        current = self._cookies.read(Request(scope), int(self._clock().timestamp()))
        token = _SIGNED_IN.set(current is not None and current.account_id is not None)

        async def private(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    if "no-store" not in headers.get("cache-control", ""):
                        headers["cache-control"] = "private, max-age=0"
                    headers.add_vary_header("Cookie")
            await send(message)

        try:
            await self._app(scope, receive, send if current is None else private)
        finally:
            _SIGNED_IN.reset(token)
