"""What a strict server's user sees: posts shown, edited and deleted, and what became of every activity.

A post is filed under the activity's actor, as Mastodon files it; an edit applies only to a post of the same
actor and with a newer ``updated``; a Delete of someone else's post is refused (Takahē raises), and after a
Delete the id is dead. ``tests.support.strict_receiver`` holds one and guards it with its lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tests.support.mastodon_reading import JSON, Refused, content_of, moment, tags_of
from tests.support.sanitiser import plain_text, sanitise


@dataclass
class Post:
    """A post as its user sees it: ``html`` now, ``edits`` the renderings it replaced, oldest first."""

    id: str
    author: str
    visibility: str
    html: str
    published: datetime | None
    updated: datetime | None
    mentions: list[tuple[str, str]] = field(default_factory=list)
    edits: list[str] = field(default_factory=list)
    deleted: bool = False

    @property
    def text(self) -> str:
        return plain_text(self.html)


@dataclass(frozen=True)
class Event:
    """One activity and what became of it: ``shown``, ``edited``, ``deleted``, ``ignored: …`` or ``refused: …``."""

    activity: str | None
    kind: str
    actor: str | None
    outcome: str


@dataclass
class Timeline:
    posts: dict[str, Post] = field(default_factory=dict)
    dead: set[str] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)

    def create(self, post: JSON, actor: str, visibility: str) -> str:
        if post["id"] in self.dead:
            raise Refused(f"{post['id']} was deleted: its id is dead")
        if post["id"] in self.posts:
            return "ignored: already shown"
        self.posts[post["id"]] = Post(
            id=post["id"],
            author=actor,
            visibility=visibility,
            html=sanitise(content_of(post)),
            published=moment(post.get("published")),
            updated=moment(post.get("updated")),
            mentions=[(str(tag.get("href")), str(tag.get("name"))) for tag in tags_of(post, "Mention")],
        )
        return "shown"

    def update(self, post: JSON, actor: str) -> str:
        shown = self.posts.get(post["id"])
        if shown is None or shown.deleted:
            return "ignored: an edit of a post it never showed"
        if shown.author != actor:
            return f"ignored: {post['id']} is filed under {shown.author}"
        updated, latest = moment(post.get("updated")), shown.updated or shown.published
        if updated is None or (latest is not None and updated <= latest):
            return "ignored: not newer"
        shown.edits.append(shown.html)
        shown.html, shown.updated = sanitise(content_of(post)), updated
        return "edited"

    def delete(self, target: str, actor: str) -> str:
        shown = self.posts.get(target)
        if shown is not None and shown.author != actor:
            raise Refused(f"{actor} deletes {target}, which {shown.author} posted")
        self.dead.add(target)
        if shown is None:
            return "ignored: deletion of a post it never showed"
        shown.deleted = True
        return "deleted"
