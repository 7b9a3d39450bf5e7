"""draft-cavage signing and verification as Mastodon, bovine and GoToSocial do it.

Past 400 lines like the module it mirrors: one test per rule of the verifier (window, digest, coverage,
headers order, key refresh), each small.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from fedi import signatures
from fedi.digest import body_matches, digest_header, parse_digest
from fedi.keys import base58_decode
from fedi.signatures import (
    BadDigest,
    InvalidSignature,
    KeyCache,
    KeyUnavailable,
    MalformedDigest,
    MalformedSignature,
    MissingSignature,
    PublicKey,
    PublicKeyInfo,
    SignatureError,
    SignedRequest,
    StaleDate,
    VerifiedSignature,
    http_date,
    parse_public_key,
    sign_cavage,
    verify_request,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
INBOX = "https://chiffres.example/groups/loyers/inbox"
ALICE = "https://mastodon.example/users/alice"
ALICE_KEY = f"{ALICE}#main-key"
# The body of Mastodon's Follow as captured by bovine's test data (identities anonymised).
FOLLOW = (
    b'{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.example/users/alice#follows/1",'
    b'"type":"Follow","actor":"https://mastodon.example/users/alice",'
    b'"object":"https://chiffres.example/groups/loyers"}'
)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def old_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> str:
    public = key.public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass
class Directory:
    """Keys as remote servers publish them; ``refreshed`` is what a refetch finds after a rotation."""

    current: dict[str, PublicKeyInfo]
    refreshed: dict[str, PublicKeyInfo] = field(default_factory=dict)
    calls: list[tuple[str, bool]] = field(default_factory=list)

    async def resolve(self, key_id: str, refresh: bool) -> PublicKeyInfo:
        self.calls.append((key_id, refresh))
        table = self.refreshed if refresh and key_id in self.refreshed else self.current
        if key_id not in table:
            raise KeyUnavailable(f"no key {key_id}")
        return table[key_id]


def alice(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> Directory:
    return Directory({ALICE_KEY: PublicKeyInfo(ALICE, pem(key))})


async def verify(request: SignedRequest, directory: Directory, now: datetime = NOW) -> VerifiedSignature:
    return await verify_request(request, directory.resolve, now, KeyCache())


def signed_by_hand(key: rsa.RSAPrivateKey, key_id: str, covered: str, text: str, algorithm: str = "rsa-sha256") -> str:
    """A Signature header built the way the sending server builds it, independently of our signer."""
    value = key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    encoded = base64.b64encode(value).decode()
    return f'keyId="{key_id}",algorithm="{algorithm}",headers="{covered}",signature="{encoded}"'


def sha256_b64(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def mastodon_post(key: rsa.RSAPrivateKey, date: str = http_date(NOW), digest: str | None = None) -> SignedRequest:
    digest = digest or "SHA-256=" + sha256_b64(FOLLOW)
    text = (
        "(request-target): post /groups/loyers/inbox\nhost: chiffres.example\n"
        f"date: {date}\ndigest: {digest}\ncontent-type: application/activity+json"
    )
    headers = {
        "Host": "chiffres.example",
        "Date": date,
        "Digest": digest,
        "Content-Type": "application/activity+json",
        "Signature": signed_by_hand(key, ALICE_KEY, "(request-target) host date digest content-type", text),
    }
    return SignedRequest("POST", INBOX, headers, FOLLOW)


async def test_sign_cavage_get_round_trip(rsa_key: rsa.RSAPrivateKey) -> None:
    url = "https://mastodon.example/users/alice/outbox?page=true"
    headers = sign_cavage("GET", url, key_id=ALICE_KEY, private_key=rsa_key, now=NOW)
    assert set(headers) == {"Host", "Date", "Signature"}
    assert headers["Date"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    assert 'headers="(request-target) host date"' in headers["Signature"]
    verified = await verify(SignedRequest("GET", url, headers), alice(rsa_key))
    assert verified == VerifiedSignature(ALICE_KEY, ALICE, "cavage", NOW)


async def test_sign_cavage_post_round_trip(rsa_key: rsa.RSAPrivateKey) -> None:
    headers = sign_cavage("POST", INBOX, key_id=ALICE_KEY, private_key=rsa_key, now=NOW, body=FOLLOW)
    assert headers["Digest"] == "SHA-256=" + sha256_b64(FOLLOW)
    assert headers["Content-Type"] == "application/activity+json"
    assert 'headers="(request-target) host date digest content-type"' in headers["Signature"]
    verified = await verify(SignedRequest("POST", INBOX, headers, FOLLOW), alice(rsa_key))
    assert verified.owner == ALICE


@pytest.mark.parametrize(
    ("url", "host"),
    [("http://localhost:8080/inbox", "localhost:8080"), ("https://Chiffres.Example:443/inbox", "chiffres.example")],
)
def test_sign_cavage_host_drops_default_port(rsa_key: rsa.RSAPrivateKey, url: str, host: str) -> None:
    assert sign_cavage("GET", url, key_id=ALICE_KEY, private_key=rsa_key, now=NOW)["Host"] == host


async def test_mastodon_post_signed_by_hand_verifies(rsa_key: rsa.RSAPrivateKey) -> None:
    verified = await verify(mastodon_post(rsa_key), alice(rsa_key))
    assert (verified.key_id, verified.scheme) == (ALICE_KEY, "cavage")


async def test_bovine_lower_case_digest_and_server_key(rsa_key: rsa.RSAPrivateKey) -> None:
    actor, key_id = "https://bovine.example/endpoints/Xyz", "https://bovine.example/endpoints/Xyz#serverKey"
    date, digest = http_date(NOW), "sha-256=" + sha256_b64(FOLLOW)
    text = (
        f"(request-target): post /groups/loyers/inbox\nhost: chiffres.example\ndate: {date}\n"
        f"digest: {digest}\ncontent-type: application/activity+json"
    )
    headers = {
        "host": "chiffres.example",
        "date": date,
        "digest": digest,
        "content-type": "application/activity+json",
        "signature": signed_by_hand(rsa_key, key_id, "(request-target) host date digest content-type", text),
    }
    directory = Directory({key_id: PublicKeyInfo(actor, pem(rsa_key))})
    verified = await verify(SignedRequest("POST", INBOX, headers, FOLLOW), directory)
    assert (verified.key_id, verified.owner) == (key_id, actor)


async def test_gotosocial_hs2019_and_slash_main_key(rsa_key: rsa.RSAPrivateKey) -> None:
    actor, key_id = "https://gts.example/users/bob", "https://gts.example/users/bob/main-key"
    date, digest = http_date(NOW), "SHA-256=" + sha256_b64(FOLLOW)
    text = f"(request-target): post /groups/loyers/inbox\nhost: chiffres.example\ndate: {date}\ndigest: {digest}"
    covered = "(request-target) host date digest"
    headers = {"Host": "chiffres.example", "Date": date, "Digest": digest}
    headers["Signature"] = signed_by_hand(rsa_key, key_id, covered, text, algorithm="hs2019")
    directory = Directory({key_id: PublicKeyInfo(actor, pem(rsa_key))})
    assert (await verify(SignedRequest("POST", INBOX, headers, FOLLOW), directory)).owner == actor


def ed25519_get(key: ed25519.Ed25519PrivateKey, algorithm: str, *, created: bool) -> SignedRequest:
    stamp, date = int(NOW.timestamp()), http_date(NOW)
    last, covered = (f"(created): {stamp}", "(created)") if created else (f"date: {date}", "date")
    text = f"(request-target): get /groups/loyers\nhost: chiffres.example\n{last}"
    value = base64.b64encode(key.sign(text.encode())).decode()
    signature = (
        f'keyId="{ALICE_KEY}",algorithm="{algorithm}",created={stamp},'
        f'headers="(request-target) host {covered}",signature="{value}"'
    )
    headers = {"Host": "chiffres.example", "Date": date, "Signature": signature}
    return SignedRequest("GET", "https://chiffres.example/groups/loyers", headers)


@pytest.mark.parametrize("created", [True, False])
async def test_hs2019_takes_the_key_type(ed_key: ed25519.Ed25519PrivateKey, created: bool) -> None:
    verified = await verify(ed25519_get(ed_key, "hs2019", created=created), alice(ed_key))
    assert verified.created == NOW


async def test_rsa_sha256_refuses_an_ed25519_key(ed_key: ed25519.Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidSignature):
        await verify(ed25519_get(ed_key, "rsa-sha256", created=False), alice(ed_key))


async def test_created_pseudo_header_needs_hs2019(ed_key: ed25519.Ed25519PrivateKey) -> None:
    with pytest.raises(MalformedSignature, match=r"\(created\) is signed without hs2019"):
        await verify(ed25519_get(ed_key, "rsa-sha256", created=True), alice(ed_key))


async def test_headers_order_is_the_one_given(rsa_key: rsa.RSAPrivateKey) -> None:
    url, date = "https://chiffres.example/figures/1", http_date(NOW)
    text = f"date: {date}\nhost: chiffres.example\n(request-target): get /figures/1"
    good = signed_by_hand(rsa_key, ALICE_KEY, "date host (request-target)", text)
    headers = {"Host": "chiffres.example", "Date": date, "Signature": good}
    assert await verify(SignedRequest("GET", url, headers), alice(rsa_key))
    reordered = good.replace("date host (request-target)", "(request-target) host date")
    with pytest.raises(InvalidSignature):
        await verify(SignedRequest("GET", url, headers | {"Signature": reordered}), alice(rsa_key))


@pytest.mark.parametrize(("signed_target", "ok"), [("/f?page=2", True), ("/f", True), ("/f?page=3", False)])
async def test_request_target_with_and_without_query(rsa_key: rsa.RSAPrivateKey, signed_target: str, ok: bool) -> None:
    date = http_date(NOW)
    text = f"(request-target): get {signed_target}\nhost: chiffres.example\ndate: {date}"
    headers = {"Host": "chiffres.example", "Date": date}
    headers["Signature"] = signed_by_hand(rsa_key, ALICE_KEY, "(request-target) host date", text)
    request = SignedRequest("GET", "https://chiffres.example/f?page=2", headers)
    if ok:
        assert await verify(request, alice(rsa_key))
    else:
        with pytest.raises(InvalidSignature):
            await verify(request, alice(rsa_key))


@pytest.mark.parametrize(
    ("age", "ok"),
    [
        (timedelta(hours=1, minutes=4), True),
        (timedelta(hours=1, minutes=6), False),
        (-timedelta(minutes=59), True),
        (-timedelta(minutes=61), False),
    ],
)
async def test_date_window(rsa_key: rsa.RSAPrivateKey, age: timedelta, ok: bool) -> None:
    request = mastodon_post(rsa_key, date=http_date(NOW - age))
    if ok:
        assert await verify(request, alice(rsa_key))
    else:
        with pytest.raises(StaleDate) as caught:
            await verify(request, alice(rsa_key))
        assert caught.value.status == 401


@pytest.mark.parametrize(("created_ago", "lifetime", "ok"), [(5, 6, True), (14, 20, False)])
async def test_expires_extends_the_window_up_to_12_hours(
    rsa_key: rsa.RSAPrivateKey, created_ago: int, lifetime: int, ok: bool
) -> None:
    created = int((NOW - timedelta(hours=created_ago)).timestamp())
    expires = created + lifetime * 3600
    text = f"(request-target): get /f\nhost: chiffres.example\n(created): {created}\n(expires): {expires}"
    value = base64.b64encode(rsa_key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    signature = (
        f'keyId="{ALICE_KEY}",algorithm="hs2019",created={created},expires={expires},'
        f'headers="(request-target) host (created) (expires)",signature="{value}"'
    )
    request = SignedRequest("GET", "https://chiffres.example/f", {"Host": "chiffres.example", "Signature": signature})
    if ok:
        assert await verify(request, alice(rsa_key))
    else:
        with pytest.raises(StaleDate):
            await verify(request, alice(rsa_key))


async def test_missing_date_header(rsa_key: rsa.RSAPrivateKey) -> None:
    request = mastodon_post(rsa_key)
    headers = {k: v for k, v in request.headers.items() if k != "date"}
    with pytest.raises(MalformedSignature, match="Date header"):
        await verify(SignedRequest("POST", INBOX, headers, FOLLOW), alice(rsa_key))


@pytest.mark.parametrize(
    ("method", "covered", "reason"),
    [
        ("POST", "(request-target) host date", "Digest header must be signed"),
        ("GET", "(request-target) date", "Host header must be signed"),
        ("GET", "(request-target) host", "Date header or the \\(created\\)"),
        ("POST", "host date digest content-length", "absent from the request"),
    ],
)
async def test_required_parts_must_be_signed(
    rsa_key: rsa.RSAPrivateKey, method: str, covered: str, reason: str
) -> None:
    date, digest = http_date(NOW), "SHA-256=" + sha256_b64(FOLLOW)
    headers = {"Host": "chiffres.example", "Date": date, "Digest": digest}
    headers["Signature"] = signed_by_hand(rsa_key, ALICE_KEY, covered, "not reached")
    with pytest.raises(MalformedSignature, match=reason):
        await verify(SignedRequest(method, INBOX, headers, FOLLOW), alice(rsa_key))


async def test_tampered_body_fails_the_digest(rsa_key: rsa.RSAPrivateKey) -> None:
    request = mastodon_post(rsa_key)
    tampered = SignedRequest("POST", INBOX, request.headers, FOLLOW.replace(b"Follow", b"Block"))
    with pytest.raises(BadDigest, match="does not match the body") as caught:
        await verify(tampered, alice(rsa_key))
    assert caught.value.status == 401


@pytest.mark.parametrize(
    ("digest", "error", "status"),
    [
        ("SHA-256=" + sha256_b64(b"another body"), BadDigest, 401),
        ("MD5=" + base64.b64encode(hashlib.md5(FOLLOW).digest()).decode(), BadDigest, 401),
        ("SHA-256=not base64!", MalformedDigest, 400),
        ("SHA-256=" + base64.b64encode(b"short").decode(), MalformedDigest, 400),
    ],
)
async def test_bad_digest_headers(
    rsa_key: rsa.RSAPrivateKey, digest: str, error: type[SignatureError], status: int
) -> None:
    with pytest.raises(error) as caught:
        await verify(mastodon_post(rsa_key, digest=digest), alice(rsa_key))
    assert caught.value.status == status


async def test_unsigned_request_is_missing_signature() -> None:
    with pytest.raises(MissingSignature) as caught:
        await verify(SignedRequest("POST", INBOX, {"Host": "chiffres.example"}, FOLLOW), Directory({}))
    assert caught.value.reason == "the request is not signed (no Signature header)"


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ('keyId="k",algorithm="rsa-sha512",headers="date",signature="AAAA"', "unsupported algorithm"),
        ('algorithm="rsa-sha256",headers="date",signature="AAAA"', "keyId and signature are required"),
        ("keyId", "cannot be parsed"),
    ],
)
async def test_malformed_signature_headers(signature: str, reason: str) -> None:
    headers = {"Host": "chiffres.example", "Date": http_date(NOW), "Signature": signature}
    with pytest.raises(MalformedSignature, match=reason):
        await verify(SignedRequest("GET", INBOX, headers), Directory({}))


async def test_wrong_key_fails_after_one_refresh(rsa_key: rsa.RSAPrivateKey, old_rsa_key: rsa.RSAPrivateKey) -> None:
    directory = alice(old_rsa_key)
    with pytest.raises(InvalidSignature, match=ALICE_KEY):
        await verify(mastodon_post(rsa_key), directory)
    assert directory.calls == [(ALICE_KEY, False), (ALICE_KEY, True)]


async def test_rotated_key_is_refetched_once(rsa_key: rsa.RSAPrivateKey, old_rsa_key: rsa.RSAPrivateKey) -> None:
    directory = alice(old_rsa_key)
    directory.refreshed[ALICE_KEY] = PublicKeyInfo(ALICE, pem(rsa_key))
    assert (await verify(mastodon_post(rsa_key), directory)).owner == ALICE
    assert directory.calls == [(ALICE_KEY, False), (ALICE_KEY, True)]


async def test_good_key_is_not_refetched(rsa_key: rsa.RSAPrivateKey) -> None:
    directory = alice(rsa_key)
    await verify(mastodon_post(rsa_key), directory)
    assert directory.calls == [(ALICE_KEY, False)]


async def test_unparseable_key_is_refetched_then_reported(rsa_key: rsa.RSAPrivateKey) -> None:
    directory = Directory({ALICE_KEY: PublicKeyInfo(ALICE, "not a key")})
    with pytest.raises(KeyUnavailable, match="cannot be used"):
        await verify(mastodon_post(rsa_key), directory)
    directory.refreshed[ALICE_KEY] = PublicKeyInfo(ALICE, pem(rsa_key))
    assert await verify(mastodon_post(rsa_key), directory)


async def test_resolver_failure_keeps_its_status(rsa_key: rsa.RSAPrivateKey) -> None:
    async def unreachable(key_id: str, refresh: bool) -> PublicKeyInfo:
        raise KeyUnavailable(f"{key_id}: connection refused", temporary=True)

    with pytest.raises(KeyUnavailable) as caught:
        await verify_request(mastodon_post(rsa_key), unreachable, NOW, KeyCache())
    assert caught.value.status == 503


async def test_stale_request_costs_no_key_fetch(rsa_key: rsa.RSAPrivateKey) -> None:
    directory = alice(rsa_key)
    with pytest.raises(StaleDate):
        await verify(mastodon_post(rsa_key, date=http_date(NOW - timedelta(days=1))), directory)
    assert directory.calls == []


async def test_host_falls_back_to_the_url(rsa_key: rsa.RSAPrivateKey) -> None:
    headers = sign_cavage("GET", INBOX, key_id=ALICE_KEY, private_key=rsa_key, now=NOW)
    del headers["Host"]
    assert await verify(SignedRequest("GET", INBOX, headers), alice(rsa_key))
    with pytest.raises(InvalidSignature):  # a proxy that rewrote Host breaks the signature
        await verify(SignedRequest("GET", INBOX, headers | {"Host": "127.0.0.1:8000"}), alice(rsa_key))


async def test_naive_clock_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_cavage("GET", INBOX, key_id=ALICE_KEY, private_key=rsa_key, now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        await verify_request(mastodon_post(rsa_key), alice(rsa_key).resolve, NOW.replace(tzinfo=None), KeyCache())


def raw(key: PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_parse_public_key_pem_and_multikey(rsa_key: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey) -> None:
    assert raw(parse_public_key(pem(rsa_key))) == raw(rsa_key.public_key())
    assert raw(parse_public_key(pem(ed_key))) == raw(ed_key.public_key())
    # Test vector of the Data Integrity EdDSA specification: a Multikey pair, secret prefixed 0x8026.
    secret = base58_decode("3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
    public = ed25519.Ed25519PrivateKey.from_private_bytes(secret[2:]).public_key()
    assert raw(parse_public_key("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")) == raw(public)


def test_parse_public_key_refuses_other_keys() -> None:
    with pytest.raises(ValueError, match="not supported"):
        parse_public_key(pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(ValueError, match="not an Ed25519"):
        parse_public_key("z" + "2" * 40)


def test_key_cache_parses_once_per_key_text(rsa_key: rsa.RSAPrivateKey, old_rsa_key: rsa.RSAPrivateKey) -> None:
    cache = KeyCache()
    first = cache.public_key(ALICE_KEY, pem(rsa_key))
    assert cache.public_key(ALICE_KEY, pem(rsa_key)) is first
    rotated = cache.public_key(ALICE_KEY, pem(old_rsa_key))
    assert raw(rotated) == raw(old_rsa_key.public_key())
    assert len(cache) == 2
    assert cache.public_key("other", rotated) is rotated


def test_key_cache_evicts_the_least_recently_used(
    rsa_key: rsa.RSAPrivateKey, old_rsa_key: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey
) -> None:
    cache = KeyCache(max_size=2)
    a = cache.public_key("a", pem(rsa_key))
    b = cache.public_key("b", pem(old_rsa_key))
    assert cache.public_key("a", pem(rsa_key)) is a
    cache.public_key("c", pem(ed_key))
    assert len(cache) == 2
    assert cache.public_key("a", pem(rsa_key)) is a
    assert cache.public_key("b", pem(old_rsa_key)) is not b


def test_digest_header_reading() -> None:
    assert digest_header(b"") == "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    both = parse_digest("SHA-256=" + sha256_b64(FOLLOW) + ", md5=" + base64.b64encode(b"x" * 16).decode())
    assert body_matches(both, FOLLOW) is True
    assert body_matches(parse_digest("sha-256=" + sha256_b64(b"")), FOLLOW) is False
    assert body_matches(parse_digest("MD5=AAAA"), FOLLOW) is None
    with pytest.raises(ValueError, match="malformed"):
        parse_digest("SHA-256")


async def test_signature_header_spacing_is_tolerated(rsa_key: rsa.RSAPrivateKey) -> None:
    request = mastodon_post(rsa_key)
    spaced = " " + request.headers["signature"].replace('",', '" , ') + " "
    assert await verify(
        SignedRequest("POST", INBOX, dict(request.headers) | {"signature": spaced}, FOLLOW), alice(rsa_key)
    )


def _cavage_by_expression(value: str) -> dict[str, str] | None:
    """The Signature header as the regular expression alone reads it (None: malformed)."""
    params: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        found = signatures._CAVAGE_PARAM.match(value, pos)
        if found is None:
            return None
        name, quoted, bare = found.groups()
        params[name.lower()] = bare.strip() if quoted is None else signatures._ESCAPE.sub(r"\1", quoted)
        pos = found.end()
    return params


def test_the_plain_reading_of_a_signature_header_is_the_expressions_whenever_it_reads_one() -> None:
    rng = random.Random(20261201)
    headers = [
        'keyId="https://a.example/users/b#main-key",algorithm="rsa-sha256",headers="(request-target) host date",'
        'signature="' + "Ab+/" * 85 + 'AA=="'
    ]
    for _ in range(100_000):
        if rng.random() < 0.3:
            headers.append("".join(rng.choice('aK=", \t\\;x1') for _ in range(rng.randint(0, 20))))
            continue
        parts = []
        for _ in range(rng.randint(1, 4)):
            name = rng.choice(["keyId", "a", "HEADERS", "x1", "", "sig nature"])
            text = "".join(rng.choice('ab ,=\\"\t') for _ in range(rng.randint(0, 6)))
            space, quote = rng.choice(["", " ", "\t", "  "]), rng.choice(['"', '"', ""])
            parts.append(f"{space}{name}{space}={space}{quote}{text}{quote}{space}")
        headers.append(rng.choice([",", ", ", ",,"]).join(parts) + rng.choice(["", ",", " ,"]))
    read = 0
    for header in (header.strip() for header in headers):
        plain = signatures._plain_cavage(header)
        if plain is not None:
            read += 1
            assert plain == _cavage_by_expression(header), header
    assert read > 2_000, "the plain reading is taken"
    assert signatures._plain_cavage(headers[0]) is not None
