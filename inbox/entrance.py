"""The door of the inbox: POSTs to an inbox are served here, past the middleware and routing that serve people.

A busy instance receives far more activities than page views, and every layer a request crosses costs it time:
the page language, the signed-in presence cookie and the trailing-slash redirects have nothing to do with an
activity POSTed by a server, and Starlette's router, exception middleware and request wrappers cost more per
request than the few things they do for an inbox. Placed after the access log and the request metrics, which
count every request, :class:`Entrance` matches the inbox routes itself (leaving the matched route on the scope,
as Starlette's router does, for the metrics) and answers what those layers would have answered: 400 for a NUL in
the path or query (``fedi.guard``), 503 while the database is away (``fedi.health``), and a plain 500 for a bug,
which is raised again for the server to log. Everything else goes to the rest of the stack.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from fedi import guard, health
from fedi.database import SUSPECT, UNAVAILABLE

_AWAY: tuple[type[Exception], ...] = (*UNAVAILABLE, *SUSPECT)


class Entrance:
    def __init__(self, app: ASGIApp, *, routes: Sequence[Route]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            for route in self.routes:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    scope["route"] = route
                    scope.update(child)
                    await self._serve(route, scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(self, route: Route, scope: Scope, receive: Receive, send: Send) -> None:
        if guard.has_nul(scope):
            await guard.refuse(send)
            return
        request = Request(scope, receive)
        try:
            try:
                response: Response = await route.endpoint(request)
            except _AWAY as error:
                response = await health.database_unavailable(request, error)  # raises again when it is no outage
        except Exception:
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise
        await response(scope, receive, send)
