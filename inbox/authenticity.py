"""Whether a relayed claim comes from its author: the relayer's signature vouches only for the relay.

A group relays the claims on its figures as ``Announce(activity)`` (FEP-1b12), and a malicious group could invent
them: any author, any domain, any date. The inner activity is taken as its author's only when

- its actor is on the relayer's own host, which holds that actor's keys and could sign as them anyway (``host``);
- it carries an integrity proof (FEP-8b32) made with a key its actor's own document lists (``proof``);
- its author's host serves it (for a Create, its object) and says what was relayed (``fetched``).

Otherwise it is ``unverified``: kept with the reason, so that it can be seen, but weighing nothing. Whatever the
proof, a relay never speaks for one of our own members (they make their claims here), and an id must live on its
actor's host.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fedi.domains import host_of
from fedi.fetch import FetchError
from fedi.keys import ed25519_from_multibase
from fedi.normalise import Activity, MalformedActivity, Node, normalise_activity, normalise_object
from fedi.proofs import ProofError, proof_of, verify
from fedi.signatures import KeyUnavailable
from inbox.remote import RemoteActors
from ledger.claims import Authenticity


class NotReadBack(Exception):
    """The relayed activity could not be read back from its author's host, or differs from what was relayed."""


@dataclass(frozen=True)
class Established:
    """A relayed claim, its relayer, how its author was established (and why not), and what to read it from.

    ``activity`` and ``note`` are what the author's host served when the claim was read back, so that a relayer
    cannot change a value under a genuine id; otherwise they are what was relayed.
    """

    relayer: str
    authenticity: Authenticity
    reason: str
    activity: Activity
    note: Node | None


def impersonation(inner: Activity, local_host: str) -> str | None:
    """Why a relayed activity is refused outright, or None: it speaks for one of ours, or its ids are squatted."""
    actor_host = host_of(inner.actor)
    if actor_host == local_host:
        return f"a relayed claim in the name of {inner.actor}, one of ours: our members make their claims here"
    if inner.id is None or host_of(inner.id) != actor_host:
        return f"the relayed activity's id {inner.id} is not on its actor's host {actor_host}"
    note = inner.object if inner.is_a("Create") else None
    if inner.is_a("Create"):
        if note is None or note.id is None or host_of(note.id) != actor_host:
            return f"the relayed Create's object is not on its actor's host {actor_host}"
        if note.ref("attributedTo") not in (None, inner.actor):
            return f"the relayed object is attributed to {note.ref('attributedTo')}, not to {inner.actor}"
    return None


async def establish(
    inner: Activity, received: Mapping[str, Any] | None, relayer: str, remote: RemoteActors
) -> Established:
    """How ``inner`` (relayed by ``relayer``; ``received`` is it as sent, before normalisation) is its author's."""
    note = inner.object if inner.is_a("Create") else None
    if host_of(inner.actor) == host_of(relayer):
        return Established(relayer, "host", f"relayed from its author's own host {host_of(relayer)}", inner, note)
    reasons: list[str] = []
    for document in _proven_parts(inner, received):
        try:
            await _check_proof(document, inner.actor, remote)
        except ProofError as error:
            reasons.append(f"proof refused: {error}")
            continue
        return Established(relayer, "proof", f"proof by {inner.actor}", inner, note)
    if not reasons:
        reasons.append("no proof")
    try:
        return await _read_back(inner, relayer, remote)
    except NotReadBack as error:
        reasons.append(str(error))
    return Established(relayer, "unverified", "; ".join(reasons), inner, note)


def _proven_parts(inner: Activity, received: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The documents whose proof would vouch for the claim: the activity, and a Create's object (its content)."""
    if received is None:
        return []
    parts: list[Mapping[str, Any]] = [received] if "proof" in received else []
    embedded = received.get("object")
    if inner.is_a("Create") and isinstance(embedded, Mapping) and "proof" in embedded:
        parts.append(embedded)
    return parts


async def _check_proof(document: Mapping[str, Any], actor: str, remote: RemoteActors) -> None:
    """The proof verifies with a key the actor lists; a key that fails is fetched again once (it may have rotated)."""
    proof = proof_of(document)
    for refresh in (False, True):
        try:
            info = await remote.resolve_key(proof.verification_method, refresh)
        except KeyUnavailable as error:
            raise ProofError(f"its key cannot be read: {error}") from None
        if info.owner != actor:
            raise ProofError(f"its key {proof.verification_method} is {info.owner}'s, not {actor}'s")
        if not isinstance(info.material, str):
            raise ProofError(f"{proof.verification_method} is not an Ed25519 Multikey")
        try:
            key = ed25519_from_multibase(info.material)
        except ValueError:
            raise ProofError(f"{proof.verification_method} is not an Ed25519 Multikey") from None
        try:
            verify(document, proof, key)
        except ProofError:
            if refresh:
                raise
            continue
        return


async def _read_back(inner: Activity, relayer: str, remote: RemoteActors) -> Established:
    """The Like, or the Create's object, as its author's host serves it, if it says what was relayed."""
    if inner.is_a("Like"):
        fetched = _as_activity(await _fetch(inner.id, remote))
        if not (fetched.is_a("Like") and fetched.actor == inner.actor and fetched.object_id == inner.object_id):
            raise NotReadBack(f"{inner.id}, as its host serves it, is not the relayed Like")
        return Established(relayer, "fetched", f"read back from {host_of(inner.actor)}", fetched, None)
    relayed = inner.object
    if relayed is None:
        raise NotReadBack("the relayed Create embeds no object")
    note = _as_object(await _fetch(relayed.id, remote))
    if not (
        note.is_a(*relayed.types)
        and note.ref("attributedTo") == inner.actor
        and note.ref("inReplyTo") == relayed.ref("inReplyTo")
    ):
        raise NotReadBack(f"{relayed.id}, as its host serves it, is not the relayed object")
    return Established(relayer, "fetched", f"read back from {host_of(inner.actor)}", inner, note)


async def _fetch(url: str | None, remote: RemoteActors) -> Mapping[str, Any]:
    if url is None or "#" in url:
        # A fragment names a part of another document (Mastodon's likes): there is nothing of its own to read.
        raise NotReadBack(f"{url} is not a document its host serves")
    try:
        document = await remote.document(url)
    except FetchError as error:
        raise NotReadBack(f"{url} cannot be read from its host: {error}") from None
    if document.get("id") != url:
        raise NotReadBack(f"{url} is served as {document.get('id')!r}")
    return document


def _as_activity(document: Mapping[str, Any]) -> Activity:
    try:
        return normalise_activity(dict(document))
    except MalformedActivity as error:
        raise NotReadBack(f"{document.get('id')} is not a readable activity: {error}") from None


def _as_object(document: Mapping[str, Any]) -> Node:
    try:
        return normalise_object(dict(document))
    except MalformedActivity as error:
        raise NotReadBack(f"{document.get('id')} is not a readable object: {error}") from None
