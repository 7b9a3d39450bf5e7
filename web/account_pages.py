"""The pages of web accounts: sign-up, sign-in, sign-out, a password changed or reset by a one-time link.

Every form carries the session's CSRF token and every POST checks it first (403 otherwise). A form refused shows
its messages beside the fields and keeps what was typed, passwords excepted. Who may sign up follows the instance's
``signup`` setting: ``open`` opens the account at once, ``approval`` leaves it pending until an admin approves it
(``chiffres account approve``), ``invitation`` asks for a link from ``chiffres account invite``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from actors import store
from actors.actor import is_valid_name
from fedi.instance import Instance
from ledger import charter
from web import accounts, form, onetime, session, throttle
from web.accounts import Account, AccountError
from web.catalog import translator
from web.pages import Pages
from web.session import Cookies, Session

Handler = Callable[[Request], Awaitable[Response]]
BrowsingAs = Callable[[Request], Awaitable[str | None]]
_NO_STORE = {"Cache-Control": "no-store"}


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of ours, never another site (``//host`` or ``/\\host``)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 512:
        return "/"
    return value if value.isprintable() else "/"


def password_errors(fields: Mapping[str, str]) -> dict[str, str]:
    """The catalog keys of what is wrong with a new password typed twice."""
    password = fields.get("password", "")
    if len(password) < accounts.MIN_PASSWORD:
        return {"password": "err_password_short"}
    if len(password) > accounts.MAX_PASSWORD:
        return {"password": "err_password_long"}
    if fields.get("password2", "") != password:
        return {"password2": "err_password_mismatch"}
    return {}


class AccountPages:
    """The account routes around one instance, its pages and its session cookies."""

    def __init__(self, instance: Instance, pages: Pages, cookies: Cookies) -> None:
        self._instance = instance
        self._pool = instance.pool
        self._pages = pages
        self._cookies = cookies

    @property
    def _t(self) -> Callable[[str], str]:
        """Messages in the language of the request being answered."""
        return translator(self._pages.language)

    def routes(self) -> list[Route]:
        return [
            Route("/signup", self.guarded(self.signup), methods=["GET", "POST"]),
            Route("/signin", self.guarded(self.signin), methods=["GET", "POST"]),
            Route("/signout", self.guarded(self.signout), methods=["POST"]),
            Route("/account/password", self.guarded(self.password), methods=["GET", "POST"]),
            Route("/reset/{token}", self.guarded(self.reset), methods=["GET", "POST"]),
        ]

    # --- Sessions --------------------------------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._instance.clock().timestamp())

    def session_of(self, request: Request) -> Session:
        return self._cookies.read(request, self._now()) or session.new(self._now())

    async def account(self, current: Session | None) -> Account | None:
        """The signed-in account: active, and signed in since its last password change."""
        if current is None or current.account_id is None:
            return None
        found = await accounts.by_id(self._pool, current.account_id)
        if found is None or found.state != "active" or found.session_epoch != current.epoch:
            return None
        return found

    async def signed_in(self, request: Request) -> Account | None:
        """The account signed in on this browser, if any (active, and signed in since its last password change)."""
        return await self.account(self._cookies.read(request, self._now()))

    async def browsing_as(self, request: Request) -> str | None:
        """The actor id of the person signed in on this browser, for pages that show more to members."""
        found = await self.account(self._cookies.read(request, self._now()))
        return self._instance.urls.actor(found.name) if found else None

    def guarded(self, handler: Callable[[Request, Session, dict[str, str]], Awaitable[Response]]) -> Handler:
        """Reads the session and, for a POST, the form and its CSRF token; refusals are pages, never a 500."""

        async def guarded(request: Request) -> Response:
            if request.method != "POST":
                return await handler(request, self.session_of(request), {})
            current = self._cookies.read(request, self._now())
            try:
                fields = await form.read(request)
            except form.FormTooLarge:
                return self.error(413, "err_form_large")
            if current is None or not session.csrf_matches(current, fields.get("csrf")):
                return self.error(403, "err_csrf")
            return await handler(request, current, fields)

        return guarded

    def error(self, status: int, key: str) -> Response:
        return HTMLResponse(self._pages.error(status, self._t(key)), status_code=status, headers=_NO_STORE)

    def page(self, current: Session, template: str, status: int = 200, **values: object) -> Response:
        body = self._pages.account(template, csrf=current.csrf, **values)
        return self._cookies.write(HTMLResponse(body, status_code=status, headers=_NO_STORE), current)

    def notice(self, current: Session, title: str, message: str, link: str = "", link_text: str = "") -> Response:
        return self.page(current, "notice.html", title=title, message=message, link=link, link_text=link_text)

    def redirect(self, current: Session, to: str) -> Response:
        return self._cookies.write(RedirectResponse(to, status_code=303, headers=_NO_STORE), current)

    def _translated(self, errors: Mapping[str, str]) -> dict[str, str]:
        return {field: self._t(key) for field, key in errors.items()}

    # --- Sign-up ---------------------------------------------------------------------------------------------------

    async def signup(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        policy = self._instance.settings.signup
        invitation = fields.get("invitation") or request.query_params.get("invitation", "")
        if policy == "invitation" and not await onetime.valid(
            self._pool, invitation, "invitation", self._instance.clock()
        ):
            key = "err_invitation_used" if invitation else "err_invitation"
            return self.error(403, key)
        if request.method != "POST":
            return self._signup_form(current, invitation if policy == "invitation" else "", {}, {})
        errors = await self._signup_errors(fields)
        if errors:
            return self._signup_form(current, invitation, fields, errors, status=400)
        version = charter.load(self._instance.settings.data_dir).version
        try:
            created = await self._create(fields, version, invitation if policy == "invitation" else None)
        except AccountError:
            return self._signup_form(current, invitation, fields, {"name": "err_name_taken"}, status=400)
        if created is None:
            return self.error(403, "err_invitation_used")
        if created.state != "active":
            return self.notice(current, self._t("account_created"), self._t("notice_pending"))
        return self.redirect(current.signed_in(created.id, created.session_epoch), "/")

    def _signup_form(
        self,
        current: Session,
        invitation: str,
        fields: Mapping[str, str],
        errors: Mapping[str, str],
        status: int = 200,
    ) -> Response:
        values = {"name": fields.get("name", "")[:30], "charter": fields.get("charter", "")}
        return self.page(
            current,
            "signup.html",
            status,
            title=self._t("signup"),
            values=values,
            errors=self._translated(errors),
            invitation=invitation,
        )

    async def _signup_errors(self, fields: Mapping[str, str]) -> dict[str, str]:
        errors: dict[str, str] = {}
        name = fields.get("name", "").strip().lower()
        if not is_valid_name(name):
            errors["name"] = "err_name"
        elif await store.find(self._pool, name) is not None:
            errors["name"] = "err_name_taken"
        errors |= password_errors(fields)
        if fields.get("charter") != "yes":
            errors["charter"] = "err_charter"
        return errors

    async def _create(self, fields: Mapping[str, str], version: str, invitation: str | None) -> Account | None:
        """The account, active unless an admin must approve it; None when the invitation was spent meanwhile."""
        name, password = fields.get("name", ""), fields.get("password", "")
        if invitation is None:
            state: accounts.State = "active" if self._instance.settings.signup == "open" else "pending"
            return await accounts.create(self._pool, name, password, version, state=state)
        async with self._pool.acquire() as connection, connection.transaction():
            spent, _ = await onetime.consume(connection, invitation, "invitation", self._instance.clock())
            if not spent:
                return None
            return await accounts.create(connection, name, password, version, state="active")

    # --- Sign-in and sign-out --------------------------------------------------------------------------------------

    async def signin(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        next_path = safe_next(fields.get("next") or request.query_params.get("next"))
        if request.method != "POST":
            return self._signin_form(current, next_path, "", {})
        name, password = fields.get("name", ""), fields.get("password", "")
        address = request.client.host if request.client else "unknown"
        now = self._instance.clock()
        if await throttle.blocked(self._pool, name, address, now):
            return self._signin_form(current, next_path, name, {"form": "err_too_many"}, status=429)
        found = await accounts.verify(self._pool, name, password)
        if found is None:
            await throttle.failed(self._pool, name, address, now)
            return self._signin_form(current, next_path, name, {"form": "err_credentials"}, status=401)
        if found.state != "active":
            key = "err_pending" if found.state == "pending" else "err_disabled"
            return self._signin_form(current, next_path, name, {"form": key}, status=403)
        return self.redirect(current.signed_in(found.id, found.session_epoch), next_path)

    def _signin_form(
        self, current: Session, next_path: str, name: str, errors: Mapping[str, str], status: int = 200
    ) -> Response:
        values = {"name": name.strip()[:30]}
        return self.page(current, "signin.html", status, values=values, errors=self._translated(errors), next=next_path)

    async def signout(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        return self.redirect(session.new(self._now()), "/")

    # --- Passwords -------------------------------------------------------------------------------------------------

    async def password(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        found = await self.account(current)
        if found is None:
            return RedirectResponse("/signin?next=/account/password", status_code=303, headers=_NO_STORE)
        errors: dict[str, str] = {}
        if request.method == "POST":
            errors = password_errors(fields)
            if not errors and await accounts.verify(self._pool, found.name, fields.get("current", "")) is None:
                errors = {"current": "err_current_password"}
            if not errors:
                await accounts.set_password(self._pool, found.id, fields["password"])
                renewed = current.signed_in(found.id, found.session_epoch + 1)
                return self.notice(renewed, self._t("done"), self._t("notice_password_changed"))
        return self._password_form(current, "/account/password", found.name, errors)

    def _password_form(self, current: Session, action: str, name: str, errors: Mapping[str, str]) -> Response:
        title = self._t("change_password" if name else "reset_password")
        return self.page(
            current,
            "password.html",
            400 if errors else 200,
            title=title,
            action=action,
            name=name,
            ask_current=bool(name),
            errors=self._translated(errors),
        )

    async def reset(self, request: Request, current: Session, fields: dict[str, str]) -> Response:
        token = request.path_params["token"]
        now = self._instance.clock()
        if not await onetime.valid(self._pool, token, "reset", now):
            return self.error(404, "err_link")
        action = f"/reset/{token}"
        if request.method != "POST":
            return self._password_form(current, action, "", {})
        errors = password_errors(fields)
        if errors:
            return self._password_form(current, action, "", errors)
        async with self._pool.acquire() as connection, connection.transaction():
            spent, account_id = await onetime.consume(connection, token, "reset", now)
            if spent and account_id is not None:
                await accounts.set_password(connection, account_id, fields["password"])
        if not spent or account_id is None:
            return self.error(404, "err_link")
        return self.notice(
            session.new(self._now()), self._t("done"), self._t("notice_password_set"), "/signin", self._t("signin")
        )
