"""Normalisation of incoming ActivityStreams documents, before any handler sees them.

Servers disagree on shapes that ActivityStreams leaves open: a property may hold one value or an
array (GoToSocial sends a single ``tag`` object), a reference may be an id, an embedded object or
a Link, ``type`` may be an array (``["Note", "Figure"]`` is a Note), and text may come as
``content`` or only as ``contentMap``. Handlers get one shape: a read-only :class:`Node` (or
:class:`Activity`) whose list properties are always tuples, with accessors for references.

Anything that cannot be read that way raises :class:`MalformedActivity`, whose message the inbox
returns with a 400. Every activity must carry an absolute http(s) ``id``: Mastodon requires one,
and the inbox deduplicates deliveries on it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from fedi import documents
from fedi.domains import PLAIN_URL

__all__ = [
    "ADDRESS_PROPERTIES",
    "LIST_PROPERTIES",
    "MAX_ID_BYTES",
    "PUBLIC",
    "REFERENCE_PROPERTIES",
    "Activity",
    "MalformedActivity",
    "Node",
    "as_list",
    "id_of",
    "ids_of",
    "load_activity",
    "normalise",
    "normalise_activity",
    "normalise_object",
]

AS_NAMESPACE = "https://www.w3.org/ns/activitystreams#"
PUBLIC = AS_NAMESPACE + "Public"

#: Properties that may hold one value or an array; after normalisation they always hold a list.
LIST_PROPERTIES = frozenset({"type", "to", "cc", "bto", "bcc", "audience", "tag", "attachment", "@context", "url"})
#: Addressing properties; their public-collection spellings (``as:Public``, ``Public``) are unified.
ADDRESS_PROPERTIES = ("to", "cc", "bto", "bcc", "audience")
#: Properties whose value is an id, an embedded object or a Link.
REFERENCE_PROPERTIES = frozenset({"actor", "object", "attributedTo", "inReplyTo", "target", "origin"})
#: References that may embed an object without an id. An activity's object is often anonymous; ``inReplyTo`` may
#: hold a collection of what is replied to (fediverse-pasture), which names no single post: readers take the first
#: id there is (:meth:`Node.ref`) and ignore the rest, rather than refuse the whole reply.
_ANONYMOUS_REFERENCES = frozenset({"object", "inReplyTo"})

_TEXT_PROPERTIES = ("content", "name", "summary", "published", "updated")
_MAP_PROPERTIES = ("contentMap", "nameMap", "summaryMap")
_LINK_TYPES = frozenset({"Link", "Mention", "Hashtag"})
_PUBLIC_SPELLINGS = frozenset({"Public", "as:Public", PUBLIC})
# Real activities nest a few levels; the limit keeps hostile input from exhausting the stack.
_MAX_DEPTH = 32
# What the checks take for a JSON object: a parsed one, or one frozen by ``_frozen``.
_MAPS = (dict, MappingProxyType)
#: The longest id or reference, in UTF-8 bytes: real ones are under 200.
MAX_ID_BYTES = 1024


class MalformedActivity(ValueError):
    """The document cannot be read as an activity; the message is meant for the sender (400)."""


def as_list(value: object) -> list[Any]:
    """``value`` as a list: absent or null is empty, a single value is wrapped."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def id_of(value: object) -> str | None:
    """The id a reference points to: the string itself, an object's ``id``, a Link's ``href``.

    For an array, the first item that resolves (PeerTube lists the account before the channel
    in ``attributedTo``).
    """
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        ident, href = value.get("id"), value.get("href")
        is_link = any(isinstance(kind, str) and kind in _LINK_TYPES for kind in as_list(value.get("type")))
        if isinstance(href, str) and href and (is_link or not isinstance(ident, str)):
            return href
        return ident if isinstance(ident, str) and ident else None
    if isinstance(value, list | tuple):
        return next((found for found in map(id_of, value) if found), None)
    return None


def ids_of(value: object) -> tuple[str, ...]:
    """Every id an array (or single value) of references points to, in order."""
    return tuple(found for found in map(id_of, as_list(value)) if found)


@dataclass(frozen=True, slots=True)
class Node:
    """A read-only view of a normalised object: list properties are tuples, maps are mappings."""

    data: Mapping[str, Any]

    @property
    def id(self) -> str | None:
        ident = self.data.get("id")
        return ident if isinstance(ident, str) else None

    @property
    def types(self) -> tuple[str, ...]:
        kinds = self.data.get("type")
        if type(kinds) is tuple and all(type(kind) is str for kind in kinds):  # as normalised: kept as it is
            return kinds
        return tuple(kind for kind in as_list(kinds) if isinstance(kind, str))

    def is_a(self, *types: str) -> bool:
        """Whether any of ``types`` is among the node's types (type arrays match by inclusion)."""
        mine = self.types
        return any(kind in mine for kind in types)

    def get(self, key: str, default: Any = None) -> Any:
        """The raw (frozen) value of ``key``; a JSON null counts as absent."""
        value = self.data.get(key)
        return default if value is None else value

    def values(self, key: str) -> tuple[Any, ...]:
        return tuple(as_list(self.data.get(key)))

    def ref(self, key: str) -> str | None:
        return id_of(self.data.get(key))

    def refs(self, key: str) -> tuple[str, ...]:
        return ids_of(self.data.get(key))

    def node(self, key: str) -> Node | None:
        """The object embedded under ``key``, or ``None`` when it is only referred to by id."""
        return next(iter(self.nodes(key)), None)

    def nodes(self, key: str) -> tuple[Node, ...]:
        return tuple(Node(item) for item in self.values(key) if isinstance(item, Mapping))

    @property
    def content(self) -> str | None:
        """``content``, or else the first ``contentMap`` entry, as Mastodon reads it."""
        content = self.data.get("content")
        if isinstance(content, str):
            return content
        return next((text for text in self.content_map.values() if isinstance(text, str)), None)

    @property
    def content_map(self) -> Mapping[str, str]:
        found = self.data.get("contentMap")
        return found if isinstance(found, Mapping) else MappingProxyType({})

    @property
    def recipients(self) -> tuple[str, ...]:
        """Ids in ``to``, ``cc``, ``bto``, ``bcc`` and ``audience``, each once, in that order."""
        found = (ident for key in ADDRESS_PROPERTIES for ident in self.refs(key))
        return tuple(dict.fromkeys(found))

    @property
    def is_public(self) -> bool:
        return PUBLIC in self.recipients

    def to_json(self) -> dict[str, Any]:
        """A plain, mutable copy of the normalised document (for storage or re-serialisation)."""
        thawed: dict[str, Any] = _thaw(self.data)
        return thawed


@dataclass(frozen=True, slots=True)
class Activity(Node):
    """A normalised activity: it has an http(s) ``id``, at least one type and one ``actor``."""

    @property
    def actor(self) -> str:
        actor = self.ref("actor")
        if actor is None:  # normalise_activity guarantees it; only a hand-built Activity lacks it
            raise MalformedActivity("the activity has no actor")
        return actor

    @property
    def object_id(self) -> str | None:
        return self.ref("object")

    @property
    def object(self) -> Node | None:
        return self.node("object")


def load_activity(body: bytes | str) -> Activity:
    """Parse an inbox body as the inbox does (``fedi.documents``) and normalise it; bad JSON is a malformed activity
    too."""
    try:
        document = documents.loads(body)
    except ValueError as error:
        raise MalformedActivity(f"the body is not valid JSON: {error}") from None
    return normalise_activity(document)


def normalise_activity(document: object) -> Activity:
    """Check and normalise an incoming activity."""
    data = _frozen(document)
    _check_url(data.get("id"), "id", required=True)
    if not data.get("type"):
        raise MalformedActivity("the activity has no type")
    actors = ids_of(data.get("actor"))
    if not actors:
        raise MalformedActivity("the activity has no actor")
    if len(actors) > 1:
        raise MalformedActivity("an activity with several actors is not supported")
    _check_url(actors[0], "actor", required=True)
    _check_node(data, depth=0)
    return Activity(data)


def normalise_object(document: object) -> Node:
    """Check and normalise an object (fetched, or embedded in an activity)."""
    data = _frozen(document)
    _check_node(data, depth=0)
    return Node(data)


def normalise(document: object) -> dict[str, Any]:
    """A normalised deep copy of ``document``, as plain mutable JSON.

    List properties become lists, ActivityStreams types lose their namespace (``as:Note`` and
    the full IRI read as ``Note``), and the public collection has one spelling.
    """
    if not isinstance(document, dict):
        raise MalformedActivity("an activity must be a JSON object")
    normalised: dict[str, Any] = _normalise_object(document, 0, list, dict)
    return normalised


def _frozen(document: object) -> Mapping[str, Any]:
    """What ``normalise`` gives, made read-only as it is made (maps, and tuples for lists): one copy, not two."""
    if not isinstance(document, dict):
        raise MalformedActivity("an activity must be a JSON object")
    frozen: Mapping[str, Any] = _normalise_object(document, 0, tuple, MappingProxyType)
    return frozen


def _normalise_object(
    document: Mapping[str, Any], depth: int, sequence: Callable[..., Any], mapping: Callable[..., Any]
) -> Any:
    if depth > _MAX_DEPTH:
        raise MalformedActivity("the document is nested too deeply")
    result: dict[str, Any] = {}
    for key, raw in document.items():
        if not isinstance(raw, dict | list):
            if key not in LIST_PROPERTIES:  # a string, a number: as it is
                result[key] = raw
                continue
            if isinstance(raw, str) and depth < _MAX_DEPTH and key not in ADDRESS_PROPERTIES:  # "Like", a context
                result[key] = sequence([_short_type(raw) if key == "type" else raw])
                continue
        value = _normalise_value(as_list(raw) if key in LIST_PROPERTIES else raw, depth + 1, sequence, mapping)
        if key == "type":
            value = sequence(_short_type(kind) for kind in value)
        elif key in ADDRESS_PROPERTIES:
            value = sequence(PUBLIC if isinstance(item, str) and item in _PUBLIC_SPELLINGS else item for item in value)
        result[key] = value
    return mapping(result)


def _normalise_value(value: Any, depth: int, sequence: Callable[..., Any], mapping: Callable[..., Any]) -> Any:
    if isinstance(value, dict):
        return _normalise_object(value, depth, sequence, mapping)
    if isinstance(value, list):
        if depth > _MAX_DEPTH:
            raise MalformedActivity("the document is nested too deeply")
        return sequence([_normalise_value(item, depth + 1, sequence, mapping) for item in value])
    return value


def _short_type(kind: object) -> str:
    if not isinstance(kind, str) or not kind:
        raise MalformedActivity("`type` must be a string or an array of strings")
    for prefix in (AS_NAMESPACE, "as:"):
        if kind.startswith(prefix) and len(kind) > len(prefix):
            return kind[len(prefix) :]
    return kind


def _check_node(data: Mapping[str, Any], depth: int) -> None:
    """Type checks on an activity or object, and on the objects embedded in its ``object``.

    One pass over the properties the document has, each sent to its check (``_CHECKS``): an activity holds a
    handful of the twenty-odd properties checked, and looking each of those up in turn cost more than the rest.
    """
    for key, value in data.items():
        check = _CHECKS.get(key)
        if check is not None:
            check(value, key)
    if depth < _MAX_DEPTH:
        for embedded in as_list(data.get("object")):
            if isinstance(embedded, _MAPS):
                _check_node(embedded, depth + 1)


def _check_references(value: object, key: str) -> None:
    for item in as_list(value):
        if isinstance(item, str) and item:
            _check_length(item, key)
            continue
        if isinstance(item, _MAPS) and ((ident := id_of(item)) is not None or key in _ANONYMOUS_REFERENCES):
            if ident is not None:
                _check_length(ident, key)
            continue
        raise MalformedActivity(f"`{key}` must be an id, an object with an id, or a link")


def _check_items(value: object, key: str) -> None:
    if not all(isinstance(item, (*_MAPS, str)) for item in as_list(value)):
        raise MalformedActivity(f"`{key}` must hold objects or links")


def _check_text(value: object, key: str) -> None:
    if not isinstance(value, str | None):
        raise MalformedActivity(f"`{key}` must be a string")


def _check_language_map(value: object, key: str) -> None:
    if value is None:
        return
    if not isinstance(value, _MAPS) or not all(isinstance(text, str) for text in value.values()):
        raise MalformedActivity(f"`{key}` must map language tags to strings")


def _check_id(value: object, key: str) -> None:
    _check_url(value, key, required=False)


_CHECKS: dict[str, Callable[[object, str], None]] = {
    "id": _check_id,
    **dict.fromkeys(REFERENCE_PROPERTIES, _check_references),
    **dict.fromkeys(ADDRESS_PROPERTIES, _check_references),
    **dict.fromkeys(("tag", "attachment"), _check_items),
    **dict.fromkeys(_TEXT_PROPERTIES, _check_text),
    **dict.fromkeys(_MAP_PROPERTIES, _check_language_map),
}


def _check_url(value: object, key: str, *, required: bool) -> None:
    if value is None and not required:
        return
    if value is None:
        raise MalformedActivity(f"the activity has no `{key}`")
    if not isinstance(value, str):
        raise MalformedActivity(f"`{key}` must be a string")
    _check_length(value, key)
    absolute = _is_http_url(value)
    if absolute is None:
        raise MalformedActivity(f"`{key}` is not a valid URL")
    if not absolute:
        raise MalformedActivity(f"`{key}` must be an absolute http(s) URL, not {value[:200]!r}")


def _check_length(value: str, key: str) -> None:
    """Ids are keys of unique indexes, whose entries PostgreSQL keeps under 2,704 bytes (two ids together, an
    activity's and its actor's): a longer one would fail the statement that stores it."""
    if len(value) > MAX_ID_BYTES or (not value.isascii() and len(value.encode("utf-8")) > MAX_ID_BYTES):
        raise MalformedActivity(f"`{key}` is longer than {MAX_ID_BYTES} bytes")


@functools.lru_cache(maxsize=1024)
def _is_http_url(value: str) -> bool | None:
    """Whether ``value`` is an absolute http(s) URL (None: not a URL at all). Kept for the strings that come back:
    an actor's id is checked in each of its activities, and an activity's own id twice.

    A plain URL (``fedi.domains.PLAIN_URL``) is one without asking ``urlsplit``, which would say the same: an
    activity's id is new each time, so the cache never holds it.
    """
    if PLAIN_URL.match(value):
        return True
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return value
