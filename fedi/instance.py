"""The collaborators one running instance hands to every request and job handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from fedi.config import Settings
from fedi.database import Pool
from fedi.types import Clock
from fedi.urls import Urls


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Instance:
    """Settings, addresses, database and clock of one instance; passed in, never imported as globals."""

    settings: Settings
    urls: Urls
    pool: Pool
    clock: Clock = field(default=utc_now)

    @property
    def domain(self) -> str:
        return self.urls.domain
