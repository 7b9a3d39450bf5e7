"""The pages a browser opens that belong to no actor or object: home, charter, hashtags, errors, our vocabulary.

Pages of actors and objects are served by ``actors.routes`` on the same URL as their ActivityPub documents; it
calls back into :class:`web.pages.Pages` for the HTML.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from fedi import urls
from fedi.config import LANGUAGES
from fedi.instance import Instance
from fedi.negotiation import wants_activity_json
from fedi.responses import json_response, problem
from figures.numbers import Lang
from ledger import charter
from schemas import chiffres_context
from web import display
from web.pages import Pages

ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def routes(instance: Instance, pages: Pages) -> list[Route]:
    async def namespace(request: Request) -> Response:
        """Our JSON-LD context, for readers who want it; documents we send inline it and never point here."""
        return json_response(
            {"@context": chiffres_context()},
            media_type="application/ld+json",
            headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=86400, public"},
        )

    async def charter_page(request: Request) -> Response:
        """The charter in ``?lang=``, else in the instance's language; a link from the DM can choose either."""
        asked = request.query_params.get("lang", "")
        lang = asked if asked in LANGUAGES else pages.language
        found = charter.load(instance.settings.data_dir)
        if wants_activity_json(request.headers.get("accept")) and "html" not in request.headers.get("accept", ""):
            return json_response(
                {"title": found.title(lang), "version": found.version, "language": lang, "content": found.html(lang)}
            )
        return HTMLResponse(pages.charter(found.title(lang), found.html(lang), found.version, lang))

    async def tag_page(request: Request) -> Response:
        """Public figures with a hashtag: where the hashtag links in our notes lead."""
        tag = request.path_params["tag"].lower()
        rows = await instance.pool.fetch(
            "SELECT uri, wire, measures, place_name, period FROM figures WHERE tags @> ARRAY[$1]::text[]"
            " AND audience = 'public' AND deleted_at IS NULL ORDER BY published DESC LIMIT 100",
            tag,
        )
        lang: Lang = "en" if pages.language == "en" else "fr"
        figures = [
            {
                "url": row["uri"],
                "value": display.value(row["wire"], lang),
                "measures": row["measures"],
                "place": row["place_name"] or "",
                "period": row["period"] or "",
            }
            for row in rows
        ]
        return HTMLResponse(pages.tag(tag, figures))

    return [
        Route(urls.CHARTER, charter_page),
        Route("/tags/{tag}", tag_page),
        Route(urls.NAMESPACE, namespace),
    ]


def http_errors(pages: Pages) -> ErrorHandler:
    """Errors in the language of the asker: a JSON problem for fediverse software, a page for a browser."""

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if wants_activity_json(request.headers.get("accept")):
            return problem(error.status_code, str(error.detail))
        page = pages.error(error.status_code)  # the detail is in English, for machines
        return HTMLResponse(page, status_code=error.status_code, headers=error.headers)

    return http_error


def server_error(pages: Pages) -> ErrorHandler:
    """What an unexpected fault answers (it is logged by the server): a problem or a page, never a trace."""

    async def failed(request: Request, error: Exception) -> Response:
        if wants_activity_json(request.headers.get("accept")):
            return problem(500, "internal error")
        return HTMLResponse(pages.error(500), status_code=500)

    return failed
