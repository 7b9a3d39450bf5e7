"""The ActivityStreams documents of local actors, with every field Mastodon reads.

Mastodon requires the AS2 context string, ``inbox`` and ``preferredUsername``; it reads ``publicKey`` by the
``#main-key`` id from this document, and builds the handle from ``preferredUsername`` and the id's host.
FEP-521a adds the Ed25519 key as a Multikey under ``assertionMethod``. Security v1 (what Mastodon writes) defines
``publicKey`` but not ``assertionMethod``, which ActivityStreams' ``@vocab`` would turn into a blank-node property
that JSON-LD readers (Fedify) cannot match: security v2 defines it, and the Multikey context defines the key.
"""

from __future__ import annotations

import html

from actors.actor import Actor
from fedi.negotiation import AS2
from fedi.types import JSON
from fedi.urls import Urls

SECURITY_V1 = "https://w3id.org/security/v1"
SECURITY_V2 = "https://w3id.org/security/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
_EXTENSIONS = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "toot": "http://joinmastodon.org/ns#",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    # FEP-4ccd's own context, https://purl.archive.org/socialweb/pending
    "pendingFollowers": {"@id": "https://purl.archive.org/socialweb/pending#pendingFollowers", "@type": "@id"},
}
ACTOR_CONTEXT: list[object] = [AS2, SECURITY_V1, SECURITY_V2, MULTIKEY_V1, _EXTENSIONS]


def summary_html(text: str) -> str:
    """Summaries are stored as plain text; each paragraph becomes a <p>, escaped."""
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    return "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs)


def _keys(actor: Actor, actor_id: str, urls: Urls) -> JSON:
    return {
        "publicKey": {"id": urls.key(actor_id), "owner": actor_id, "publicKeyPem": actor.rsa_public_pem},
        "assertionMethod": [
            {
                "id": urls.ed25519_key(actor_id),
                "type": "Multikey",
                "controller": actor_id,
                "publicKeyMultibase": actor.ed25519_public_multibase,
            }
        ],
    }


def actor_document(actor: Actor, urls: Urls) -> JSON:
    """The document of a member or a group."""
    actor_id = urls.actor(actor.name)
    document: JSON = {
        "@context": ACTOR_CONTEXT,
        "id": actor_id,
        "type": actor.as2_type,
        "preferredUsername": actor.name,
        "name": actor.display_name or actor.name,
        "summary": summary_html(actor.summary),
        "url": urls.profile(actor.name),
        "inbox": urls.inbox(actor.name),
        "outbox": urls.outbox(actor.name),
        "followers": urls.followers(actor.name),
        "following": urls.following(actor.name),
        "featured": urls.featured(actor.name),
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "manuallyApprovesFollowers": actor.manually_approves,
        "discoverable": actor.kind == "group" and actor.visibility == "public",
        "indexable": actor.kind == "group" and actor.visibility == "public",
        "published": actor.created_at.isoformat().replace("+00:00", "Z"),
        **_keys(actor, actor_id, urls),
    }
    if actor.kind == "group":
        document["pendingFollowers"] = urls.pending_followers(actor.name)  # FEP-4ccd
        document["attachment"] = [
            {"type": "PropertyValue", "name": "Charte", "value": _link(urls.charter())},
        ]
    return document


def instance_document(actor: Actor, urls: Urls) -> JSON:
    """The instance actor: an Application, readable unsigned, that signs this instance's fetches."""
    actor_id = urls.instance_actor()
    return {
        "@context": ACTOR_CONTEXT,
        "id": actor_id,
        "type": "Application",
        "preferredUsername": urls.domain,
        "name": urls.domain,
        "url": urls.base + "/",
        "inbox": urls.instance_inbox(),
        "outbox": urls.instance_outbox(),
        "followers": urls.instance_followers(),
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "indexable": False,
        "published": actor.created_at.isoformat().replace("+00:00", "Z"),
        **_keys(actor, actor_id, urls),
    }


def _link(url: str) -> str:
    escaped = html.escape(url)
    return f'<a href="{escaped}" rel="nofollow noopener" target="_blank">{escaped}</a>'
