"""WebFinger (RFC 7033) and host-meta: how a handle such as ``@loyers@chiffres.example`` finds its actor.

Mastodon asks for ``acct:user@host``, follows the ``self`` link of type ``application/activity+json`` and
requires its ``href`` to equal the actor's id; on a 404 it falls back to host-meta's ``lrdd`` template.
An actor's URL is accepted as a resource too, as Mastodon and GoToSocial do.

RFC 7033 (§4.2, §4.5) separates two failures, and strict clients such as FediTest check both: a ``resource``
that is missing or is not an absolute URI (``user@host`` without ``acct:``, ``=acct:…``) is a bad request (400);
a well-formed URI that names nothing here — another host, an unknown account, a scheme such as ``mailto:`` that
no account of ours has — is not found (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote
from xml.sax.saxutils import quoteattr

from fedi.negotiation import ACTIVITY_JSON
from fedi.types import JSON
from fedi.urls import Urls

JRD = "application/jrd+json"
# An absolute URI (RFC 3986 §3): a scheme, a colon, then no character a URI can never hold.
_URI = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>"{}|\\^`]+$')


class ResourceError(Exception):
    """The resource parameter is missing or malformed (400)."""


@dataclass(frozen=True)
class Query:
    """What a WebFinger resource asks for: a local name, the instance actor, or an id to look up."""

    name: str | None = None
    instance: bool = False


def parse_resource(resource: str | None, urls: Urls) -> Query | None:
    """The local thing a resource names, or None when it names nothing on this host (404)."""
    if not resource:
        raise ResourceError("missing resource parameter")
    resource = unquote(resource.strip())
    if not _URI.match(resource):
        raise ResourceError(f"malformed resource {resource!r}: not a URI (use acct:user@host or an actor's URL)")
    scheme, _, rest = resource.partition(":")
    scheme = scheme.lower()
    if scheme == "acct":
        return _account(rest, urls)
    if scheme in ("http", "https"):
        if resource.rstrip("/") == urls.instance_actor():
            return Query(instance=True)
        name = urls.local_name(resource) or _profile_name(resource, urls)
        return Query(name=name) if name else None
    return None


def _account(address: str, urls: Urls) -> Query | None:
    user, _, host = address.lstrip("@").rpartition("@")
    if not user or not host:
        raise ResourceError(f"malformed acct resource: 'acct:{address}' (use acct:user@host)")
    if host.lower() != urls.domain:
        return None
    if user.lower() == urls.domain:
        return Query(instance=True)
    return Query(name=user.lower())


def _profile_name(resource: str, urls: Urls) -> str | None:
    prefix = urls.base + "/@"
    name = resource[len(prefix) :] if resource.startswith(prefix) else ""
    return name.lower() if name and "/" not in name else None


def jrd(subject: str, actor_id: str, profile_url: str | None) -> JSON:
    links: list[JSON] = [{"rel": "self", "type": ACTIVITY_JSON, "href": actor_id}]
    aliases = [actor_id]
    if profile_url:
        links.insert(0, {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile_url})
        aliases.append(profile_url)
    return {"subject": subject, "aliases": aliases, "links": links}


def host_meta_xml(urls: Urls) -> str:
    template = quoteattr(f"{urls.base}/.well-known/webfinger?resource={{uri}}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template={template}/>\n'
        "</XRD>\n"
    )


def host_meta_json(urls: Urls) -> JSON:
    return {"links": [{"rel": "lrdd", "template": f"{urls.base}/.well-known/webfinger?resource={{uri}}"}]}
