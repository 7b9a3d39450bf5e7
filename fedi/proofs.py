"""Object integrity proofs (FEP-8b32): an Ed25519 signature carried inside a document, ``eddsa-jcs-2022``.

An HTTP signature vouches for a delivery; a proof vouches for a document wherever it travels, so a claim relayed
by a group (FEP-1b12) can still be shown to come from its author. The cryptosuite is the W3C one (Data Integrity
EdDSA Cryptosuites v1.0, section 3.3): the signed bytes are SHA-256 of the canonical (RFC 8785) proof options
followed by SHA-256 of the canonical document without its proof. Which key may sign for whom is the caller's
business: this module only checks that the named key signed these bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from fedi.jcs import NotCanonicalizable, canonicalize
from fedi.keys import KeyFormatError, base58_decode, base58_encode

__all__ = ["CRYPTOSUITE", "Proof", "ProofError", "proof_of", "sign", "verify"]

CRYPTOSUITE = "eddsa-jcs-2022"
_TYPE = "DataIntegrityProof"
_PURPOSE = "assertionMethod"


class ProofError(ValueError):
    """The document carries no usable proof, or its proof does not verify; the message says which."""


@dataclass(frozen=True)
class Proof:
    """The embedded proof of a document, read but not yet verified."""

    verification_method: str
    options: Mapping[str, Any]
    signature: bytes


def proof_of(document: Mapping[str, Any]) -> Proof:
    """The document's ``eddsa-jcs-2022`` proof; several proofs, or one of another kind, are refused."""
    found = document.get("proof")
    if isinstance(found, list):
        if len(found) != 1:
            raise ProofError("only a single proof is read")
        found = found[0]
    if not isinstance(found, Mapping):
        raise ProofError("the document carries no proof")
    if found.get("type") != _TYPE or found.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"the proof is not a {_TYPE} of the {CRYPTOSUITE} cryptosuite")
    if found.get("proofPurpose") != _PURPOSE:
        raise ProofError(f"the proof's purpose is not {_PURPOSE}")
    method, value, created = found.get("verificationMethod"), found.get("proofValue"), found.get("created")
    if not isinstance(method, str) or not method:
        raise ProofError("the proof names no verification method")
    if created is not None and not _is_datetime(created):
        raise ProofError("the proof's `created` is not a date and time")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("the proof value is not base58btc multibase")
    try:
        signature = base58_decode(value[1:])
    except KeyFormatError as error:
        raise ProofError(f"the proof value is not base58btc: {error}") from None
    if len(signature) != 64:
        raise ProofError("the proof value is not an Ed25519 signature")
    options = {key: item for key, item in found.items() if key != "proofValue"}
    return Proof(method, options, signature)


def verify(document: Mapping[str, Any], proof: Proof, key: ed25519.Ed25519PublicKey) -> None:
    """Raise :class:`ProofError` unless ``key`` made ``proof`` over ``document`` (the document that carries it)."""
    try:
        key.verify(proof.signature, _hash_data(document, proof.options))
    except InvalidSignature:
        raise ProofError("the proof does not verify with its key") from None


def sign(
    document: Mapping[str, Any], key: ed25519.Ed25519PrivateKey, verification_method: str, created: datetime
) -> dict[str, Any]:
    """``document`` with an ``eddsa-jcs-2022`` proof made with ``key`` (whose id is ``verification_method``)."""
    unsecured = {name: item for name, item in document.items() if name != "proof"}
    options: dict[str, Any] = {
        "type": _TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": _PURPOSE,
        "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if "@context" in unsecured:
        options = {"@context": unsecured["@context"]} | options
    signature = key.sign(_hash_data(unsecured, options))
    return unsecured | {"proof": options | {"proofValue": "z" + base58_encode(signature)}}


def _hash_data(document: Mapping[str, Any], options: Mapping[str, Any]) -> bytes:
    """The bytes the signature covers (cryptosuite steps: context check, transformation, configuration, hashing)."""
    unsecured = {name: item for name, item in document.items() if name != "proof"}
    config = dict(options)
    if "@context" in config:
        # The proof's context must open the document's, and is what the document is read with.
        if not _starts_with(unsecured.get("@context"), config["@context"]):
            raise ProofError("the proof's @context does not open the document's @context")
        unsecured["@context"] = config["@context"]
    elif "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    try:
        return hashlib.sha256(canonicalize(config)).digest() + hashlib.sha256(canonicalize(unsecured)).digest()
    except NotCanonicalizable as error:
        raise ProofError(f"the document has no canonical form: {error}") from None


def _starts_with(context: object, prefix: object) -> bool:
    whole = context if isinstance(context, list) else [context]
    start = prefix if isinstance(prefix, list) else [prefix]
    return whole[: len(start)] == start


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
