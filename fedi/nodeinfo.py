"""NodeInfo 2.1 and 2.0 and their discovery document, with the FEP-2677 link to the instance actor.

Crawlers (fediverse.observer, FediDB) read usage from here; the domain's own totals (figures, claims) go in
``metadata``, where the schema allows anything. 2.0 is served beside 2.1 because Takahē looks for the 2.0 schema
only and, without it, records no software for the domain; 2.0 differs only in having no ``homepage`` or
``repository`` for the software.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from fedi.types import JSON
from fedi.urls import Urls

SCHEMA_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
SCHEMA_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
VERSIONS = {"2.0": SCHEMA_20, "2.1": SCHEMA_21}
APPLICATION_REL = "https://www.w3.org/ns/activitystreams#Application"
SOFTWARE = "chiffres-ensemble"


def software_version() -> str:
    try:
        return version(SOFTWARE)
    except PackageNotFoundError:
        return "0.0.0"


@dataclass(frozen=True)
class Usage:
    users: int = 0
    active_month: int = 0
    active_halfyear: int = 0
    local_posts: int = 0
    metadata: JSON = field(default_factory=dict)


def charter_metadata(url: str, version: str) -> JSON:
    """Where the charter a follower accepts is, and which wording: a peer sees when the terms changed."""
    return {"charter": {"url": url, "version": version}}


def content_type(version: str) -> str:
    return f'application/json; profile="{VERSIONS[version]}#"'


def discovery(urls: Urls) -> JSON:
    links: list[JSON] = [{"rel": schema, "href": f"{urls.base}/nodeinfo/{v}"} for v, schema in VERSIONS.items()]
    return {"links": [*links, {"rel": APPLICATION_REL, "href": urls.instance_actor()}]}


def document(usage: Usage, *, node_name: str, version: str = "2.1") -> JSON:
    """The document of one schema ``version`` (a key of :data:`VERSIONS`)."""
    software: JSON = {"name": SOFTWARE, "version": software_version()}
    if version != "2.0":
        software["homepage"] = "https://chiffres-ensemble.org/"
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {
                "total": usage.users,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": {"nodeName": node_name, **usage.metadata},
    }
