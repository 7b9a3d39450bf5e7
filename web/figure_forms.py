"""The figure forms: publish a figure into a group, change one's own (a new version), endorse one, propose a
correction. Publishing and changing go through :class:`ledger.publication.Publisher` with the fields the JSON API
reads (:func:`web.api.figure_fields`), so that a refusal says the same thing on both, beside the field it is about.

An endorsement and a correction are what ``chiffres like`` and ``chiffres reply --value`` send, through the same
:class:`ledger.member_claims.MemberClaims`: a ``Like`` of the figure, or a reply Note carrying a ``correction``
object, to the figure's group and author, and the member's claim recorded here at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.actor import Actor
from fedi.types import JSON
from figures.claims import ClaimedValue
from figures.figure import FigureValidationError
from figures.numbers import FiguresError, parse_decimal, wire_decimal
from figures.units import parse_unit, unit_from_code
from ledger.member_claims import MemberClaims
from ledger.publication import NotAMember, PublicationError, StoredFigure
from web.api import figure_fields
from web.member_forms import MAX_FIELD, MemberForms, Refused, SignInFirst
from web.session import Session

FIGURE_FIELDS = (
    "value",
    "unit",
    "measures",
    "place",
    "place_code",
    "period",
    "source",
    "source_title",
    "method",
    "tags",
)
CORRECTION_FIELDS = ("value", "unit", "source", "reason")
MAX_REASON = 500
#: Spellings suggested in the unit field, read by ``figures.units`` like any typed unit.
COMMON_UNITS = ("€", "€/mois", "€/an", "€/m²", "€/h", "k€", "%", "h/semaine", "jours", "personnes", "kWh", "km", "kg")
#: Where a validation problem (``figures.figure``) is shown: a nested field beside its own input.
_FIELD_OF = {"source.url": "source", "source.title": "source_title", "place.name": "place", "place.code": "place_code"}
#: Validation reasons the catalog says in the page's language; any other is shown in the API's words.
_TRANSLATED = {
    "required": "form_err_required",
    "nothing changed": "form_err_nothing_changed",
    "must be an http or https URL": "form_err_url",
    "not a usable URL": "form_err_url",
}


def typed(fields: Mapping[str, str], names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """What was typed in the form's own fields, and a refusal for any too long to be one of ours."""
    values = {name: fields.get(name, "").strip() for name in names}
    return values, {name: "form_err_too_long" for name, value in values.items() if len(value) > MAX_FIELD}


def body_of(values: Mapping[str, str]) -> dict[str, object]:
    """The form as the JSON API's body: a place with its code is an object, the source title joins the source."""
    body: dict[str, object] = {name: values[name] for name in FIGURE_FIELDS if name != "place_code"}
    if values["place_code"]:
        body["place"] = {"name": values["place"], "code": values["place_code"]}
    if not values["source_title"]:
        del body["source_title"]
    return body


def field_errors(error: FigureValidationError) -> dict[str, str]:
    """Each problem beside its field, in the page's language when the catalog has it, else in the API's words."""
    shown: dict[str, str] = {}
    for name, reason in error.errors:
        field = _FIELD_OF.get(name, name.split(".")[0])
        field = field if field in FIGURE_FIELDS else "form"
        shown.setdefault(field, _TRANSLATED.get(reason, reason))
    return shown


def web_url(text: str) -> bool:
    """A correction's source is a page people can open: an http(s) URL with a host (``chiffres reply``)."""
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return False
    return host is not None and parts.scheme in ("http", "https") and not any(c.isspace() for c in text)


class FigureForms:
    def __init__(self, forms: MemberForms) -> None:
        self._forms = forms
        self._pool = forms.pool
        self._urls = forms.urls
        self._clock = forms.instance.clock
        self._claims = MemberClaims(forms.pool, forms.urls, forms.instance.clock)

    def routes(self) -> list[Route]:
        guarded = self._forms.accounts.guarded
        return [
            Route("/groups/{name}/publish", guarded(self.publish), methods=["GET", "POST"]),
            Route("/objects/{uuid}/edit", guarded(self.edit), methods=["GET", "POST"]),
            Route("/objects/{uuid}/endorse", guarded(self.endorse), methods=["POST"]),
            Route("/objects/{uuid}/correct", guarded(self.correct), methods=["GET", "POST"]),
        ]

    # --- Publish and edit ------------------------------------------------------------------------------------------

    async def publish(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        forms = self._forms
        try:
            _, person = await forms.person(request, current)
            group = await forms.group(request.path_params["name"])
            await forms.member_of(person, group)
        except SignInFirst as first:
            return first.response()
        except Refused as refused:
            return forms.refusal(refused)
        action = f"/groups/{group.name}/publish"
        if request.method != "POST":
            return await self._form(current, group, action, {}, {})
        values, errors = typed(fields, FIGURE_FIELDS)
        if errors:
            return await self._form(current, group, action, values, errors)
        body = figure_fields(body_of(values))
        try:
            made = await forms.publisher.publish(person, group, body, forms.lang)
        except FigureValidationError as error:
            return await self._form(current, group, action, values, field_errors(error))
        except PublicationError:
            return forms.refusal(Refused(403, "form_err_not_member"))
        return forms.accounts.redirect(current, forms.path_of(made.uri))

    async def edit(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        forms = self._forms
        try:
            _, person = await forms.person(request, current)
            found = await forms.figure(request.path_params["uuid"])
            group = await self._own(found, person)
        except SignInFirst as first:
            return first.response()
        except Refused as refused:
            return forms.refusal(refused)
        action = forms.path_of(found.uri) + "/edit"
        if request.method != "POST":
            return await self._form(current, group, action, self._prefilled(found), {}, editing=True)
        values, errors = typed(fields, FIGURE_FIELDS)
        if errors:
            return await self._form(current, group, action, values, errors, editing=True)
        changes = figure_fields(body_of(values), found.note.get("figure", {}).get("source"))
        try:
            await forms.publisher.update(found.uri, changes, person)
        except FigureValidationError as error:
            return await self._form(current, group, action, values, field_errors(error), editing=True)
        except NotAMember:
            return forms.refusal(Refused(403, "form_err_not_member"))
        except PublicationError:
            return forms.refusal(Refused(409, "form_err_changed_meanwhile"))
        return forms.accounts.redirect(current, forms.path_of(found.uri))

    async def _own(self, found: StoredFigure, person: Actor) -> Actor:
        """The group of a figure the person may change: published here, by them, in a group of ours."""
        if found.origin != self._urls.domain or found.author != self._urls.actor(person.name):
            raise Refused(403, "form_err_not_author")
        name = self._urls.local_name(found.group_uri or "")
        if name is None:
            raise Refused(403, "form_err_not_author")
        return await self._forms.group(name)

    def _prefilled(self, found: StoredFigure) -> dict[str, str]:
        figure, lang = found.figure, found.figure.language
        return {
            "value": format(figure.value, "f").replace(".", "," if lang == "fr" else "."),
            "unit": figure.unit.display(lang),
            "measures": figure.measures,
            "place": figure.place.name,
            "place_code": figure.place.code or "",
            "period": figure.period.text,
            "source": figure.source.url,
            "source_title": figure.source.title or "",
            "method": figure.method or "",
            "tags": " ".join(figure.tags),
        }

    async def _form(
        self,
        current: Session,
        group: Actor,
        action: str,
        values: Mapping[str, str],
        errors: Mapping[str, str],
        *,
        editing: bool = False,
    ) -> Response:
        forms = self._forms
        title = forms.t("form_edit_title" if editing else "form_publish_title")
        return forms.accounts.page(
            current,
            "publish.html",
            400 if errors else 200,
            title=title,
            action=action,
            group=group,
            editing=editing,
            values={name: values.get(name, "") for name in FIGURE_FIELDS},
            errors=forms.translated(dict(errors)),
            units=await self.suggested_units(self._urls.actor(group.name)),
        )

    async def suggested_units(self, group_uri: str) -> list[str]:
        """The units a member is likely to mean: those already used in the group, then common ones."""
        lang = self._forms.lang
        codes = await self._pool.fetch(
            "SELECT DISTINCT unit_code FROM figures WHERE group_uri = $1 AND deleted_at IS NULL LIMIT 50", group_uri
        )
        shown: dict[str, None] = {}
        for row in codes:
            try:
                shown[unit_from_code(row["unit_code"]).display(lang)] = None
            except FiguresError:
                continue
        for spelling in COMMON_UNITS:
            shown[parse_unit(spelling).unit.display(lang)] = None
        return list(shown)

    # --- Endorse and correct ---------------------------------------------------------------------------------------

    async def _claimable(self, request: Request, current: Session) -> tuple[Actor, StoredFigure]:
        """The person and a figure of a group they are an approved member of."""
        _, person = await self._forms.person(request, current)
        found = await self._forms.figure(request.path_params["uuid"])
        if not await self._forms.approved(person, found.group_uri):
            raise Refused(403, "form_err_not_member")
        return person, found

    async def endorse(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        forms = self._forms
        try:
            person, found = await self._claimable(request, current)
        except Refused as refused:
            return forms.refusal(refused)
        me = self._urls.actor(person.name)
        if await self._endorsed(found, me):  # a second click says nothing new: no second Like
            return forms.accounts.redirect(current, forms.path_of(found.uri))
        await self._claims.endorse(person, found.uri)
        return forms.accounts.redirect(current, forms.path_of(found.uri))

    async def _endorsed(self, found: StoredFigure, me: str) -> bool:
        """Whether the person's standing claim on the figure already endorses its current version."""
        latest = await self._pool.fetchrow(
            "SELECT kind, version FROM claims WHERE figure_uri = $1 AND actor = $2 AND withdrawn_at IS NULL"
            " ORDER BY made_at DESC, id DESC LIMIT 1",
            found.uri,
            me,
        )
        return latest is not None and latest["kind"] == "endorse" and latest["version"] == found.version

    async def correct(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        forms = self._forms
        try:
            person, found = await self._claimable(request, current)
        except SignInFirst as first:
            return first.response()
        except Refused as refused:
            return forms.refusal(refused)
        if request.method != "POST":
            prefilled = {"unit": found.figure.unit.display(forms.lang)}
            return self._correction_form(current, found, prefilled, {})
        values, errors = typed(fields, CORRECTION_FIELDS)
        correction = None if errors else self._correction(values, found, errors)
        claimed = None if correction is None else await self._claimed(correction, found, errors)
        if claimed is None or correction is None:
            return self._correction_form(current, found, values, errors)
        text = f"{values['value']} {values['unit'] or found.figure.unit.display(forms.lang)}"
        text += f" — {values['reason']}" if values["reason"] else ""
        await self._claims.reply(person, found.uri, f"{text}\n\n{values['source']}", correction, claimed)
        return forms.accounts.redirect(current, forms.path_of(found.uri))

    def _correction(self, values: Mapping[str, str], found: StoredFigure, errors: dict[str, str]) -> JSON | None:
        """The ``correction`` object ``chiffres reply --value --unit --source`` sends; None with errors set."""
        correction: JSON = {"type": "Correction", "parsed": False}
        try:
            correction["value"] = wire_decimal(parse_decimal(values["value"], self._forms.lang))
        except FiguresError as error:
            errors["value"] = "form_err_required" if not values["value"] else str(error)
        try:
            unit = parse_unit(values["unit"]).unit if values["unit"] else found.figure.unit
            correction["unit"] = {"code": unit.code}
        except FiguresError as error:
            errors["unit"] = str(error)
        if not values["source"]:
            errors["source"] = "form_err_required"
        elif not web_url(values["source"]):
            errors["source"] = "form_err_url"
        correction["source"] = {"url": values["source"]}
        if len(values["reason"]) > MAX_REASON:
            errors["reason"] = "form_err_too_long"
        if values["reason"]:
            correction["reason"] = values["reason"]
        return None if errors else correction

    async def _claimed(self, correction: JSON, found: StoredFigure, errors: dict[str, str]) -> ClaimedValue | None:
        try:
            claimed = await self._claims.claimed(found.uri, "", correction)
        except FiguresError as error:
            errors["value"] = str(error)
            return None
        if claimed is None:
            errors["unit"] = "form_err_unit_incompatible"
        return claimed

    def _correction_form(
        self, current: Session, found: StoredFigure, values: Mapping[str, str], errors: Mapping[str, str]
    ) -> Response:
        forms = self._forms
        return forms.accounts.page(
            current,
            "correct.html",
            400 if errors else 200,
            title=forms.t("form_correct_title"),
            action=forms.path_of(found.uri) + "/correct",
            figure_path=forms.path_of(found.uri),
            measures=found.figure.measures,
            current_value=f"{found.figure.value} {found.figure.unit.display(forms.lang)}",
            values={name: values.get(name, "") for name in CORRECTION_FIELDS},
            errors=forms.translated(dict(errors)),
        )
