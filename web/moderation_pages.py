"""The moderation pages: a group's moderators answer its follow requests from a browser, and instance admins also
read every group's ledger and set trust in other domains.

Each answer goes through the functions ``chiffres follows approve|reject`` calls, so that the follower receives
the same ``Accept`` or ``Reject`` whichever way the moderator chose. A moderator acts on their own groups only:
every request is checked against the group named in the address, and a follow of another group is not found.
Admins are the accounts ``chiffres account admin`` marks; nothing on a page can make one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors import follows, membership, store
from actors.actor import Actor, is_valid_name
from fedi.instance import Instance
from ledger import claims, reciprocity
from ledger.reciprocity import CONSULTATIONS, CONTRIBUTIONS, DEFAULT_DAYS, Tally
from web import accounts, dates, display
from web.account_pages import AccountPages
from web.accounts import Account
from web.catalog import translator
from web.pages import Pages
from web.session import Session

#: The ledger's columns in the order of ``chiffres ledger top``; a correction's ``moved`` follows ``corrected``.
LEDGER_COLUMNS = (*CONTRIBUTIONS[:4], "moved", "source", *CONSULTATIONS)
ACTIONS = ("approve", "reject", "revoke")
MAX_DAYS = 3650
_MAX_ID_DIGITS = 18  # below PostgreSQL's bigint: a longer id names no follow and must not reach the database


@dataclass(frozen=True)
class Profile:
    """Who asked to join, as a moderator needs to see them: where to read more, and what they accepted."""

    uri: str
    handle: str
    display_name: str
    link: str | None
    charter_version: str | None


@dataclass(frozen=True)
class Row:
    """One follow of the group on the page: its id for the buttons, the person, and when."""

    id: int
    profile: Profile
    at: datetime | None
    ledger: list[Tally]


def trust_value(text: str) -> float | None:
    """A trust level as typed, with a decimal comma or point; None unless it is a number from 0 to 1."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned or len(cleaned) > 12:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= 1 else None


class ModerationPages:
    """The moderation routes of one instance, behind the account pages' sessions and CSRF checks."""

    def __init__(self, instance: Instance, pages: Pages, account_pages: AccountPages) -> None:
        self._instance = instance
        self._pool = instance.pool
        self._urls = instance.urls
        self._pages = pages
        self._accounts = account_pages

    @property
    def _t(self) -> Callable[[str], str]:
        return translator(self._pages.language)

    def _when(self, moment: datetime | None) -> str:
        return dates.moment(moment, self._pages.language)

    def routes(self) -> list[Route]:
        guarded = self._accounts.guarded
        return [
            Route("/moderation", guarded(self.index), methods=["GET"]),
            Route("/moderation/groups/{name}", guarded(self.group), methods=["GET", "POST"]),
            Route("/moderation/ledger", guarded(self.ledger), methods=["GET"]),
            Route("/moderation/trust", guarded(self.trust), methods=["GET", "POST"]),
        ]

    # --- Who may see what ------------------------------------------------------------------------------------------

    async def _viewer(self, request: Request, current: Session) -> Account | Response:
        """The signed-in account, or the way to sign in and come back here."""
        found = await self._accounts.account(current)
        if found is not None:
            return found
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(
            f"/signin?next={quote(back[:400])}", status_code=303, headers={"Cache-Control": "no-store"}
        )

    async def _groups(self, viewer: Account) -> list[Actor]:
        """The groups this account answers for: all of them for an admin, else those it moderates."""
        groups = [actor for actor in await store.listing(self._pool) if actor.kind == "group"]
        if viewer.admin:
            return groups
        me = self._urls.actor(viewer.name)
        return [group for group in groups if await membership.moderated_by(self._pool, self._urls, group, me)]

    async def _moderated_group(self, viewer: Account, name: str) -> Actor | Response:
        group = await store.find(self._pool, name) if is_valid_name(name) else None
        if group is None or group.kind != "group":
            return self._accounts.error(404, "mod_err_no_group")
        me = self._urls.actor(viewer.name)
        if not viewer.admin and not await membership.moderated_by(self._pool, self._urls, group, me):
            return self._accounts.error(403, "mod_err_not_moderator")
        return group

    # --- The list of groups ----------------------------------------------------------------------------------------

    async def index(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        viewer = await self._viewer(request, current)
        if not isinstance(viewer, Account):
            return viewer
        groups = await self._groups(viewer)
        if not groups and not viewer.admin:
            return self._accounts.error(403, "mod_err_forbidden")
        counted = [(group, len(await membership.pending_for(self._pool, self._urls, group))) for group in groups]
        return self._accounts.page(
            current, "moderation.html", title=self._t("mod_title"), viewer=viewer, groups=counted
        )

    # --- One group: its requests and members -----------------------------------------------------------------------

    async def group(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        viewer = await self._viewer(request, current)
        if not isinstance(viewer, Account):
            return viewer
        group = await self._moderated_group(viewer, request.path_params["name"])
        if not isinstance(group, Actor):
            return group
        if request.method == "POST":
            return await self._answer(current, group, fields)
        pending = await membership.pending_for(self._pool, self._urls, group)
        now = self._instance.clock()
        requests = [
            Row(
                waiting.id,
                await self._profile(waiting.follower, waiting.id),
                waiting.created_at,
                await reciprocity.show(self._pool, waiting.follower, now),
            )
            for waiting in pending
        ]
        members = [
            Row(member.id, await self._profile(member.follower, member.id), member.answered_at, [])
            for member in await self._members(group)
        ]
        return self._accounts.page(
            current,
            "moderation_group.html",
            title=f"{self._t('mod_group_title')} {group.name}",
            group=group,
            policy=await membership.policy(self._pool, group),
            requests=requests,
            members=members,
            when=self._when,
            local_name=self._urls.local_name,
            days=DEFAULT_DAYS,
        )

    async def _members(self, group: Actor) -> list[follows.Follow]:
        uri = store.uri_of(self._urls, group)
        found = await follows.listing(self._pool, self._urls, actor=group)
        return [follow for follow in found if follow.followee == uri and follow.state == "accepted"]

    async def _answer(self, current: Session, group: Actor, fields: dict[str, str]) -> Response:
        """Approve or reject a pending request, or revoke a member, of this group only; then back to the page."""
        action, raw = fields.get("action", ""), fields.get("follow", "").strip()
        if action not in ACTIONS:
            return self._accounts.error(400, "mod_err_action")
        if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_ID_DIGITS:
            return self._accounts.error(404, "mod_err_no_request")
        follow_id = int(raw)
        if action == "revoke":
            targets = {follow.id for follow in await self._members(group)}
        else:
            targets = {waiting.id for waiting in await membership.pending_for(self._pool, self._urls, group)}
        if follow_id not in targets:
            return self._accounts.error(404, "mod_err_no_request")
        answer = follows.approve if action == "approve" else follows.reject
        try:
            await answer(self._pool, self._urls, [follow_id], self._instance.clock, group)
        except follows.FollowError:
            return self._accounts.error(404, "mod_err_no_request")
        return self._accounts.redirect(current, f"/moderation/groups/{group.name}")

    async def _profile(self, uri: str, follow_id: int) -> Profile:
        """Handle, display name, a page to read and the charter version accepted (on joining, or at sign-up)."""
        accepted: str | None = await self._pool.fetchval("SELECT charter_version FROM follows WHERE id = $1", follow_id)
        local = self._urls.local_name(uri)
        if local is not None:
            actor = await store.find(self._pool, local)
            account = await accounts.find(self._pool, local)
            return Profile(
                uri,
                f"@{local}@{self._urls.domain}",
                actor.display_name if actor else "",
                self._urls.actor(local),
                accepted or (account.charter_version if account else None),
            )
        row = await self._pool.fetchrow(
            "SELECT preferred_username, domain, document->>'name' AS name, document->>'url' AS url"
            " FROM remote_actors WHERE uri = $1",
            uri,
        )
        if row is None:
            return Profile(uri, uri, "", display.web_link(uri), accepted)
        handle = f"@{row['preferred_username']}@{row['domain']}" if row["preferred_username"] else uri
        return Profile(
            uri, handle, (row["name"] or "")[:200], display.web_link(row["url"]) or display.web_link(uri), accepted
        )

    # --- The ledger ------------------------------------------------------------------------------------------------

    async def ledger(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        viewer = await self._viewer(request, current)
        if not isinstance(viewer, Account):
            return viewer
        groups = await self._groups(viewer)
        if not groups:
            return self._accounts.error(403, "mod_err_forbidden")
        chosen_name = request.query_params.get("group", "")[:64] or groups[0].name
        chosen = next((group for group in groups if group.name == chosen_name), None)
        raw_days = request.query_params.get("days", str(DEFAULT_DAYS)).strip()[:8]
        days = int(raw_days) if raw_days.isascii() and raw_days.isdigit() else 0  # "²" is a digit to isdigit
        errors: dict[str, str] = {}
        if chosen is None:
            errors["group"] = self._t("mod_err_not_moderator")
        if not 1 <= days <= MAX_DAYS:
            errors["days"] = self._t("mod_err_days")
        tallies: Sequence[Tally] = []
        if not errors and chosen is not None:
            group_uri = store.uri_of(self._urls, chosen)
            tallies = await reciprocity.top(self._pool, group_uri, self._instance.clock(), days, 100)
        return self._accounts.page(
            current,
            "moderation_ledger.html",
            400 if errors else 200,
            title=self._t("mod_ledger_title"),
            groups=groups,
            chosen=chosen_name,
            days=raw_days,
            errors=errors,
            tallies=tallies,
            columns=LEDGER_COLUMNS,
            count=lambda tally, column: tally.moved if column == "moved" else tally.counts[column],
            when=self._when,
            local_name=self._urls.local_name,
            web_link=display.web_link,
        )

    # --- Trust in other domains ------------------------------------------------------------------------------------

    async def trust(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        viewer = await self._viewer(request, current)
        if not isinstance(viewer, Account):
            return viewer
        if not viewer.admin:
            return self._accounts.error(403, "mod_err_admin_only")
        errors: dict[str, str] = {}
        values = {"domain": fields.get("domain", "")[:300], "value": fields.get("value", "")[:20]}
        if request.method == "POST":
            domain = ""
            try:
                domain = claims.host_name(values["domain"], dev=self._instance.settings.dev)
            except claims.TrustError:
                errors["domain"] = self._t("mod_err_domain")
            value = trust_value(values["value"])
            if value is None:
                errors["value"] = self._t("mod_err_trust")
            if not errors and value is not None:
                await claims.set_trust(self._pool, domain, value)
                return self._accounts.redirect(current, "/moderation/trust")
        levels = sorted((await claims.trust_levels(self._pool)).items())
        return self._accounts.page(
            current,
            "moderation_trust.html",
            400 if errors else 200,
            title=self._t("mod_trust_title"),
            levels=levels,
            default=claims.DEFAULT_NEW_TRUST,
            values=values,
            errors=errors,
        )
