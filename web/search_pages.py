"""The search page: figures by words, hashtag, place, period and group, forgiving accents and case.

People type on phones, without accents: "infirmiere" must find "infirmière" and "Perigueux" "Périgueux". The words
are matched against ``figures.search_folded`` (migration 0028), the figure's searchable text folded by
``chiffres_fold`` and indexed, with the query folded by the same function, so that both sides always agree; a place
is folded the same way. Everything else — who may see which figure, how the other filters read, the keyset pages —
is the JSON API's (:mod:`web.query`), so that the page and the API can never disagree on what a reader may find.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from fedi.instance import Instance
from figures.numbers import Lang
from web import directory_pages, query
from web.account_pages import AccountPages
from web.catalog import translator
from web.pages import Pages

FIELDS: Final = ("q", "tag", "place", "period", "group")
PER_PAGE: Final = 20
#: Longer than anyone types in a search box; the API allows 500, a page answers sooner.
_LONGEST: Final = 200
_ERRORS: Final = {"period": "dir_err_period", "group": "dir_err_group", "cursor": "dir_err_cursor"}


class SearchPages:
    """``/search`` around one instance, its pages and its accounts (a signed-in member finds their groups'
    members-only figures too)."""

    def __init__(self, instance: Instance, pages: Pages, account_pages: AccountPages) -> None:
        self._instance = instance
        self._pool, self._urls = instance.pool, instance.urls
        self._pages = pages
        self._accounts = account_pages

    def routes(self) -> list[Route]:
        return [Route("/search", self.search)]

    async def search(self, request: Request) -> Response:
        lang: Lang = "en" if self._pages.language == "en" else "fr"
        asked = {name: request.query_params.get(name, "").strip() for name in FIELDS}
        errors = self._errors(request)
        filters, after = query.Filters(), None
        if not errors:
            try:
                filters = query.read_filters({name: [value] for name, value in asked.items() if value}, self._urls)
                after = query.read_cursor(request.query_params.get("after"))
            except query.QueryError as error:
                field = str(error).split(":", 1)[0]
                errors = {field: _ERRORS.get(field, "dir_err_value")}
        if errors:
            t = translator(lang)
            body = self._page(asked, {field: t(key) for field, key in errors.items()}, [], None)
            return HTMLResponse(body, status_code=400)
        reader = await self._accounts.browsing_as(request)
        found = await find(self._instance, filters, query.Viewer(reader), PER_PAGE, after)
        listed = await directory_pages.lines(self._instance, found.items, lang)
        more = None
        if found.next is not None:
            more = "/search?" + urlencode({**{k: v for k, v in asked.items() if v}, "after": found.next.encode()})
        return HTMLResponse(self._page(asked, {}, listed, more), headers={"Vary": "Cookie"})

    def _errors(self, request: Request) -> dict[str, str]:
        """What no search should carry, field by field, before anything reaches the database."""
        errors = {}
        for name in (*FIELDS, "after"):
            values = request.query_params.getlist(name)
            if len(values) > 1:
                errors[name] = "dir_err_twice"
            elif values and (len(values[0]) > _LONGEST or not values[0].isprintable()):
                errors[name] = "dir_err_long"
        return {("cursor" if name == "after" else name): key for name, key in errors.items()}

    def _page(
        self,
        asked: dict[str, str],
        errors: dict[str, str],
        listed: list[directory_pages.Line],
        more: str | None,
    ) -> str:
        return self._pages.render(
            "search.html",
            asked=asked,
            errors=errors,
            searched=any(asked.values()),
            figures=listed,
            more=f"{self._urls.base}{more}" if more else None,
        )


async def find(
    instance: Instance, filters: query.Filters, viewer: query.Viewer, limit: int, after: query.Cursor | None = None
) -> query.Page:
    """One page of the figures the viewer may see that match, newest first. Words and place are matched folded;
    the other filters, the visibility and the keyset are the API's own."""
    where = query.Where()  # the API's own builder and visibility rule
    where.add("f.deleted_at IS NULL")
    query.visible(where, viewer)
    query.filtered(where, dataclasses.replace(filters, q=None, place=None))
    if filters.q:
        text = where.arg(filters.q)
        french, english = (
            f"f.search_folded @@ websearch_to_tsquery('{config}', chiffres_fold({text}))"
            for config in ("french", "english")
        )
        where.add(f"({french} OR {english})")
    if filters.place:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", filters.place) + "%"
        where.add(
            f"(chiffres_fold(f.place_name) LIKE chiffres_fold({where.arg(pattern)})"
            f" OR f.place_code = {where.arg(filters.place.upper())})"
        )
    if after is not None:
        where.add(f"(f.published, f.id) < ({where.arg(after.published)}, {where.arg(after.id)})")
    rows = await instance.pool.fetch(
        f"SELECT {query.COLUMNS} FROM figures f WHERE {where.sql}"
        f" ORDER BY f.published DESC, f.id DESC LIMIT {where.arg(limit + 1)}",
        *where.args,
    )
    items = [query.listed(row) for row in rows[:limit]]
    more = len(rows) > limit and items
    return query.Page(items, query.Cursor(items[-1].published, items[-1].id) if more else None)
