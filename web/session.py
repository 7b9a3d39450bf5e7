"""The browser session: a signed cookie, and the CSRF token of every form.

The cookie holds the account (if signed in), the account's session epoch, a CSRF token and the time it was issued,
signed with HMAC-SHA256; nothing is stored server-side, and raising the account's epoch (a new password, a disabled
account) ends every cookie at once. It is HttpOnly (no script reads it), SameSite=Lax (another site's form posts
without it) and Secure outside development, where the instance runs on http. Forms carry the session's CSRF token;
a POST whose token does not match its cookie is refused, as is a POST with no session at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "chiffres_session"
MAX_AGE = 30 * 24 * 3600  # a month; signing in again after that is no hardship
_KEY_FILE = "session.key"


@dataclass(frozen=True)
class Session:
    csrf: str
    issued: int
    account_id: int | None = None
    epoch: int = 0

    def signed_in(self, account_id: int, epoch: int) -> Session:
        """A new CSRF token at sign-in: a token seen before it (a fixated session) is worth nothing after."""
        return replace(self, account_id=account_id, epoch=epoch, csrf=secrets.token_urlsafe(24))


def new(now: int) -> Session:
    return Session(csrf=secrets.token_urlsafe(24), issued=now)


def key_from(secret: str | None, data_dir: Path) -> bytes:
    """The setting when given (several web machines share it), else a key kept in the data directory, made on first
    use and readable by its owner only."""
    if secret:
        return hashlib.sha256(secret.encode()).digest()
    path = data_dir / _KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text().strip())
    key = secrets.token_bytes(32)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key.hex())
    return key


class Cookies:
    """Reads and writes the session cookie with one key; ``secure`` is False only in development (http)."""

    def __init__(self, key: bytes, *, secure: bool) -> None:
        self._key = key
        self._secure = secure

    def _sign(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key, payload, hashlib.sha256).digest()).decode().rstrip("=")

    def dumps(self, session: Session) -> str:
        data = {"c": session.csrf, "t": session.issued, "a": session.account_id, "e": session.epoch}
        payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload.encode())}"

    def loads(self, value: str, now: int) -> Session | None:
        """The session, or None for a cookie that is forged, damaged or too old."""
        payload, _, signature = value.partition(".")
        if len(value) > 1024 or not hmac.compare_digest(self._sign(payload.encode()), signature):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            session = Session(csrf=str(data["c"]), issued=int(data["t"]), account_id=data["a"], epoch=int(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        if session.account_id is not None and not isinstance(session.account_id, int):
            return None
        return session if 0 <= now - session.issued < MAX_AGE else None

    def read(self, request: Request, now: int) -> Session | None:
        value = request.cookies.get(COOKIE)
        return self.loads(value, now) if value else None

    def write(self, response: Response, session: Session) -> Response:
        response.set_cookie(
            COOKIE,
            self.dumps(session),
            max_age=MAX_AGE,
            path="/",
            secure=self._secure,
            httponly=True,
            samesite="lax",
        )
        return response


def csrf_matches(session: Session | None, sent: str | None) -> bool:
    return session is not None and sent is not None and hmac.compare_digest(session.csrf, sent)
