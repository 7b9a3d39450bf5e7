"""The language a page speaks: chosen per request, French when nothing says otherwise.

The choice, in order: ``?lang=`` on the address (the switch at the foot of every page, which also keeps the choice
in a cookie), the cookie, the browser's ``Accept-Language``, then the instance's language. It is made once, by the
:class:`Languages` middleware, and held for the request in a context variable that the page renderer reads, so that
no route has to carry it; pages that depend on it vary on ``Accept-Language`` and ``Cookie``.
"""

from __future__ import annotations

from contextvars import ContextVar
from http.cookies import CookieError, SimpleCookie

from babel import Locale, UnknownLocaleError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fedi.config import LANGUAGES

COOKIE = "chiffres_lang"
_YEAR = 365 * 24 * 3600
_CURRENT: ContextVar[str | None] = ContextVar("chiffres_language", default=None)


def current(default: str) -> str:
    """The language of the request being answered, or ``default`` outside one (the command line, the worker)."""
    return _CURRENT.get() or default


def accepted(header: str | None) -> str | None:
    """The first of our languages the browser accepts, by its ``q`` values; None when it accepts none of them."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0 or not tag.strip():
            continue
        try:
            language = Locale.parse(tag.strip().replace("-", "_")).language
        except (UnknownLocaleError, ValueError, TypeError):
            continue
        ranked.append((-quality, position, language))
    return next((language for _, _, language in sorted(ranked) if language in LANGUAGES), None)


def chosen(query: str | None, cookie: str | None, accept_language: str | None, default: str) -> str:
    for candidate in (query, cookie, accepted(accept_language)):
        if candidate in LANGUAGES:
            return str(candidate)
    return default


class Languages:
    """Pure ASGI middleware: chooses the request's language and, when ``?lang=`` chose it, remembers it."""

    def __init__(self, app: ASGIApp, default: str) -> None:
        self._app = app
        self._default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        query = _query_lang(scope.get("query_string", b"").decode("latin-1"))
        cookie = _cookie(headers.get("cookie", ""))
        language = chosen(query, cookie, headers.get("accept-language"), self._default)
        token = _CURRENT.set(language)

        async def remembering(message: Message) -> None:
            if message["type"] == "http.response.start":
                response = MutableHeaders(scope=message)
                if response.get("content-type", "").startswith("text/html"):
                    response.add_vary_header("Accept-Language")
                    response.add_vary_header("Cookie")
                    response.setdefault("content-language", language)
                if query in LANGUAGES and query != cookie:
                    response.append("set-cookie", f"{COOKIE}={query}; Max-Age={_YEAR}; Path=/; SameSite=Lax")
            await send(message)

        try:
            await self._app(scope, receive, remembering)
        finally:
            _CURRENT.reset(token)


def _query_lang(query: str) -> str | None:
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "lang":
            return value
    return None


def _cookie(header: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:  # a malformed cookie header chooses nothing
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else None
