"""A figure's page for people: the figure, its consensus and every claim behind it, its versions, its chart, and how
to endorse or correct it — from this site for its group's members, from Mastodon for anyone who follows the group.

The route that serves objects (:mod:`actors.routes`) has already decided that the reader may see the figure; this
module only lays it out. The charts are served here, under the same rule, since an image address can be shared
without the page around it. Everything shown comes from the functions the API and the command line use — the
stored figure and its versions (:class:`ledger.publication.Publisher`), the consensus and its claims
(:func:`ledger.explanation.explain`) — so that the page cannot tell a different story than they do.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlsplit

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.routes import normalise_ids, reads_for_followers
from fedi.instance import Instance
from fedi.types import JSON
from figures.figure import Figure, figure_from_wire
from figures.note import period_text
from figures.numbers import FiguresError, Lang
from figures.units import format_value
from ledger import explanation
from ledger.consensus import ConsensusJob, thresholds
from ledger.publication import PublicationError, Publisher, StoredFigure
from web import charts, display
from web.account_pages import AccountPages
from web.catalog import translator
from web.kept import Kept
from web.pages import Pages

#: The fields of a version compared with the one before, to say what changed, with the key naming each.
_FIELDS: Final = (
    ("value", "fig_value"),
    ("unit", "fig_unit"),
    ("measures", "fig_measures"),
    ("place", "fig_place"),
    ("period", "fig_period"),
    ("source", "fig_source"),
    ("method", "fig_method"),
    ("tags", "fig_tags"),
)
_STATUSES: Final = ("confirmed", "corrected", "contested", "insufficient")
_KINDS: Final = ("publish", "endorse", "boost", "correct")
#: Claims listed on the page, the heaviest first; the JSON API record lists them all.
SHOWN_CLAIMS: Final = 100
#: A chart is in the reader's language (cookie or browser) and, for a members-only figure, for its members only.
_VARY: Final = "Cookie, Accept-Language"
_NOT_FOUND: Final = {"Cache-Control": "private, max-age=0", "Vary": _VARY}


@dataclass(frozen=True)
class Shown:
    """A figure with what its page and its chart both read."""

    stored: StoredFigure
    why: JSON | None
    versions: list[tuple[int, JSON, datetime]]
    history: list[charts.Step]


class FigurePages:
    """The figure page and its chart, around one instance, its pages and its accounts."""

    def __init__(
        self, instance: Instance, pages: Pages, account_pages: AccountPages, drawn: charts.Charts | None = None
    ) -> None:
        self._instance = instance
        self._pool, self._urls, self._clock = instance.pool, instance.urls, instance.clock
        self._pages = pages
        self._accounts = account_pages
        language: Lang = "en" if instance.settings.language == "en" else "fr"
        self._publisher = Publisher(instance.pool, instance.urls, instance.clock, language)
        self._consensus = ConsensusJob(
            instance.pool, instance.urls, instance.clock, self._publisher, base=thresholds(instance.settings)
        )
        self._charts = drawn or charts.Charts()
        self._explained: Kept[tuple[object, ...], JSON | None] = Kept(256)

    def routes(self) -> list[Route]:
        return [Route("/charts/{uuid}.svg", self.svg), Route("/charts/{uuid}.png", self.png)]

    @property
    def _lang(self) -> Lang:
        return "en" if self._pages.language == "en" else "fr"

    # --- The page -----------------------------------------------------------------------------------------------

    async def object_page(self, request: Request, document: dict[str, object]) -> str:
        """The figure's full page; any other note (a correction, a request) keeps its plain page."""
        uri = document.get("id")
        if not isinstance(document.get("figure"), dict) or not isinstance(uri, str):
            return self._pages.note(document)
        shown = await self._shown(uri)
        if shown is None:
            return self._pages.note(document)
        lang, stored = self._lang, shown.stored
        figure = stored.figure
        group = self._urls.local_name(stored.group_uri) if stored.group_uri else None
        place = figure.place.name if figure.place.code is None else f"{figure.place.name} ({figure.place.code})"
        period = period_text(figure.period, lang)
        title = f"{figure.measures} · {place} · {period}"
        value = format_value(figure.value, figure.unit, lang)
        name = uri.rsplit("/", 1)[-1]
        counted = len(shown.why["claims"]) if shown.why else 0
        return self._pages.render(
            "figure.html",
            uri=uri,
            title=title,
            value=value,
            figure=figure,
            place=place,
            period=period,
            source_label=figure.source.title or (urlsplit(figure.source.url).hostname or figure.source.url),
            author=self._person(stored.author),
            group=group,
            group_handle=f"@{group}@{self._urls.domain}" if group else None,
            published=self._moment(stored.published),
            updated=self._moment(stored.updated) if stored.updated else None,
            consensus=self._consensus_shown(shown.why, figure),
            claims=await self._claims(shown.why, figure),
            more_claims=max(0, counted - SHOWN_CLAIMS),
            versions=self._versions(shown.versions, lang),
            history=[self._step(step, figure) for step in reversed(shown.history)],
            # A new version, consensus step or claim is a new address: no browser shows a chart it kept from before.
            chart_svg=f"{self._urls.base}/charts/{name}.svg?v={stored.version}.{len(shown.history)}.{counted}",
            chart_png=f"{self._urls.base}/charts/{name}.png",
            description=f"{value} — {title}",
            actions=await self._actions(request, stored),
            example=self._example(figure),
        )

    async def _shown(self, uri: str) -> Shown | None:
        try:
            stored = await self._publisher.get(uri)
        except PublicationError:
            return None
        if stored.deleted:
            return None
        why = await self._explanation(uri)
        versions = await self._publisher.versions(uri)
        rows = await self._pool.fetch(
            "SELECT at, value, low, high FROM consensus_history WHERE figure_uri = $1 ORDER BY at, id LIMIT 1000", uri
        )
        history = [charts.Step(row["at"], row["value"], row["low"], row["high"]) for row in rows]
        return Shown(stored, why, versions, history)

    async def _explanation(self, uri: str) -> JSON | None:
        """The consensus and its weighed claims, worked out again only when a claim, a version or a computation
        changed (or every ten minutes, as weights age): a figure with thousands of claims is read often, and
        weighing them is the consensus job's whole work."""
        now = self._clock()
        state = await self._pool.fetchrow(
            "SELECT (SELECT computed_at FROM consensus WHERE figure_uri = $1) AS computed,"
            " (SELECT max(id) FROM claims WHERE figure_uri = $1 AND withdrawn_at IS NULL) AS last_claim,"
            " EXISTS (SELECT 1 FROM consensus_pending WHERE figure_uri = $1) AS pending,"
            " (SELECT version FROM figures WHERE uri = $1) AS version",
            uri,
        )
        if state is None or state["computed"] is None:
            return None  # no consensus line yet: nothing to explain
        key = (uri, *state, int(now.timestamp()) // 600)  # a withdrawal leaves the figure pending: a new key
        return await self._explained.get(key, lambda: explanation.explain(self._consensus, self._pool, uri, now))

    def _number(self, value: object, figure: Figure) -> str:
        """A consensus number (a float from the engine) as the figure's own value is written."""
        exponent = figure.value.as_tuple().exponent
        places = max(0, -exponent if isinstance(exponent, int) else 0)
        try:
            amount = Decimal(repr(float(str(value)))).quantize(Decimal(1).scaleb(-places))
        except (InvalidOperation, ValueError):
            return str(value)
        return format_value(amount, figure.unit, self._lang)

    def _moment(self, moment: datetime) -> dict[str, str]:
        """A time as ``<time>`` wants it: the ISO form for machines, the date in words for people."""
        at = moment.astimezone(UTC)
        locale = "en_GB" if self._lang == "en" else "fr_FR"
        return {
            "iso": at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "text": format_date(at.date(), "long", locale=locale),
        }

    def _person(self, actor: str) -> dict[str, str]:
        local = self._urls.local_name(actor)
        if local is not None:
            return {"handle": f"@{local}@{self._urls.domain}", "href": self._urls.actor(local)}
        return {"handle": actor, "href": actor}

    def _consensus_shown(self, why: JSON | None, figure: Figure) -> dict[str, object] | None:
        if why is None:
            return None
        t = translator(self._lang)
        status = str(why.get("status"))
        return {
            "status": status,
            "status_text": t(f"fig_status_{status}") if status in _STATUSES else status,
            "value": self._number(why.get("value"), figure),
            "low": self._number(why.get("low"), figure),
            "high": self._number(why.get("high"), figure),
            "agreement": format_percent(float(why.get("agreement") or 0), locale=self._lang),
            "contributors": why.get("contributors"),
            "domains": why.get("domains"),
        }

    async def _claims(self, why: JSON | None, figure: Figure) -> list[dict[str, object]]:
        # The heaviest first (as ``explain`` orders them), as many as a page can hold; the rest are counted.
        listed: Sequence[Mapping[str, Any]] = why.get("claims", [])[:SHOWN_CLAIMS] if why else []
        actors = [str(claim["actor"]) for claim in listed]
        rows = await self._pool.fetch(
            "SELECT uri, preferred_username FROM remote_actors WHERE uri = ANY($1::text[])", actors
        )
        # A remote server names its actors as it likes: a name is shown escaped and cut to a readable length.
        names = {row["uri"]: row["preferred_username"][:64] for row in rows if row["preferred_username"]}
        t = translator(self._lang)
        shown: list[dict[str, object]] = []
        for claim in listed:
            actor, domain, kind = str(claim["actor"]), str(claim["domain"]), str(claim["kind"])
            local = self._urls.local_name(actor)
            name = local or names.get(actor) or actor.rstrip("/").rsplit("/", 1)[-1]
            shown.append(
                {
                    "handle": f"@{name}@{domain}",
                    "href": self._urls.actor(local) if local else display.web_link(actor),
                    "domain": domain,
                    "kind": t(f"fig_kind_{kind}") if kind in _KINDS else kind,
                    "value": self._number(claim["value"], figure),
                    "weight": format_decimal(float(claim["weight"]), "0.00", locale=self._lang),
                    "parsed": bool(claim["parsed"]),
                }
            )
        return shown

    def _versions(self, versions: list[tuple[int, JSON, datetime]], lang: Lang) -> list[dict[str, object]]:
        """Newest first, each with what it changed from the one before."""
        t = translator(lang)
        shown: list[dict[str, object]] = []
        before: JSON | None = None
        for number, wire, created in versions:
            try:
                version = figure_from_wire(dict(wire), lang)
                value = format_value(version.value, version.unit, lang)
            except FiguresError:
                value = str(wire.get("value", ""))
            changed = [key for field, key in _FIELDS if before is not None and wire.get(field) != before.get(field)]
            shown.append(
                {
                    "number": number,
                    "value": value,
                    "at": self._moment(created),
                    "changes": ", ".join(t(key) for key in changed) if before is not None else t("fig_first_version"),
                }
            )
            before = wire
        return shown[::-1]

    def _step(self, step: charts.Step, figure: Figure) -> dict[str, object]:
        return {
            "at": self._moment(step.at),
            "value": self._number(step.value, figure),
            "low": self._number(step.low, figure),
            "high": self._number(step.high, figure),
        }

    def _example(self, figure: Figure) -> str:
        """The reply a Mastodon user would write to correct the figure: a value, its unit and a source."""
        value = format_value(figure.value, figure.unit, self._lang)
        if self._lang == "fr":
            return f"plutôt {value}, source\u00a0: https://…"
        return f"rather {value}, source: https://…"

    async def _actions(self, request: Request, stored: StoredFigure) -> dict[str, object] | None:
        """What a signed-in approved member of the figure's group may do here; None for anyone else."""
        account = await self._accounts.signed_in(request)
        if account is None or stored.group_uri is None:
            return None
        reader = self._urls.actor(account.name)
        if not await reads_for_followers(self._instance, stored.group_uri, reader):
            return None
        name = stored.uri.rsplit("/", 1)[-1]
        base = f"{self._urls.base}/objects/{name}"
        return {
            "csrf": self._accounts.session_of(request).csrf,
            "endorse": f"{base}/endorse",
            "correct": f"{base}/correct",
            "edit": f"{base}/edit" if stored.author == reader else None,
        }

    # --- The chart ----------------------------------------------------------------------------------------------

    async def svg(self, request: Request) -> Response:
        return await self._chart(request, "svg")

    async def png(self, request: Request) -> Response:
        return await self._chart(request, "png")

    async def _chart(self, request: Request, kind: charts.Format) -> Response:
        """The chart of a figure the reader may see — the rule of its page — else the 404 of anything not there."""
        try:
            name = str(uuid.UUID(request.path_params["uuid"]))
        except ValueError:
            return self._missing()
        uri = self._urls.object(name)
        row = await self._pool.fetchrow(
            "SELECT o.actor_id, o.audience, o.document, a.name AS owner, f.version, f.updated, c.computed_at,"
            " (SELECT max(id) FROM claims WHERE figure_uri = f.uri AND withdrawn_at IS NULL) AS last_claim,"
            " EXISTS (SELECT 1 FROM consensus_pending WHERE figure_uri = f.uri) AS pending"
            " FROM local_objects o JOIN actors a ON a.id = o.actor_id JOIN figures f ON f.uri = o.uri"
            " LEFT JOIN consensus c ON c.figure_uri = f.uri"
            " WHERE o.uri = $1 AND o.deleted_at IS NULL AND f.deleted_at IS NULL",
            uri,
        )
        if row is None or not await self._may_read(request, dict(row)):
            return self._missing()
        lang = self._lang
        key = (uri, row["version"], row["updated"], row["computed_at"], row["last_claim"], row["pending"], lang)
        try:
            drawn = await self._charts.chart(key, kind, lambda: self._series(uri, lang))
        except PublicationError:  # deleted while it was being drawn
            return self._missing()
        private = row["audience"] != "public"
        cache = "private, max-age=60" if private else "public, max-age=300"
        return Response(drawn, media_type=charts.MEDIA_TYPES[kind], headers={"Cache-Control": cache, "Vary": _VARY})

    def _missing(self) -> Response:
        body = self._pages.error(404)
        return Response(body, status_code=404, media_type="text/html", headers=_NOT_FOUND)

    async def _may_read(self, request: Request, row: Mapping[str, Any]) -> bool:
        """The rule :mod:`actors.routes` applies to a browser: public for all; otherwise for the person signed in,
        when the object names them or they are an approved follower of its owner."""
        if row["audience"] == "public":
            return True
        reader = await self._accounts.browsing_as(request)
        if reader is None:
            return False
        if reader in normalise_ids(row["document"]):
            return True
        return row["audience"] != "direct" and await reads_for_followers(
            self._instance, self._urls.actor(row["owner"]), reader
        )

    async def _series(self, uri: str, lang: Lang) -> charts.Series:
        shown = await self._shown(uri)
        if shown is None:
            raise PublicationError(f"no figure {uri}")
        figure = shown.stored.figure
        versions = []
        for _, wire, created in shown.versions:
            try:
                versions.append((created, float(Decimal(str(wire["value"])))))
            except (KeyError, InvalidOperation):
                continue
        history = shown.history
        why = shown.why
        if not history and why is not None and why.get("value") is not None:
            computed = await self._pool.fetchval("SELECT computed_at FROM consensus WHERE figure_uri = $1", uri)
            history = [charts.Step(computed, float(why["value"]), float(why["low"]), float(why["high"]))]
        points = [
            charts.Point(str(claim["kind"]), float(claim["value"]), float(claim["weight"]))
            for claim in (why.get("claims", []) if why else [])
        ]
        t = translator(lang)
        labels = {key: t(f"fig_chart_{key}") for key in ("history", "claims", "versions", "consensus", "interval")}
        labels.update({kind: t(f"fig_kind_{kind}") for kind in _KINDS})
        locale = "en_GB" if lang == "en" else "fr_FR"
        return charts.Series(
            versions=versions,
            consensus=history,
            claims=points,
            now=self._clock(),
            unit=figure.unit.display(lang, count=figure.value),
            labels=labels,
            dates=lambda moment: format_date(moment.date(), "d MMM yy", locale=locale),
        )
