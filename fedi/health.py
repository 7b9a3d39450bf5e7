"""What a load balancer and a process supervisor ask of an instance, and what everyone gets while its database
is away.

``/livez`` answers as long as the process serves HTTP at all; ``/readyz`` answers 200 only when the database does,
and its job queue with it (the table that every accepted activity's work goes through), so a balancer sends
traffic elsewhere meanwhile (``/healthz``, older, stays as it was: a query through the pool).
While the database is away every request that needs it gets 503 with a reason and ``Retry-After`` instead of a
500: peers retry a 503 later, and nothing accepted is lost, since an activity is answered 202 only once stored.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ExceptionHandler

from fedi.database import SUSPECT, UNAVAILABLE, Pool, is_unavailable
from fedi.queue import queries_on
from fedi.responses import json_response

logger = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds: about what the embedded server takes to come back after a crash
READY_TIMEOUT = 3.0


def routes(pool: Pool) -> list[Route]:
    async def live(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def ready(request: Request) -> Response:
        try:
            await asyncio.wait_for(_queue_answers(pool), READY_TIMEOUT)
        except TimeoutError:
            return _unavailable(f"database unavailable: no answer within {READY_TIMEOUT:g} s", plain=True)
        except (*UNAVAILABLE, *SUSPECT) as error:
            if not is_unavailable(error):
                raise
            return _unavailable("database unavailable", plain=True)  # the log says why; strangers need not know
        except asyncpg.PostgresError as error:
            logger.warning("readyz: the job queue does not answer: %s", error)
            return _unavailable("queue unavailable", plain=True)
        return PlainTextResponse("ready")

    return [Route("/livez", live), Route("/readyz", ready)]


async def _queue_answers(pool: Pool) -> None:
    """One round trip that needs both the database and the queue's table (missing, or locked by an upgrade)."""
    async with pool.acquire() as connection:
        table = queries_on(connection).qbe.qualified.queue_table
        await connection.fetchval(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1) AS queue")


async def database_unavailable(request: Request, error: Exception) -> Response:
    """503 for an error that says the database is away; anything else is a bug and stays a 500."""
    if not is_unavailable(error):
        raise error
    # The supervisor logs the outage once; a line per request would bury it.
    logger.debug("%s %s: database unavailable: %s", request.method, request.url.path, error)
    return _unavailable("database unavailable, try again shortly")


def exception_handlers() -> dict[type[Exception], ExceptionHandler]:
    """The handlers to give Starlette: one per class that may mean "database away"."""
    return dict.fromkeys((*UNAVAILABLE, *SUSPECT), database_unavailable)


def _unavailable(reason: str, *, plain: bool = False) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"}
    if plain:
        return PlainTextResponse(reason, status_code=503, headers=headers)
    return json_response({"error": reason, "status": 503}, status=503, headers=headers)
