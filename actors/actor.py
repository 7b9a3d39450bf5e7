"""A local actor as the instance keeps it: a member, a programme channel or the instance itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Kind = Literal["person", "group", "application"]
Visibility = Literal["members", "public"]
KINDS: tuple[Kind, ...] = ("person", "group", "application")
VISIBILITIES: tuple[Visibility, ...] = ("members", "public")
INSTANCE_ACTOR_NAME = "instance.actor"  # not a valid member name, so it can never be taken

_NAME = re.compile(r"^[a-z0-9_]{1,30}$")
AS2_TYPES: dict[Kind, str] = {"person": "Person", "group": "Group", "application": "Application"}


class ActorError(Exception):
    """Base of the errors about local actors; messages are shown to admins as they are."""


class InvalidName(ActorError):
    pass


class NameTaken(ActorError):
    pass


class UnknownActor(ActorError):
    pass


def check_name(name: str) -> str:
    """Names are the ``user`` of ``user@host`` handles: Mastodon matches them case-insensitively."""
    normalised = name.strip().lower()
    if not _NAME.match(normalised):
        raise InvalidName(f"invalid name {name!r}: use 1 to 30 letters, digits or underscores")
    return normalised


def is_valid_name(name: str) -> bool:
    return bool(_NAME.match(name.lower()))


@dataclass(frozen=True)
class Actor:
    id: int
    name: str
    kind: Kind
    display_name: str
    summary: str
    visibility: Visibility
    manually_approves: bool
    created_at: datetime
    rsa_public_pem: str
    ed25519_public_multibase: str

    @property
    def is_instance(self) -> bool:
        return self.kind == "application"

    @property
    def as2_type(self) -> str:
        return AS2_TYPES[self.kind]
