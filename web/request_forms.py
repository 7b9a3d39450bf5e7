"""A group's requests for figures in a browser: the list, open and answered, the "ask" form, and the "answer" form
that publishes the figure a request asks for. They call :class:`ledger.requests.Requests` as ``chiffres request
ask|answer`` do; who reads the list follows the API's rule (anyone for a public group, its approved members for a
members-only one), and only approved members ask and answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.actor import Actor
from fedi.instance import Instance
from figures.figure import FigureValidationError
from figures.note import Contributor
from figures.numbers import FiguresError
from figures.units import unit_from_code
from ledger.publication import NotAMember
from ledger.requests import Request as AskedFor
from ledger.requests import RequestError, Requests, wanted
from web import dates
from web.account_pages import AccountPages
from web.api import figure_fields
from web.figure_forms import FigureForms, field_errors, typed
from web.member_forms import MemberForms, Refused, SignInFirst
from web.pages import Pages
from web.session import Session

ASK_FIELDS = ("measures", "place", "period", "unit")
ANSWER_FIELDS = ("value", "unit", "source", "source_title")
_MAX_ID_DIGITS = 18  # below PostgreSQL's bigint: a longer number names no request


@dataclass(frozen=True)
class Listed:
    """One request as the page shows it."""

    id: int
    measures: str
    place: str
    period: str
    unit: str
    state: str
    created: str
    answer: str | None


def ask_errors(problem: RequestError) -> dict[str, str]:
    """``invalid request: measures: required; period: …`` as messages beside the fields they name."""
    text = str(problem).removeprefix("invalid request: ")
    shown: dict[str, str] = {}
    for part in text.split("; "):
        name, _, reason = part.partition(": ")
        if name in ASK_FIELDS and reason:
            shown.setdefault(name, "form_err_required" if reason == "required" else reason)
    return shown or {"form": str(problem)}


class RequestForms:
    def __init__(self, forms: MemberForms, figures: FigureForms) -> None:
        self._forms = forms
        self._figures = figures
        self._urls = forms.urls
        instance = forms.instance
        self._requests = Requests(instance.pool, instance.urls, instance.clock, forms.default_lang, forms.publisher)

    def routes(self) -> list[Route]:
        guarded = self._forms.accounts.guarded
        return [
            Route("/groups/{name}/requests", guarded(self.requests), methods=["GET", "POST"]),
            Route("/groups/{name}/requests/{id}/answer", guarded(self.answer), methods=["GET", "POST"]),
        ]

    # --- The list and the ask form ---------------------------------------------------------------------------------

    async def requests(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        forms = self._forms
        try:
            group = await forms.group(request.path_params["name"])
            person = await self._reader(request, current, group)
        except SignInFirst as first:
            return first.response()
        except Refused as refused:
            return forms.refusal(refused)
        member = person is not None and await forms.approved(person, self._urls.actor(group.name))
        if request.method != "POST":
            return await self._page(current, group, member, {}, {})
        if person is None or not member:
            return forms.refusal(Refused(403, "form_err_not_member"))
        values, errors = typed(fields, ASK_FIELDS)
        if errors:
            return await self._page(current, group, member, values, errors)
        try:
            what = wanted(values["measures"], values["place"], values["period"], values["unit"] or None)
            asker = Contributor(self._urls.actor(person.name), person.name, self._urls.domain)
            _, held = await self._requests.ask(asker, group, what)
        except RequestError as problem:
            return await self._page(current, group, member, values, ask_errors(problem))
        if held is not None:
            return forms.accounts.redirect(current, forms.path_of(held.uri))
        return forms.accounts.redirect(current, f"/groups/{group.name}/requests")

    async def _reader(self, request: Request, current: Session, group: Actor) -> Actor | None:
        """Who reads: anyone a public group's requests, the approved members a members-only group's."""
        found = await self._forms.accounts.account(current)
        if group.visibility == "public" and found is None and request.method == "GET":
            return None
        _, person = await self._forms.person(request, current)
        if group.visibility != "public" and not await self._forms.approved(person, self._urls.actor(group.name)):
            raise Refused(403, "form_err_not_member")
        return person

    async def _page(
        self,
        current: Session,
        group: Actor,
        member: bool,
        values: Mapping[str, str],
        errors: Mapping[str, str],
    ) -> Response:
        forms = self._forms
        now = forms.instance.clock()
        listed = [self._listed(found, now) for found in await self._requests.listing(self._urls.actor(group.name))]
        return forms.accounts.page(
            current,
            "requests.html",
            400 if errors else 200,
            title=f"{forms.t('form_requests_title')} · {group.name}",
            group=group,
            member=member,
            open=[item for item in listed if item.state in ("open", "stale")],
            answered=[item for item in listed if item.state == "answered"],
            values={name: values.get(name, "") for name in ASK_FIELDS},
            errors=forms.translated(dict(errors)),
            units=await self._figures.suggested_units(self._urls.actor(group.name)) if member else [],
        )

    def _listed(self, found: AskedFor, now: datetime) -> Listed:
        unit = ""
        if found.unit:
            try:
                unit = unit_from_code(found.unit).display(self._forms.lang)
            except FiguresError:
                unit = found.unit
        return Listed(
            id=found.id,
            measures=found.measures,
            place=found.place or "",
            period=dates.period(found.period, self._forms.lang),
            unit=unit,
            state=found.state(now),
            created=dates.day(found.created_at, self._forms.lang),
            answer=self._forms.path_of(found.answer_uri) if found.answer_uri else None,
        )

    # --- The answer form -------------------------------------------------------------------------------------------

    async def answer(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        forms = self._forms
        try:
            _, person = await forms.person(request, current)
            group = await forms.group(request.path_params["name"])
            await forms.member_of(person, group)
            asked = await self._open_request(group, request.path_params["id"])
        except SignInFirst as first:
            return first.response()
        except Refused as refused:
            return forms.refusal(refused)
        if request.method != "POST":
            prefilled = {"unit": self._listed(asked, forms.instance.clock()).unit}
            return await self._answer_form(current, group, asked, prefilled, {})
        values, errors = typed(fields, ANSWER_FIELDS)
        if errors:
            return await self._answer_form(current, group, asked, values, errors)
        body: dict[str, object] = {name: values[name] for name in ANSWER_FIELDS if values[name]}
        try:
            _, figure = await self._requests.answer(str(asked.id), person, figure_fields(body), forms.lang)
        except FigureValidationError as error:
            return await self._answer_form(current, group, asked, values, field_errors(error))
        except NotAMember:
            return forms.refusal(Refused(403, "form_err_not_member"))
        except RequestError:
            return forms.refusal(Refused(409, "form_err_answered_meanwhile"))
        return forms.accounts.redirect(current, forms.path_of(figure.uri))

    async def _open_request(self, group: Actor, ident: str) -> AskedFor:
        if not ident.isdigit() or len(ident) > _MAX_ID_DIGITS:
            raise Refused(404, "form_err_no_request")
        try:
            found = await self._requests.get(ident)
        except RequestError:
            raise Refused(404, "form_err_no_request") from None
        if found.group_uri != self._urls.actor(group.name):
            raise Refused(404, "form_err_no_request")
        if found.status != "open":
            raise Refused(409, "form_err_answered_meanwhile")
        return found

    async def _answer_form(
        self,
        current: Session,
        group: Actor,
        asked: AskedFor,
        values: Mapping[str, str],
        errors: Mapping[str, str],
    ) -> Response:
        forms = self._forms
        return forms.accounts.page(
            current,
            "answer.html",
            400 if errors else 200,
            title=forms.t("form_answer_title"),
            action=f"/groups/{group.name}/requests/{asked.id}/answer",
            group=group,
            asked=self._listed(asked, forms.instance.clock()),
            values={name: values.get(name, "") for name in ANSWER_FIELDS},
            errors=forms.translated(dict(errors)),
            units=await self._figures.suggested_units(self._urls.actor(group.name)),
        )


def member_routes(instance: Instance, pages: Pages, account_pages: AccountPages) -> list[Route]:
    """Every member form's route: the account, join and leave, the figure forms and the request forms."""
    forms = MemberForms(instance, pages, account_pages)
    figures = FigureForms(forms)
    return [*forms.routes(), *figures.routes(), *RequestForms(forms, figures).routes()]
