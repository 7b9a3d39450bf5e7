"""The Starlette application and the job handlers: the one place where every package meets.

Only this module and the command line (``fedi/cli/``) import ``actors``, ``inbox`` and ``web``; everything else in
``fedi`` is the protocol and platform those packages stand on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from actors import api as figures_api
from actors import routes as actor_routes
from actors import store
from actors.consensus import CONSENSUS, ConsensusJob, Periodic
from actors.outbox import FANOUT, FanOut
from actors.peers import Sharing
from actors.publication import Publisher
from actors.signers import Signers
from actors.synchronization import Synchronization
from fedi import urls
from fedi.addresses import AddressGuard
from fedi.delivery import DELIVER, Deliverer
from fedi.fetch import Fetcher, default_client
from fedi.guard import RejectNul
from fedi.instance import Instance
from fedi.negotiation import wants_activity_json
from fedi.queue import Handler, Loop
from fedi.responses import json_response, problem
from fedi.signatures import KeyCache, SignatureError, SignedRequest, verify_request
from figures.numbers import Lang
from inbox.drain import Drain
from inbox.endpoint import PROCESS, InboxEndpoint, signed_url
from inbox.handlers import HANDLERS
from inbox.processor import Processor
from inbox.remote import RemoteActors
from schemas import chiffres_context
from web.charter import charter
from web.pages import Pages

logger = logging.getLogger(__name__)


@dataclass
class Federation:
    """The outbound side of an instance: its HTTP client, fetcher, signers, remote actor cache and key cache."""

    instance: Instance
    client: httpx.AsyncClient
    fetcher: Fetcher
    signers: Signers
    remote: RemoteActors
    keys: KeyCache

    async def close(self) -> None:
        await self.client.aclose()


def federation(instance: Instance, client: httpx.AsyncClient | None = None) -> Federation:
    settings = instance.settings
    guard = AddressGuard(settings.allowed_private_addresses, allow_private=settings.dev)
    opened = client or default_client()
    fetcher = Fetcher(opened, guard, instance.clock)
    signers = Signers(instance.pool, instance.urls)
    remote = RemoteActors(instance.pool, fetcher, instance.urls, signers.instance, instance.clock)
    return Federation(instance, opened, fetcher, signers, remote, KeyCache())


def build_app(fed: Federation) -> Starlette:
    instance = fed.instance
    pages = Pages(instance.urls, instance.settings.language)
    inbox = InboxEndpoint(instance, fed.remote, fed.keys)

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

    async def signed_by(request: Request) -> str | None:
        """The actor that signed a GET, or None for an unsigned or unverifiable one."""
        if "signature" not in request.headers and "signature-input" not in request.headers:
            return None
        url = signed_url(request, instance.urls.base)
        try:
            verified = await verify_request(
                SignedRequest("GET", url, dict(request.headers)), fed.remote.resolve_key, instance.clock(), fed.keys
            )
        except SignatureError:
            return None
        return verified.owner

    async def namespace(request: Request) -> Response:
        """Our JSON-LD context, for readers who want it; documents we send inline it and never point here."""
        return json_response(
            {"@context": chiffres_context()},
            media_type="application/ld+json",
            headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=86400, public"},
        )

    async def charter_page(request: Request) -> Response:
        title, paragraphs = charter(instance.settings.data_dir, instance.settings.language)
        if wants_activity_json(request.headers.get("accept")) and "html" not in request.headers.get("accept", ""):
            return json_response({"title": title, "paragraphs": paragraphs})
        return HTMLResponse(pages.charter(title, paragraphs))

    async def tag_page(request: Request) -> Response:
        """Public figures with a hashtag: where the hashtag links in our notes lead."""
        tag = request.path_params["tag"].lower()
        rows = await instance.pool.fetch(
            "SELECT uri, wire, measures, place_name, period FROM figures WHERE $1 = ANY(tags)"
            " AND audience = 'public' AND deleted_at IS NULL ORDER BY published DESC LIMIT 100",
            tag,
        )
        figures = [
            {
                "url": row["uri"],
                "value": f"{row['wire']['value']} {row['wire']['unit'].get('display', '')}",
                "measures": row["measures"],
                "place": row["place_name"] or "",
                "period": row["period"] or "",
            }
            for row in rows
        ]
        return HTMLResponse(pages.tag(tag, figures))

    routes = [
        Route("/", home),
        Route(urls.CHARTER, charter_page),
        Route("/tags/{tag}", tag_page),
        Route(urls.NAMESPACE, namespace),
        Route("/healthz", health),
        Route(urls.SHARED_INBOX, inbox.handle, methods=["POST"]),
        Route(urls.INBOX, inbox.handle, methods=["POST"]),
        Route(urls.INSTANCE_INBOX, inbox.handle, methods=["POST"]),
        *actor_routes.routes(instance, pages.actor, signed_by, pages.note),
        *figures_api.routes(instance, signed_by),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error}, middleware=[Middleware(RejectNul)])


def job_handlers(fed: Federation) -> dict[str, Handler]:
    """Background job handlers of every package, by entrypoint name."""
    instance = fed.instance
    language: Lang = "en" if instance.settings.language == "en" else "fr"
    return {
        PROCESS: Processor(instance, fed.remote, HANDLERS),
        FANOUT: FanOut(instance.pool, instance.urls),
        CONSENSUS: ConsensusJob(
            instance.pool,
            instance.urls,
            instance.clock,
            Publisher(instance.pool, instance.urls, instance.clock, language),
            Sharing(instance.pool, instance.urls, instance.clock),
        ),
        DELIVER: Deliverer(
            instance.pool,
            fed.fetcher,
            fed.signers.for_actor,
            instance.clock,
            Synchronization(instance.pool, instance.urls),
        ),
    }


def worker_loops(fed: Federation) -> list[Loop]:
    """Loops the worker runs beside the queue: the inbox drain and the periodic batch recomputation."""
    processor = Processor(fed.instance, fed.remote, HANDLERS)
    consensus = job_handlers(fed)[CONSENSUS]
    loops: list[Loop] = [Drain(fed.instance.pool, processor).run]
    if isinstance(consensus, ConsensusJob):
        loops.append(Periodic(consensus, fed.instance.pool).run)
    return loops
