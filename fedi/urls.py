"""Every public address of an instance, built from one set of path templates.

The same templates serve routing (``chiffres/app.py`` mounts them) and building ids, so an id can never drift from
the URL that serves it — Mastodon rejects a document whose ``id`` differs from where it was fetched.
"""

from __future__ import annotations

from dataclasses import dataclass

ACTOR = "/actors/{name}"
INBOX = "/actors/{name}/inbox"
OUTBOX = "/actors/{name}/outbox"
FOLLOWERS = "/actors/{name}/followers"
FOLLOWING = "/actors/{name}/following"
PENDING_FOLLOWERS = "/actors/{name}/pending_followers"
FEATURED = "/actors/{name}/featured"
PROFILE = "/@{name}"
INSTANCE_ACTOR = "/actor"
INSTANCE_INBOX = "/actor/inbox"
INSTANCE_OUTBOX = "/actor/outbox"
INSTANCE_FOLLOWERS = "/actor/followers"
SHARED_INBOX = "/inbox"
OBJECT = "/objects/{uuid}"
ACTIVITY = "/activities/{uuid}"
CHARTER = "/charter"
NAMESPACE = "/ns"


@dataclass(frozen=True)
class Urls:
    """Absolute URLs under one base such as ``https://chiffres.example``."""

    base: str

    @classmethod
    def for_domain(cls, domain: str, scheme: str) -> Urls:
        return cls(f"{scheme}://{domain}")

    @property
    def domain(self) -> str:
        return self.base.split("://", 1)[1]

    def _at(self, template: str, **values: str) -> str:
        return self.base + template.format(**values)

    def actor(self, name: str) -> str:
        return self._at(ACTOR, name=name)

    def key(self, actor_id: str) -> str:
        return actor_id + "#main-key"

    def ed25519_key(self, actor_id: str) -> str:
        return actor_id + "#ed25519-key"

    def inbox(self, name: str) -> str:
        return self._at(INBOX, name=name)

    def outbox(self, name: str) -> str:
        return self._at(OUTBOX, name=name)

    def followers(self, name: str) -> str:
        return self._at(FOLLOWERS, name=name)

    def following(self, name: str) -> str:
        return self._at(FOLLOWING, name=name)

    def pending_followers(self, name: str) -> str:
        return self._at(PENDING_FOLLOWERS, name=name)

    def featured(self, name: str) -> str:
        return self._at(FEATURED, name=name)

    def profile(self, name: str) -> str:
        return self._at(PROFILE, name=name)

    def instance_actor(self) -> str:
        return self._at(INSTANCE_ACTOR)

    def instance_inbox(self) -> str:
        return self._at(INSTANCE_INBOX)

    def instance_outbox(self) -> str:
        return self._at(INSTANCE_OUTBOX)

    def instance_followers(self) -> str:
        return self._at(INSTANCE_FOLLOWERS)

    def shared_inbox(self) -> str:
        return self._at(SHARED_INBOX)

    def object(self, uuid: str) -> str:
        return self._at(OBJECT, uuid=uuid)

    def activity(self, uuid: str) -> str:
        return self._at(ACTIVITY, uuid=uuid)

    def charter(self) -> str:
        return self._at(CHARTER)

    def namespace(self) -> str:
        return self._at(NAMESPACE)

    def is_local(self, uri: str) -> bool:
        return uri == self.base or uri.startswith(self.base + "/")

    def local_name(self, uri: str) -> str | None:
        """The actor name of a local actor id, or None for anything else."""
        prefix = self.base + "/actors/"
        if not uri.startswith(prefix):
            return None
        name = uri[len(prefix) :]
        return name if name and "/" not in name and "#" not in name and "?" not in name else None
