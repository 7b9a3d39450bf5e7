"""How a Mastodon-family server reads what reaches it: media types, actors, signatures' parts, addressing, posts.

Pure functions for ``tests.support.strict_receiver``, each a rule that INTEROP.md ("Strict receivers", "HTTP
signatures", "Follow flow") states and Mastodon's or Takahē's code applies. A rule that is not met raises
``Refused`` with a reason one line long, which the receiver records.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import urlsplit

from tests.support.remote_server import ACTIVITY_JSON, AS2

JSON = dict[str, Any]
PUBLIC: Final = frozenset({AS2 + "#Public", "as:Public", "Public"})
ACTOR_TYPES: Final = frozenset({"Application", "Group", "Organization", "Person", "Service"})
POST_TYPES: Final = frozenset({"Note", "Question"})
DATE_AHEAD: Final = timedelta(hours=1)
DATE_BEHIND: Final = timedelta(hours=1, minutes=5)


class Refused(Exception):
    """Why a strict server will not take an activity or a document."""


def is_activity_json(media_type: str) -> bool:
    """``application/activity+json``, or ``application/ld+json`` with the ActivityStreams profile: a bare ld+json
    is refused, as Mastodon refuses it."""
    main, _, rest = media_type.partition(";")
    main = main.strip().lower()
    return main == ACTIVITY_JSON or (main == "application/ld+json" and AS2 in rest)


def actor_document(document: JSON, url: str) -> JSON:
    """The fields Mastodon requires of an actor before it files anything under it."""
    problems = [
        "no ActivityStreams context" if AS2 not in as_list(document.get("@context")) else "",
        f"type {document.get('type')!r}" if not types_of(document) & ACTOR_TYPES else "",
        f"id {document.get('id')!r} is not where it was fetched, {url}" if document.get("id") != url else "",
        "no inbox" if not isinstance(document.get("inbox"), str) else "",
        "no preferredUsername" if not isinstance(document.get("preferredUsername"), str) else "",
    ]
    found = [problem for problem in problems if problem]
    if found:
        raise Refused(f"actor {url}: {'; '.join(found)}")
    return document


def check_authorship(activity: JSON, post: JSON, actor: str) -> None:
    """Takahē's rule: the activity's actor must be the object's ``attributedTo``, which lives on the object's host."""
    attributed = id_of(post.get("attributedTo"))
    if attributed != actor:
        raise Refused(f"{activity.get('type')} by {actor} of {post.get('id')} attributed to {attributed}")
    if urlsplit(str(post.get("id"))).netloc != urlsplit(actor).netloc:
        raise Refused(f"{post.get('id')} is not on its author's host")


def check_date(value: str, now: datetime) -> None:
    """Mastodon's window: not more than an hour ahead, not older than an hour and five minutes."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise Refused(f"unreadable Date {value!r}") from None
    if moment.tzinfo is None or not now - DATE_BEHIND <= moment <= now + DATE_AHEAD:
        raise Refused(f"Date {value!r} is outside the accepted window")


def check_digest(value: str, body: bytes) -> None:
    """``Digest: SHA-256=…`` of the body, written exactly so: Takahē compares the whole header with the digest it
    computes, so ``sha-256=`` (which Mastodon would take) fails there."""
    if value != "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii"):
        raise Refused(f"the Digest {value[:60]!r} is not SHA-256= of the body")


def signing_string(method: str, target: str, covered: list[str], header: Callable[[str], list[str]]) -> bytes:
    """The draft-cavage signing string over ``covered``, in its order; ``target`` is the path (and query)."""
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
            continue
        values = header(name)
        if not values:
            raise Refused(f"the signed header {name} is missing")
        lines.append(f"{name}: {', '.join(values)}")
    return "\n".join(lines).encode()


def visibility(post: JSON, followers: str | None, followed: bool, local: set[str]) -> str:
    """Mastodon's reading of a post's addressing (``to`` only for followers), and its rule that a post must come
    from someone followed here or be addressed to someone here."""
    to, cc = set(ids_of(post.get("to"))), set(ids_of(post.get("cc")))
    if not (followed or (to | cc) & local):
        raise Refused(f"{post.get('id')} comes from no one followed here and is addressed to no one here")
    if to & PUBLIC:
        return "public"
    if cc & PUBLIC:
        return "unlisted"
    if followers and followers in to:
        return "followers"
    if followers and followers in cc:
        raise Refused(f"{post.get('id')} puts the followers collection in cc: Mastodon reads only to")
    if (to | cc) & local:
        return "direct"
    raise Refused(f"{post.get('id')} is addressed to neither the public nor its author's followers in to")


def content_of(post: JSON) -> str:
    """``content``, or else the first ``contentMap`` entry."""
    content = post.get("content")
    if isinstance(content, str):
        return content
    content_map = post.get("contentMap")
    first = next(iter(content_map.values()), "") if isinstance(content_map, dict) and content_map else ""
    return str(first)


def tags_of(post: JSON, kind: str) -> list[JSON]:
    return [tag for tag in as_list(post.get("tag")) if isinstance(tag, dict) and kind in types_of(tag)]


def moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def types_of(document: object) -> set[str]:
    kind = document.get("type") if isinstance(document, dict) else None
    return {str(item) for item in as_list(kind)}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def id_of(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def ids_of(value: object) -> list[str]:
    return [found for item in as_list(value) if (found := id_of(item)) is not None]
