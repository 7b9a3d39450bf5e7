"""NodeInfo 2.1 and its discovery document, with the FEP-2677 link to the instance actor.

Crawlers (fediverse.observer, FediDB) read usage from here; the domain's own totals (figures, claims) go in
``metadata``, where the schema allows anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from fedi.types import JSON
from fedi.urls import Urls

SCHEMA_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
CONTENT_TYPE = f'application/json; profile="{SCHEMA_21}#"'
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


def discovery(urls: Urls) -> JSON:
    return {
        "links": [
            {"rel": SCHEMA_21, "href": f"{urls.base}/nodeinfo/2.1"},
            {"rel": APPLICATION_REL, "href": urls.instance_actor()},
        ]
    }


def document(usage: Usage, *, node_name: str) -> JSON:
    return {
        "version": "2.1",
        "software": {
            "name": SOFTWARE,
            "version": software_version(),
            "homepage": "https://chiffres-ensemble.org/",
        },
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
