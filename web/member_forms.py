"""What a signed-in person does from a browser instead of the command line: their account page, and asking to join
or leaving a group. The figure forms (:mod:`web.figure_forms`) and the request forms (:mod:`web.request_forms`)
use the checks kept here, so that who may act is decided in one place.

A join is the follow ``chiffres follow`` makes, answered as the group's policy says: an ``open`` group accepts at
once; a ``charter`` group too when the account accepted the charter the instance serves now, since its sign-up
form is the same acceptance the phrase stands for (the version is recorded on the follow); an ``admin`` group
leaves it pending, and the follow its inbox receives tells the moderators. Only an active account acts: a pending
one sees its account page and nothing else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors import follows, membership, store
from actors.actor import Actor
from fedi.instance import Instance
from figures.numbers import Lang
from ledger import charter
from ledger.publication import PublicationError, Publisher, StoredFigure
from web import accounts
from web.account_pages import AccountPages, safe_next
from web.accounts import Account
from web.catalog import translator
from web.pages import Pages
from web.session import Session

_NO_STORE = {"Cache-Control": "no-store"}
#: Longer than any field a figure or a request holds (a URL: 2048): anything longer is refused before parsing.
MAX_FIELD = 2100


@dataclass(frozen=True)
class Membership:
    """One of my follows of a group, as the account page lists it."""

    group: str
    local_name: str | None
    state: str


class Refused(Exception):
    """An action refused with a status and the catalog key of why; the handler turns it into a page."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


class MemberForms:
    """The account page and the join and leave buttons, with the checks the other member forms share."""

    def __init__(self, instance: Instance, pages: Pages, account_pages: AccountPages) -> None:
        self.instance = instance
        self.pool = instance.pool
        self.urls = instance.urls
        self.pages = pages
        self.accounts = account_pages
        self.default_lang: Lang = "en" if instance.settings.language == "en" else "fr"
        self.publisher = Publisher(instance.pool, instance.urls, instance.clock, self.default_lang)

    @property
    def t(self) -> Callable[[str], str]:
        return translator(self.pages.language)

    @property
    def lang(self) -> Lang:
        return "en" if self.pages.language == "en" else "fr"

    def routes(self) -> list[Route]:
        guarded = self.accounts.guarded
        return [
            Route("/account", guarded(self.account), methods=["GET"]),
            Route("/groups/{name}/join", guarded(self.join), methods=["POST"]),
            Route("/groups/{name}/leave", guarded(self.leave), methods=["POST"]),
        ]

    # --- Who acts, on what (shared by the figure and request forms) ------------------------------------------------

    async def person(self, request: Request, current: Session) -> tuple[Account, Actor]:
        """The active account signed in, and its actor; a GET is sent to sign in and come back, a POST refused."""
        found = await self.accounts.account(current)
        if found is None:
            if request.method == "GET":
                raise SignInFirst(request)
            raise Refused(403, "form_err_signed_out")
        return found, await store.get(self.pool, found.name)

    async def group(self, name: str) -> Actor:
        found = await store.find(self.pool, name.lower()) if len(name) <= 64 else None
        if found is None or found.kind != "group":
            raise Refused(404, "form_err_no_group")
        return found

    async def approved(self, person: Actor, group_uri: str | None) -> bool:
        """Whether the person's follow of the group is accepted: what makes a member (``ledger.publication``)."""
        if group_uri is None:
            return False
        found = await self.pool.fetchval(
            "SELECT 1 FROM follows WHERE follower = $1 AND followee = $2 AND state = 'accepted'",
            self.urls.actor(person.name),
            group_uri,
        )
        return bool(found)

    async def member_of(self, person: Actor, group: Actor) -> None:
        if not await self.approved(person, self.urls.actor(group.name)):
            raise Refused(403, "form_err_not_member")

    async def figure(self, uuid: str) -> StoredFigure:
        """The figure at ``/objects/{uuid}``, not deleted; 404 for anything else."""
        if len(uuid) > 64:
            raise Refused(404, "form_err_no_figure")
        try:
            found = await self.publisher.get(self.urls.object(uuid))
        except PublicationError:
            raise Refused(404, "form_err_no_figure") from None
        if found.deleted:
            raise Refused(404, "form_err_no_figure")
        return found

    def path_of(self, uri: str) -> str:
        """Where a page of ours links to a figure: its path here, or its address elsewhere."""
        return uri.removeprefix(self.urls.base) if self.urls.is_local(uri) else uri

    def refusal(self, refused: Refused) -> Response:
        return self.accounts.error(refused.status, refused.key)

    def translated(self, errors: dict[str, str]) -> dict[str, str]:
        """Messages beside fields: a catalog key becomes its text, a reason from validation stays as it is."""
        return {field: self.t(reason) if reason.startswith("form_") else reason for field, reason in errors.items()}

    # --- The account page ------------------------------------------------------------------------------------------

    async def account(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        waiting = await self._pending_account(current)
        if waiting is not None:
            return self.accounts.page(
                current, "account.html", account=waiting, pending=True, handle="", memberships=[], others=[]
            )
        try:
            found, person = await self.person(request, current)
        except SignInFirst as first:
            return first.response()
        mine = await self._memberships(person)
        joined = {row.group for row in mine}
        others = [
            actor.name
            for actor in await store.listing(self.pool)
            if actor.kind == "group" and self.urls.actor(actor.name) not in joined
        ]
        return self.accounts.page(
            current,
            "account.html",
            account=found,
            pending=False,
            handle=f"@{found.name}@{self.urls.domain}",
            memberships=mine,
            others=others,
        )

    async def _pending_account(self, current: Session) -> Account | None:
        """An account waiting for an admin sees only that it waits."""
        if current.account_id is None:
            return None
        found = await accounts.by_id(self.pool, current.account_id)
        ok = found is not None and found.state == "pending" and found.session_epoch == current.epoch
        return found if ok else None

    async def _memberships(self, person: Actor) -> list[Membership]:
        rows = await self.pool.fetch(
            "SELECT followee, state FROM follows WHERE follower = $1 AND state IN ('accepted', 'pending')"
            " ORDER BY followee",
            self.urls.actor(person.name),
        )
        return [Membership(row["followee"], self.urls.local_name(row["followee"]), row["state"]) for row in rows]

    # --- Join and leave --------------------------------------------------------------------------------------------

    async def join(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        try:
            found, person = await self.person(request, current)
            group = await self.group(request.path_params["name"])
        except Refused as refused:
            return self.refusal(refused)
        group_uri = self.urls.actor(group.name)
        made = await follows.follow(
            self.pool, self.urls, person, group_uri, self.urls.inbox(group.name), self.instance.clock
        )
        if made.state == "pending" and await self._accepts_at_once(group, found):
            async with self.pool.acquire() as connection, connection.transaction():
                await follows.answer_on(
                    connection,
                    self.urls,
                    made.id,
                    "Accept",
                    self.instance.clock,
                    group,
                    charter_version=found.charter_version,
                )
        return self.accounts.redirect(current, safe_next(fields.get("next") or "/account"))

    async def _accepts_at_once(self, group: Actor, found: Account) -> bool:
        policy = await membership.policy(self.pool, group)
        if policy == "open":
            return True
        served = charter.load(self.instance.settings.data_dir).version
        return policy == "charter" and found.charter_version == served

    async def leave(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        try:
            _, person = await self.person(request, current)
            group = await self.group(request.path_params["name"])
        except Refused as refused:
            return self.refusal(refused)
        with contextlib.suppress(follows.FollowError):  # not following: leaving twice leaves once
            await follows.unfollow(self.pool, self.urls, person, self.urls.actor(group.name), self.instance.clock)
        return self.accounts.redirect(current, safe_next(fields.get("next") or "/account"))


class SignInFirst(Exception):
    """A page for members opened signed out: the answer is the sign-in page, coming back here after."""

    def __init__(self, request: Request) -> None:
        super().__init__(request.url.path)
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        self.back = safe_next(back)

    def response(self) -> Response:
        return RedirectResponse(f"/signin?next={quote(self.back[:400])}", status_code=303, headers=_NO_STORE)
