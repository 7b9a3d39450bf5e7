"""FEP-8b32 integrity proofs (eddsa-jcs-2022): the FEP's own test vector, and proofs made here with real keys."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from fedi import keys, proofs

ALICE_KEY = "https://server.example/users/alice#ed25519-key"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"]
# The test vector of FEP-8b32 ("Verifying a signature"): the actor's Multikey, and its secret key (multicodec
# 0x8026 + 32 bytes) from which the same proof is made again below.
VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VECTOR_PROOF = "z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdL"
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)


def vector_document() -> dict[str, Any]:
    return {
        "@context": list(CONTEXT),
        "id": "https://server.example/activities/1",
        "type": "Create",
        "actor": "https://server.example/users/alice",
        "object": {
            "id": "https://server.example/objects/1",
            "type": "Note",
            "attributedTo": "https://server.example/users/alice",
            "content": "Hello world",
            "location": {"type": "Place", "longitude": -71.184902, "latitude": 25.273962},
        },
    }


def vector_signed() -> dict[str, Any]:
    return vector_document() | {
        "proof": {
            "@context": list(CONTEXT),
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-jcs-2022",
            "verificationMethod": ALICE_KEY,
            "proofPurpose": "assertionMethod",
            "proofValue": VECTOR_PROOF,
            "created": "2023-02-24T23:36:38Z",
        }
    }


def vector_secret() -> ed25519.Ed25519PrivateKey:
    raw = keys.base58_decode(VECTOR_SECRET[1:])
    assert raw[:2] == b"\x80\x26"
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw[2:])


def check(document: dict[str, Any], key: ed25519.Ed25519PublicKey) -> None:
    proofs.verify(document, proofs.proof_of(document), key)


def test_the_fep_test_vector_verifies() -> None:
    check(vector_signed(), keys.ed25519_from_multibase(VECTOR_PUBLIC))


def test_signing_the_fep_document_gives_the_fep_proof() -> None:
    secret = vector_secret()
    assert keys.ed25519_multibase(secret.public_key()) == VECTOR_PUBLIC
    signed = proofs.sign(vector_document(), secret, ALICE_KEY, CREATED)
    assert signed == vector_signed()


def test_the_signed_bytes_are_the_two_hashes_of_the_cryptosuite() -> None:
    # Written out from the cryptosuite's steps with hashlib and json, independently of fedi.jcs: the vector
    # document holds only ASCII and no number whose JSON form differs between Python and ECMAScript.
    signed = vector_signed()
    options = {key: value for key, value in signed["proof"].items() if key != "proofValue"}

    def jcs(value: object) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    data = hashlib.sha256(jcs(options)).digest() + hashlib.sha256(jcs(vector_document())).digest()
    signature = keys.base58_decode(VECTOR_PROOF[1:])
    keys.ed25519_from_multibase(VECTOR_PUBLIC).verify(signature, data)


def test_a_proof_survives_reserialisation() -> None:
    # Stored as jsonb and read back, a document may change key order and number spelling, not its values.
    key = ed25519.Ed25519PrivateKey.generate()
    document = vector_document() | {"figure": {"value": "812.50", "weight": 1e2}}
    signed = proofs.sign(document, key, ALICE_KEY, CREATED)
    reordered = json.loads(json.dumps(dict(reversed(list(signed.items())))).replace("100.0", "1E2"))
    check(reordered, key.public_key())


def tampered(edit: Any) -> dict[str, Any]:
    document = vector_signed()
    edit(document)
    return document


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda d: d["object"].update(content="Hello world!"), id="content"),
        pytest.param(lambda d: d.update(actor="https://server.example/users/mallory"), id="actor"),
        pytest.param(lambda d: d["object"]["location"].update(latitude=25.273963), id="number"),
        pytest.param(lambda d: d.update(published="2099-01-01T00:00:00Z"), id="added-property"),
        pytest.param(lambda d: d["proof"].update(created="2024-02-24T23:36:38Z"), id="proof-created"),
        pytest.param(lambda d: d["proof"].update(verificationMethod=ALICE_KEY + "2"), id="proof-method"),
    ],
)
def test_any_change_breaks_the_proof(edit: Any) -> None:
    document = tampered(edit)
    with pytest.raises(proofs.ProofError, match="does not verify"):
        check(document, keys.ed25519_from_multibase(VECTOR_PUBLIC))


def test_another_key_does_not_verify() -> None:
    with pytest.raises(proofs.ProofError, match="does not verify"):
        check(vector_signed(), ed25519.Ed25519PrivateKey.generate().public_key())


def test_a_proof_context_that_does_not_open_the_documents_is_refused() -> None:
    document = tampered(lambda d: d.update({"@context": ["https://www.w3.org/ns/activitystreams"]}))
    with pytest.raises(proofs.ProofError, match="@context"):
        check(document, keys.ed25519_from_multibase(VECTOR_PUBLIC))


def test_a_proof_without_context_is_read_with_the_documents() -> None:
    # Some implementations omit the proof's @context: the cryptosuite then takes the document's.
    key = ed25519.Ed25519PrivateKey.generate()
    signed = proofs.sign(vector_document(), key, ALICE_KEY, CREATED)
    without = copy.deepcopy(signed)
    del without["proof"]["@context"]
    check(without, key.public_key())


@pytest.mark.parametrize(
    ("proof", "reason"),
    [
        (None, "no proof"),
        ("several", "single proof"),
        ({"type": "RsaSignature2017"}, "not a DataIntegrityProof"),
        ({"cryptosuite": "eddsa-rdfc-2022"}, "eddsa-jcs-2022"),
        ({"proofPurpose": "authentication"}, "purpose"),
        ({"verificationMethod": 5}, "verification method"),
        ({"proofValue": "uAAAA"}, "multibase"),
        ({"proofValue": "z0OIl"}, "base58"),
        ({"proofValue": "z" + keys.base58_encode(b"x" * 32)}, "not an Ed25519 signature"),
        ({"created": "yesterday"}, "created"),
    ],
)
def test_unusable_proofs_are_refused_with_a_reason(proof: Any, reason: str) -> None:
    document = vector_signed()
    if proof is None:
        del document["proof"]
    elif proof == "several":
        document["proof"] = [document["proof"], document["proof"]]
    else:
        document["proof"] |= proof
    with pytest.raises(proofs.ProofError, match=reason):
        proofs.proof_of(document)
