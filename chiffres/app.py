"""The Starlette application, the job handlers and the worker's loops: where the packages are put together.

Each package owns its routes and handlers; this module hands them the collaborators built once (HTTP client,
fetcher, signers, caches: ``chiffres.federation``), so that no package reaches for a global and none needs to know
the others above it.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from actors import routes as actor_routes
from actors.outbox import FANOUT, FanOut
from actors.synchronization import Synchronization
from chiffres.federation import Federation as Federation
from chiffres.federation import farms
from chiffres.federation import federation as federation
from fedi import health, logs, metrics, nodeinfo, urls
from fedi.delivery import DELIVER, Deliverer
from fedi.guard import RejectNul
from fedi.pruning import JobLogPruning
from fedi.queue import Handler, Loop
from fedi.signatures import SignatureError, SignedRequest, verify_request
from fedi.slashes import TrailingSlashes
from fedi.types import JSON
from figures.numbers import Lang
from inbox.drain import Drain
from inbox.endpoint import PROCESS, InboxEndpoint, signed_url
from inbox.entrance import Entrance
from inbox.handlers import HANDLERS
from inbox.processor import Processor
from inbox.relay import RELAY, Relayer
from ledger import charter, joining, reciprocity
from ledger.consensus import CONSENSUS, ConsensusJob, Periodic, thresholds
from ledger.enforcement import Enforcement
from ledger.peers import Sharing
from ledger.publication import Publisher
from web import api as figures_api
from web import routes as site
from web import session
from web.account_pages import AccountPages
from web.directory_pages import DirectoryPages
from web.figure_page import FigurePages
from web.locale import Languages
from web.moderation_pages import ModerationPages
from web.pages import Pages
from web.presence import Presence
from web.request_forms import member_routes
from web.search_pages import SearchPages

logger = logging.getLogger(__name__)


def build_app(fed: Federation) -> Starlette:
    instance = fed.instance
    pages = Pages(instance.urls, instance.settings.language)
    inbox = InboxEndpoint(instance, fed.remote, fed.keys)
    observed = metrics.Metrics(
        instance.pool,
        instance.settings.metrics_token,
        inboxes=(urls.SHARED_INBOX, urls.INBOX, urls.INSTANCE_INBOX),
        sources=metrics.Sources(lambda: {"hit": fed.keys.hits, "miss": fed.keys.misses}, fed.remote.key_sources.copy),
    )
    pool, links = instance.pool, instance.urls
    settings = instance.settings
    cookies = session.Cookies(session.key_from(settings.secret_key, settings.data_dir), secure=not settings.dev)
    account_pages = AccountPages(instance, pages, cookies)
    directory = DirectoryPages(instance, pages, account_pages)
    figure_pages = FigurePages(instance, pages, account_pages)

    async def healthz(request: Request) -> Response:
        await instance.pool.fetchval("SELECT 1")
        return PlainTextResponse("ok")

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

    def metadata() -> JSON:
        found = charter.load(instance.settings.data_dir)
        return nodeinfo.charter_metadata(instance.urls.charter(), found.version)

    inboxes = [
        Route(urls.SHARED_INBOX, inbox.handle, methods=["POST"]),
        Route(urls.INBOX, inbox.handle, methods=["POST"]),
        Route(urls.INSTANCE_INBOX, inbox.handle, methods=["POST"]),
    ]
    routes = [
        *inboxes,
        *site.routes(instance, pages),
        *account_pages.routes(),
        *directory.routes(),
        *SearchPages(instance, pages, account_pages).routes(),
        *figure_pages.routes(),
        *ModerationPages(instance, pages, account_pages).routes(),
        *member_routes(instance, pages, account_pages),
        Route("/healthz", healthz),
        *health.routes(instance.pool),
        *observed.routes(),
        *actor_routes.routes(
            instance,
            directory.actor_page,
            signed_by,
            figure_pages.object_page,
            metadata,
            reciprocity.on_fetch(pool, links, instance.clock),
            pages.teaser_page,
            account_pages.browsing_as,
        ),
        *figures_api.routes(instance, signed_by),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: site.http_errors(pages),
            **health.exception_handlers(),
            500: site.server_error(pages),
        },
        middleware=[
            Middleware(logs.AccessLog, answered=observed.traffic.answered),
            Middleware(Entrance, routes=inboxes),
            Middleware(RejectNul),
            Middleware(Languages, default=settings.language),
            Middleware(Presence, cookies=cookies, clock=instance.clock),
            Middleware(TrailingSlashes, base=instance.urls.base, routes=routes),
        ],
    )
    app.router.redirect_slashes = False  # its Location comes from the request; TrailingSlashes uses our base
    return app


def job_handlers(fed: Federation) -> dict[str, Handler]:
    """Background job handlers of every package, by entrypoint name."""
    instance = fed.instance
    language: Lang = "en" if instance.settings.language == "en" else "fr"
    return {
        PROCESS: Processor(instance, fed.remote, HANDLERS),
        FANOUT: FanOut(instance.pool, instance.urls, reciprocity.on_fanout(instance.urls, instance.clock)),
        CONSENSUS: ConsensusJob(
            instance.pool,
            instance.urls,
            instance.clock,
            Publisher(instance.pool, instance.urls, instance.clock, language),
            Sharing(instance.pool, instance.urls, instance.clock),
            farms=farms(instance.settings),
            base=thresholds(instance.settings),
        ),
        RELAY: Relayer(instance.pool, instance.urls, instance.clock),
        reciprocity.CHARTER_AGAIN: joining.AskAgain(instance),
        DELIVER: Deliverer(
            instance.pool,
            fed.fetcher,
            fed.signers.for_actor,
            instance.clock,
            Synchronization(instance.pool, instance.urls),
        ),
    }


def worker_loops(fed: Federation) -> list[Loop]:
    """Loops the worker runs beside the queue: the inbox drain, the periodic batch recomputation, the hourly
    enforcement of the reciprocity charter and the hourly pruning of the queue's log."""
    processor = Processor(fed.instance, fed.remote, HANDLERS)
    consensus = job_handlers(fed)[CONSENSUS]
    loops: list[Loop] = [Drain(fed.instance.pool, processor).run]
    if isinstance(consensus, ConsensusJob):
        loops.append(Periodic(consensus, fed.instance.pool).run)
    loops.append(Enforcement(fed.instance).run)
    loops.append(JobLogPruning(fed.instance.pool, fed.instance.settings.job_log_days).run)
    return loops
