"""JSON-LD processing that never touches the network.

Remote servers name contexts by URL; fetching them would let any sender make us issue requests
and would tie our inbox to the uptime of w3.org and w3id.org. Every context we accept is a
vendored copy in ``schemas/contexts`` (see its README for sources and licences); any other URL
raises :class:`ContextNotAvailable`. The loader is always passed explicitly to pyld, never
installed as pyld's global default, so importing this module changes nothing elsewhere.

Exceptions::

    pyld JsonLdError
     └── LinkedDataError            anything this module raises
          ├── ContextNotAvailable   a context URL that is not vendored
          └── InvalidLinkedData     the document cannot be processed as JSON-LD
"""

from __future__ import annotations

import copy
import json
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from pyld import jsonld as _pyld
from pyld.context_resolver import ContextResolver

import schemas

__all__ = [
    "ACTIVITYSTREAMS",
    "CONTEXT_FILES",
    "ContextNotAvailable",
    "InvalidLinkedData",
    "LinkedDataError",
    "canonicalize",
    "compact",
    "context_file",
    "expand",
    "offline_loader",
    "outgoing_context",
]

ACTIVITYSTREAMS = "https://www.w3.org/ns/activitystreams"

#: Vendored context files by the URLs servers write in ``@context``, including the targets the
#: w3id.org redirects point to. Lookups ignore the scheme, a fragment, a trailing ``/`` and a
#: trailing ``.jsonld`` (see :func:`context_file`).
CONTEXT_FILES: Mapping[str, str] = {
    ACTIVITYSTREAMS: "activitystreams.json",
    "https://w3id.org/security/v1": "security-v1.json",
    "https://w3c-ccg.github.io/security-vocab/contexts/security-v1.jsonld": "security-v1.json",
    "https://web-payments.org/contexts/security-v1.jsonld": "security-v1.json",
    "https://w3id.org/security/v2": "security-v2.json",
    "https://w3c-ccg.github.io/security-vocab/contexts/security-v2.jsonld": "security-v2.json",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.json",
    "https://w3c.github.io/vc-data-integrity/contexts/data-integrity/v1.jsonld": "data-integrity-v1.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.json",
    "https://www.w3.org/2025/credentials/vcdi/context/v2.jsonld": "data-integrity-v2.json",
    "https://w3c.github.io/vc-data-integrity/contexts/data-integrity/v2.jsonld": "data-integrity-v2.json",
    "https://w3id.org/security/multikey/v1": "multikey-v1.json",
    "https://www.w3.org/2025/credentials/vcdi/multikey/context/v1.jsonld": "multikey-v1.json",
    "https://w3c.github.io/vc-data-integrity/contexts/multikey/v1.jsonld": "multikey-v1.json",
    "https://w3id.org/identity/v1": "identity-v1.json",
    "https://web-payments.org/contexts/identity-v1.jsonld": "identity-v1.json",
    "https://purl.archive.org/socialweb/webfinger": "webfinger.json",
    schemas.CHIFFRES_CONTEXT_URL: "chiffres.json",
}

#: Contexts that each server serves from its own host under a fixed path: Pleroma and Akkoma
#: write ``https://<their host>/schemas/litepub-0.1.jsonld`` in every document.
CONTEXT_PATHS: Mapping[str, str] = {
    "/schemas/litepub-0.1.jsonld": "litepub-0.1.json",
}

# Bounds the resolved-context cache: inline contexts are cached too, and senders choose those.
_RESOLVED_CONTEXTS_MAX = 256


class LinkedDataError(_pyld.JsonLdError):  # type: ignore[misc]  # pyld ships no type hints
    """Base of this module's errors; a pyld ``JsonLdError`` so pyld passes it through untouched."""

    def __init__(self, message: str, type_: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, type_, dict(details or {}), code="loading remote context failed")
        self.message = message

    def __str__(self) -> str:
        return self.message


class ContextNotAvailable(LinkedDataError):
    """A document names a context we have no copy of; we never fetch one."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"JSON-LD context {url!r} is not available offline; documents naming it cannot be processed",
            "chiffres.ContextNotAvailable",
            {"url": url},
        )
        self.url = url


class InvalidLinkedData(LinkedDataError):
    """The document is not valid JSON-LD (bad context, bad keyword use, …)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "chiffres.InvalidLinkedData")


def context_file(url: str) -> str | None:
    """The vendored file that stands for ``url``, or ``None``.

    Servers write the same context in several spellings (``http://``, a trailing ``#`` or
    ``.jsonld``), so lookups compare a reduced form of the URL.
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if parts.path in CONTEXT_PATHS and not parts.query:
        return CONTEXT_PATHS[parts.path]
    return _files_by_key().get(_key(url))


def offline_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A pyld ``documentLoader`` that serves vendored contexts and refuses everything else.

    Each call returns a deep copy: pyld rewrites context URLs in place while resolving them.
    """
    name = context_file(url)
    if name is None:
        raise ContextNotAvailable(url)
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": copy.deepcopy(_parsed(name)),
        # pyld keeps a resolved context across operations only when the document is tagged.
        "tag": "static",
    }


def outgoing_context(*extra: str) -> list[Any]:
    """The ``@context`` of documents we send: ActivityStreams, ``extra`` URLs, our inline context.

    ``extra`` names further contexts (e.g. security v1 for actors); each must be vendored, so we
    never publish a document that we could not process ourselves. Our own context is inlined,
    never referred to by URL, and defines no term of ActivityStreams at the top level, so the
    order of the entries does not change the meaning of the document.
    """
    for url in extra:
        if context_file(url) is None:
            raise ContextNotAvailable(url)
    return [ACTIVITYSTREAMS, *extra, schemas.chiffres_context()]


def expand(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Expanded form of ``document``; one without ``@context`` is read as ActivityStreams.

    ActivityStreams 2.0 (section 2.1) asks consumers to assume its context when a document
    served as ``application/activity+json`` declares none.
    """
    options = _options()
    if "@context" not in document:
        options["expandContext"] = ACTIVITYSTREAMS
    expanded: list[dict[str, Any]] = _run(_pyld.expand, dict(document), options)
    return expanded


def compact(document: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """``document`` compacted against ``context`` (a URL, a context object or a list of them)."""
    compacted: dict[str, Any] = _run(_pyld.compact, dict(document), context, _options())
    return compacted


def canonicalize(document: Mapping[str, Any]) -> str:
    """URDNA2015 canonical N-Quads of ``document``, the input of Linked Data Signatures."""
    options = _options()
    options.update(algorithm="URDNA2015", format="application/n-quads")
    if "@context" not in document:
        options["expandContext"] = ACTIVITYSTREAMS
    nquads: str = _run(_pyld.normalize, dict(document), options)
    return nquads


def _run(operation: Any, *args: Any) -> Any:
    """Call a pyld operation and raise our errors rather than pyld's nested wrappers.

    pyld wraps a loader's exception in one or more JsonLdErrors; the unknown context is the
    useful part for the caller, so it is dug out of the chain.
    """
    try:
        with warnings.catch_warnings():
            # pyld warns about terms and languages that JSON-LD says to ignore; what a sender
            # writes must not reach our logs.
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.filterwarnings("ignore", message="@language must be valid BCP47")
            return operation(*args)
    except _pyld.JsonLdError as error:
        missing = _missing_context(error)
        if missing is not None:
            raise ContextNotAvailable(missing.url) from error
        if isinstance(error, LinkedDataError):
            raise
        raise InvalidLinkedData(_describe(error)) from error
    except (AttributeError, KeyError, RecursionError, TypeError, ValueError) as error:
        # pyld lets some malformed input escape as plain Python errors (bad relative IRIs, a
        # missing key, deep nesting); to the caller they mean the same as a JsonLdError.
        raise InvalidLinkedData(f"invalid JSON-LD: {error!r}") from error


def _missing_context(error: BaseException) -> ContextNotAvailable | None:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ContextNotAvailable):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _describe(error: BaseException) -> str:
    """pyld's messages, outermost first: the outer ones say which step failed, the inner ones why."""
    messages: list[str] = []
    current: BaseException | None = error
    while current is not None and len(messages) < 8:
        if current.args:
            messages.append(str(current.args[0]))
        current = current.__cause__
    return "invalid JSON-LD: " + " / ".join(messages)


def _options() -> dict[str, Any]:
    return {
        "documentLoader": offline_loader,
        "contextResolver": ContextResolver(_resolved_contexts(), offline_loader),
    }


@cache
def _resolved_contexts() -> _BoundedCache:
    """Our own resolved-context cache: pyld's shared default may hold contexts that another
    loader fetched from the network, and must not serve them to us."""
    return _BoundedCache(_RESOLVED_CONTEXTS_MAX)


class _BoundedCache(OrderedDict[str, Any]):
    """The minimal mapping pyld's ContextResolver needs, dropping the oldest entries."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self.limit:
            self.popitem(last=False)


@cache
def _parsed(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(schemas.load_bytes(f"contexts/{name}"))
    return document


@cache
def _files_by_key() -> dict[str, str]:
    return {_key(url): name for url, name in CONTEXT_FILES.items()}


def _key(url: str) -> str:
    """Host and path only, lower-cased host, without the spellings servers vary on."""
    parts = urlsplit(url.strip())
    path = parts.path.removesuffix("/").removesuffix(".jsonld")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.netloc.lower()}{path}{query}"
