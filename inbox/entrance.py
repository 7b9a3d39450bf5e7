"""The door of the inbox: POSTs to an inbox skip the middleware that serves people, not servers.

A busy instance receives far more activities than page views, and every middleware a request crosses costs it
time: the page language, the signed-in presence cookie and the trailing-slash redirects have nothing to do with
an activity POSTed by a server. Placed after the access log and the request metrics, which count every request,
:class:`Entrance` hands those POSTs to an application of their own (the inbox routes, with their own NUL guard
and database-outage answers) and everything else to the rest of the stack.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send


class Entrance:
    def __init__(self, app: ASGIApp, *, inbox: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.inbox = inbox
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and self._delivery(scope):
            await self.inbox(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _delivery(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] is Match.FULL for route in self.routes)
