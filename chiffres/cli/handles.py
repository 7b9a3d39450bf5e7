"""Actors as a person reads them: ``@name@host`` rather than their URL.

Local actors are named by this instance; remote ones by the ``preferredUsername`` their server gave, as cached in
``remote_actors``. That name comes from a peer, which may send anything: only a plain name (letters, digits,
``_ . -``, at most 64) is shown, and an actor unknown or oddly named reads as its URL."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from fedi.database import Pool
    from fedi.urls import Urls

_PLAIN: Final = re.compile(r"[\w.\-]{1,64}")


async def handles(pool: Pool, urls: Urls, uris: Iterable[str | None]) -> dict[str, str]:
    """The handle of each actor URL that has one; look others up with ``shown``."""
    found: dict[str, str] = {}
    remote: list[str] = []
    for uri in {uri for uri in uris if uri}:
        name = urls.local_name(uri)
        if name is not None:
            found[uri] = f"@{name}@{urls.domain}"
        else:
            remote.append(uri)
    if remote:
        rows = await pool.fetch(
            "SELECT uri, preferred_username, domain FROM remote_actors WHERE uri = ANY($1::text[])", remote
        )
        for row in rows:
            name, domain = row["preferred_username"], row["domain"]
            if name and domain and _PLAIN.fullmatch(name) and _PLAIN.fullmatch(domain.replace(":", "-")):
                found[row["uri"]] = f"@{name}@{domain}"
    return found


def shown(known: dict[str, str], uri: str) -> str:
    """The handle of ``uri``, or the URL itself when it has none."""
    return known.get(uri, uri)
