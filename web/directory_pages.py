"""The pages that say what is here: the home page, a group's page, a member's profile and the instance's about page.

A group's page is where a reader decides to join, so it shows what they would get: its figures with their consensus
status and a tiny line per measure over its periods. Which figures a reader sees is the API's rule
(:func:`web.query.page`): public ones to everyone, members-only ones to a signed-in approved member; anyone else
learns how many there are and the way in, never a value. Counts and ledgers come from the functions the command line
uses (:mod:`ledger.reciprocity`, :mod:`actors.store`), so that a page cannot tell another story than they do.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from actors import store
from actors.actor import Actor
from actors.routes import reads_for_followers
from fedi import nodeinfo
from fedi.instance import Instance
from figures.note import period_text
from figures.numbers import FiguresError, Lang
from figures.period import parse_period
from figures.units import Unit, format_value, unit_from_code
from ledger import charter, reciprocity
from web import dates, display, multiples, query
from web.account_pages import AccountPages
from web.catalog import has_key, translator
from web.kept import Kept
from web.pages import Pages

#: How many figures a home, group or profile page lists; the search page pages through the rest.
LATEST: Final = 10
GROUP_FIGURES: Final = 30
#: How many groups' multiples (per kind of reader and language) are kept between pages.
_GROUPS_CACHED: Final = 128
_CONTRIBUTIONS: Final = ("published", "answered", "endorsed", "corrected", "source")


@dataclass(frozen=True)
class Line:
    """A figure as a list shows it: value, what, where, when, its group and its consensus status."""

    href: str
    value: str
    measures: str
    place: str
    period: str
    group: str | None
    status: str | None


def _shown(wire: Mapping[str, Any], lang: Lang) -> tuple[str, str]:
    """The value ("2 150 €/mois", as its note writes it) and the period as people read them."""
    return display.value(wire, lang), dates.period(str(wire.get("period", "")), lang)


def written(value: Decimal, unit: Unit, lang: Lang) -> str:
    """:func:`figures.units.format_value`, remembered: writing a number the CLDR way costs more than the rest of a
    list's line, and lists show the same values again and again."""
    return _written(str(value), unit, lang)


@functools.lru_cache(maxsize=4096)
def _written(value: str, unit: Unit, lang: Lang) -> str:
    return format_value(Decimal(value), unit, lang)  # by its text: 845 and 845.0 are written differently


def status_text(status: str | None, lang: Lang) -> str | None:
    if status is None:
        return None
    key = f"fig_status_{status}"
    return translator(lang)(key) if has_key(key) else status


async def statuses(instance: Instance, uris: Sequence[str]) -> dict[str, str]:
    """The consensus status of each figure that has one."""
    rows = await instance.pool.fetch(
        "SELECT figure_uri, status FROM consensus WHERE figure_uri = ANY($1::text[])", list(uris)
    )
    return {row["figure_uri"]: row["status"] for row in rows}


async def lines(instance: Instance, items: Iterable[query.Listed], lang: Lang) -> list[Line]:
    """Figures the reader may see, as lists show them."""
    listed = list(items)
    found = await statuses(instance, [item.uri for item in listed])
    return [line(instance, item.uri, item.group_uri, item.wire, found.get(item.uri), lang) for item in listed]


def line(
    instance: Instance, uri: str, group_uri: str | None, wire: Mapping[str, Any], status: str | None, lang: Lang
) -> Line:
    place = wire.get("place")
    value, period = _shown(wire, lang)
    return Line(
        href=uri,
        value=value,
        measures=str(wire.get("measures", "")),
        place=str(place.get("name", "")) if isinstance(place, dict) else "",
        period=period,
        group=(instance.urls.local_name(group_uri) or group_uri) if group_uri else None,
        status=status_text(status, lang),
    )


class DirectoryPages:
    """Home, group pages, profiles and the about page, around one instance, its pages and its accounts."""

    def __init__(
        self,
        instance: Instance,
        pages: Pages,
        account_pages: AccountPages,
        drawn: multiples.Multiples | None = None,
    ) -> None:
        self._instance = instance
        self._pool, self._urls = instance.pool, instance.urls
        self._pages = pages
        self._accounts = account_pages
        self._multiples = drawn or multiples.Multiples()
        self._series: Kept[tuple[object, ...], list[dict[str, object]]] = Kept(_GROUPS_CACHED)

    def routes(self) -> list[Route]:
        return [Route("/", self.home), Route("/about", self.about)]

    @property
    def _lang(self) -> Lang:
        return "en" if self._pages.language == "en" else "fr"

    # --- Home ----------------------------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        groups = await self._groups()
        latest = await query.page(self._pool, query.Filters(), query.ANONYMOUS, LATEST)
        body = self._pages.render(
            "home.html", groups=groups, latest=await lines(self._instance, latest.items, self._lang)
        )
        return HTMLResponse(body)

    async def _groups(self) -> list[dict[str, object]]:
        """Every local group with its handle, its visibility and how many figures it holds (of any audience: the
        number is no secret, only the values are)."""
        rows = await self._pool.fetch(
            "SELECT a.name, a.display_name, a.visibility,"
            " (SELECT count(*) FROM figures f WHERE f.group_uri = $1 || a.name AND f.deleted_at IS NULL) AS figures"
            " FROM actors a WHERE a.kind = 'group' ORDER BY a.name",
            self._urls.base + "/actors/",
        )
        return [
            {
                "name": row["name"],
                "title": row["display_name"] or row["name"],
                "handle": f"@{row['name']}@{self._urls.domain}",
                "members_only": row["visibility"] == "members",
                "figures": row["figures"],
            }
            for row in rows
        ]

    # --- About ---------------------------------------------------------------------------------------------------

    async def about(self, request: Request) -> Response:
        settings = self._instance.settings
        kinds = await store.counts(self._pool)
        figures = await self._pool.fetchval("SELECT count(*) FROM figures WHERE deleted_at IS NULL")
        admins = await self._pool.fetch(
            "SELECT a.name FROM accounts c JOIN actors a ON a.id = c.actor_id WHERE c.admin AND c.state = 'active'"
            " ORDER BY a.name"
        )
        found = charter.load(settings.data_dir)
        body = self._pages.render(
            "about.html",
            domain=self._urls.domain,
            admins=[row["name"] for row in admins],
            charter_version=found.version,
            software=nodeinfo.SOFTWARE,
            software_version=nodeinfo.software_version(),
            signup=settings.signup,
            counts={
                "persons": kinds.get("person", 0),
                "groups": kinds.get("group", 0),
                "figures": figures,
                "posts": await self._pool.fetchval("SELECT count(*) FROM outbox"),
            },
        )
        return HTMLResponse(body)

    # --- An actor's page -----------------------------------------------------------------------------------------

    async def actor_page(self, request: Request, actor: Actor) -> str:
        """What a browser gets at an actor's address: a group's page or a member's profile."""
        if actor.kind == "group":
            return await self._group(request, actor)
        return await self._profile(actor)

    async def _group(self, request: Request, group: Actor) -> str:
        account = await self._accounts.signed_in(request)
        reader = self._urls.actor(account.name) if account else None
        group_uri = self._urls.actor(group.name)
        state = await self._follow_state(reader, group_uri) if reader else None
        member = reader is not None and await reads_for_followers(self._instance, group_uri, reader)
        viewer = query.Viewer(reader) if reader else query.ANONYMOUS
        filters = query.Filters(group_uri=group_uri)
        listed = await query.page(self._pool, filters, viewer, GROUP_FIGURES)
        # One pass over the group's figures: how many a non-member may not read, and what tells whether they changed.
        mark = await self._pool.fetchrow(
            "SELECT count(*) FILTER (WHERE audience <> 'public' AND deleted_at IS NULL AND author IS DISTINCT FROM $2)"
            " AS hidden, count(*), max(id), max(updated), max(deleted_at) FROM figures WHERE group_uri = $1",
            group_uri,
            reader,
        )
        assert mark is not None  # an aggregate always answers one row
        hidden = 0 if member else mark["hidden"]
        base = f"{self._urls.base}/groups/{group.name}"
        return self._pages.render(
            "group.html",
            group=group,
            handle=f"@{group.name}@{self._urls.domain}",
            actor_id=group_uri,
            figures=await lines(self._instance, listed.items, self._lang),
            more=listed.next is not None,
            search=f"{self._urls.base}/search?group={group.name}",
            hidden=hidden,
            multiples=await self._multiples_cached(group_uri, viewer, member, tuple(mark.values())[1:]),
            signed_in_as=account.name if account else None,
            state=state,
            member=member,
            csrf=self._accounts.session_of(request).csrf if account else "",
            join=f"{base}/join",
            leave=f"{base}/leave",
            requests=f"{base}/requests",
            publish=f"{base}/publish",
        )

    async def _follow_state(self, reader: str, group_uri: str) -> str | None:
        found: str | None = await self._pool.fetchval(
            "SELECT state FROM follows WHERE follower = $1 AND followee = $2 ORDER BY id DESC LIMIT 1",
            reader,
            group_uri,
        )
        return found if found in ("accepted", "pending") else None

    async def _multiples_cached(
        self, group_uri: str, viewer: query.Viewer, member: bool, mark: Sequence[object]
    ) -> list[dict[str, object]]:
        """The multiples as last drawn while the group's figures stay as they were (``mark``: their count, the
        newest id, the latest edit and deletion), which costs far less to learn than drawing them again. Every
        member sees the same; anyone else sees by who they are."""
        key = (group_uri, "member" if member else viewer.reader, self._lang, *mark)
        return await self._series.get(key, lambda: self._multiples_of(group_uri, viewer))

    async def _multiples_of(self, group_uri: str, viewer: query.Viewer) -> list[dict[str, object]]:
        """For each measure (what, where, unit) with two periods or more, its line and its values: at most
        :data:`multiples.MOST` of them, the longest histories first, then the most recently published.

        Read from the figures table's columns, never the wire objects: a group of 10,000 figures is one sort in
        the database, not 10,000 documents decoded for each page. The visibility is the API's, as everywhere."""
        where = query.Where()  # the API's own builder and visibility rule
        where.add("f.deleted_at IS NULL AND f.period_start IS NOT NULL")
        query.visible(where, viewer)
        where.add(f"f.group_uri = {where.arg(group_uri)}")
        rows = await self._pool.fetch(
            "SELECT measures, place, unit_code, period, value FROM ("
            ' SELECT DISTINCT ON (f.measures COLLATE "C", f.place_name COLLATE "C", f.unit_code COLLATE "C",'
            " f.period_start) f.measures,"
            " coalesce(f.place_name, '') AS place, f.unit_code, f.period_start, f.period, f.value, f.published"
            f" FROM figures f WHERE {where.sql}"
            ' ORDER BY f.measures COLLATE "C", f.place_name COLLATE "C", f.unit_code COLLATE "C", f.period_start,'
            " f.published DESC, f.id DESC) latest"
            " ORDER BY published DESC",
            *where.args,
        )
        series: dict[tuple[str, str, str], list[tuple[str, Decimal]]] = {}
        for row in rows:  # newest first, so that measures are met in the order of their latest figure
            series.setdefault((row["measures"], row["place"], row["unit_code"]), []).append(
                (row["period"], row["value"])
            )
        drawable = [(key, periods) for key, periods in series.items() if len(periods) >= 2]
        chosen = sorted(drawable, key=lambda found: -len(found[1]))[: multiples.MOST]  # the longest histories
        drawn: list[dict[str, object]] = []
        for (measures, place, code), periods in chosen:
            try:
                unit = unit_from_code(code)
                read = sorted(
                    ((parse_period(text), value) for text, value in periods), key=lambda point: point[0].start
                )
                read = read[-multiples.MOST_POINTS :]
            except FiguresError:
                continue
            lang = self._lang
            drawn.append(
                {
                    "measures": measures,
                    "place": place,
                    "image": await self._multiples.line([multiples.Point(p.start, float(v)) for p, v in read]),
                    "values": [{"period": period_text(p, lang), "value": written(v, unit, lang)} for p, v in read],
                }
            )
        return drawn

    # --- A member's profile --------------------------------------------------------------------------------------

    async def _profile(self, person: Actor) -> str:
        uri = self._urls.actor(person.name)
        rows = await self._pool.fetch(
            "SELECT a.name, a.display_name FROM follows w JOIN actors a ON a.kind = 'group'"
            " AND w.followee = $2 || a.name WHERE w.follower = $1 AND w.state = 'accepted' ORDER BY a.name",
            uri,
            self._urls.base + "/actors/",
        )
        figures = await self._pool.fetch(
            "SELECT f.uri, f.group_uri, f.wire, c.status FROM figures f LEFT JOIN consensus c ON c.figure_uri = f.uri"
            " WHERE f.author = $1 AND f.audience = 'public' AND f.deleted_at IS NULL ORDER BY f.published DESC"
            " LIMIT $2",
            uri,
            LATEST,
        )
        tallies = await reciprocity.show(self._pool, uri, self._instance.clock())
        return self._pages.render(
            "profile.html",
            person=person,
            handle=f"@{person.name}@{self._urls.domain}",
            actor_id=uri,
            groups=[{"name": row["name"], "title": row["display_name"] or row["name"]} for row in rows],
            figures=[
                line(self._instance, row["uri"], row["group_uri"], row["wire"], row["status"], self._lang)
                for row in figures
            ],
            ledger=[self._tally(tally) for tally in tallies],
            days=reciprocity.DEFAULT_DAYS,
        )

    def _tally(self, tally: reciprocity.Tally) -> dict[str, object]:
        name = self._urls.local_name(tally.group_uri)
        return {
            "group": name or tally.group_uri,
            "href": self._urls.actor(name) if name else tally.group_uri,
            "counts": [(kind, tally.counts[kind]) for kind in _CONTRIBUTIONS],
            "total": tally.contributions,
        }
