"""A middleware that sends ``PATH/`` to ``PATH`` (and back) on the configured base, never on the request's.

Takahē rewrites our hashtag links to ``…/tags/NAME/`` and Mastodon.py probes ``/api/v1/instance/``, so the other
form of a served path must lead to it. Starlette's own ``redirect_slashes`` builds the ``Location`` from the
request's scheme and host: behind a TLS proxy that sends no ``X-Forwarded-Proto`` it sent https visitors to http,
and a forged ``Host`` would pick the target. Here the target is the instance's base (:attr:`fedi.urls.Urls.base`),
the application is built with ``redirect_slashes`` off, and a redirect is sent only when the path as asked is
served by no route and its other form is.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send


class TrailingSlashes:
    def __init__(self, app: ASGIApp, *, base: str, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.base = base.rstrip("/")
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self._other_form(scope) if scope["type"] == "http" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string") or b""
        location = (self.base + target + ("?" + query.decode("latin-1") if query else "")).encode("latin-1")
        # 307 keeps the method and body, as Starlette's redirect did; only its target changes.
        await send({"type": "http.response.start", "status": 307, "headers": [(b"location", location)]})
        await send({"type": "http.response.body", "body": b""})

    def _other_form(self, scope: Scope) -> str | None:
        """The raw path to redirect to, or None when the path is served as asked (or in neither form)."""
        path: str = scope["path"]
        raw = (scope.get("raw_path") or path.encode()).decode("latin-1")
        if path == "/" or self._served(scope, path):
            return None
        if path.endswith("/"):
            other, raw_other = path.rstrip("/"), raw.rstrip("/")
        else:
            other, raw_other = path + "/", raw + "/"
        if not other or raw_other == raw or not self._served(scope, other):
            return None
        return raw_other

    def _served(self, scope: Scope, path: str) -> bool:
        probe = {**scope, "path": path}
        return any(route.matches(probe)[0] is not Match.NONE for route in self.routes)
