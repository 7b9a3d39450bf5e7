"""The Starlette application: the one place where every package's routes meet.

Only this module and ``fedi/cli.py`` import ``actors``, ``inbox`` and ``web``; everything else in ``fedi`` is the
protocol and platform those packages stand on.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from actors import routes as actor_routes
from actors import store
from fedi.instance import Instance
from fedi.negotiation import wants_activity_json
from fedi.queue import Handler
from fedi.responses import problem
from web.pages import Pages

logger = logging.getLogger(__name__)


def build_app(instance: Instance) -> Starlette:
    pages = Pages(instance.urls, instance.settings.language)

    async def home(request: Request) -> Response:
        return HTMLResponse(pages.home(await store.listing(instance.pool)))

    async def health(request: Request) -> Response:
        await instance.pool.fetchval("SELECT 1")
        return PlainTextResponse("ok")

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if wants_activity_json(request.headers.get("accept")):
            return problem(error.status_code, str(error.detail))
        return HTMLResponse(pages.error(error.status_code, str(error.detail)), status_code=error.status_code)

    routes = [
        Route("/", home),
        Route("/healthz", health),
        *actor_routes.routes(instance, pages.actor),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})


def job_handlers(instance: Instance) -> dict[str, Handler]:
    """Background job handlers of every package, by entrypoint name."""
    return {}
