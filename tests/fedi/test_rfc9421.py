from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from fedi import rfc9421
from fedi.digest import body_matches, content_digest_header, parse_content_digest
from fedi.rfc9421 import Token, parse_dictionary, parse_message_signature, serialize_inner_list
from fedi.signatures import (
    BadDigest,
    InvalidSignature,
    KeyCache,
    MalformedDigest,
    MalformedSignature,
    PublicKeyInfo,
    SignedRequest,
    StaleDate,
    VerifiedSignature,
    parse_public_key,
    sign_rfc9421,
    verify_request,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
INBOX = "https://chiffres.example/groups/loyers/inbox"
ACTOR = "https://peer.example/users/carol"
KEY_ID = f"{ACTOR}#main-key"
BODY = b'{"type":"Like","actor":"https://peer.example/users/carol","object":"https://chiffres.example/figures/1"}'

# RFC 9421 appendix B.1.4 (test-key-ed25519) and B.2.6 (signing a request using ed25519).
RFC_PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
RFC_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""
RFC_URL = "https://example.com/foo?param=Value&Pet=dog"
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": (
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
    ),
    "Content-Length": "18",
}
RFC_BODY = b'{"hello": "world"}'
RFC_COMPONENTS = ["date", "@method", "@path", "@authority", "content-type", "content-length"]
RFC_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_SIGNATURE = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
RFC_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@method": POST\n"@path": /foo\n"@authority": example.com\n'
    '"content-type": application/json\n"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    public = key.public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class Directory:
    def __init__(self, *materials: str) -> None:
        self.materials = list(materials)
        self.calls: list[bool] = []

    async def resolve(self, key_id: str, refresh: bool) -> PublicKeyInfo:
        self.calls.append(refresh)
        return PublicKeyInfo(ACTOR, self.materials[min(len(self.calls), len(self.materials)) - 1])


async def verify(request: SignedRequest, *materials: str, now: datetime = NOW) -> VerifiedSignature:
    return await verify_request(request, Directory(*materials).resolve, now, KeyCache())


def signed_post(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, body: bytes = BODY) -> SignedRequest:
    headers = sign_rfc9421("POST", INBOX, key_id=KEY_ID, private_key=key, now=NOW, body=body)
    return SignedRequest("POST", INBOX, headers, body)


def test_rfc_b26_signature_base_and_signature_are_reproduced() -> None:
    key = serialization.load_pem_private_key(RFC_PRIVATE_KEY.encode(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    params: rfc9421.Params = {"created": 1618884473, "keyid": "test-key-ed25519"}
    signed = rfc9421.sign_message(
        "POST", RFC_URL, RFC_HEADERS, components=RFC_COMPONENTS, params=params, private_key=key, label="sig-b26"
    )
    assert signed == {"Signature-Input": RFC_INPUT, "Signature": RFC_SIGNATURE}
    parsed = parse_message_signature(RFC_INPUT, RFC_SIGNATURE)
    headers = {name.lower(): value for name, value in RFC_HEADERS.items()}
    base = rfc9421.signature_base(parsed, "POST", RFC_URL, headers)
    assert base == RFC_BASE.encode()
    assert rfc9421.verify_bytes(parse_public_key(RFC_PUBLIC_KEY), base, parsed.signature)


async def test_rfc_b26_request_is_refused_by_the_coverage_policy() -> None:
    headers = RFC_HEADERS | {"Signature-Input": RFC_INPUT, "Signature": RFC_SIGNATURE}
    request = SignedRequest("POST", RFC_URL, headers, RFC_BODY)
    with pytest.raises(MalformedSignature, match="@method and @target-uri"):
        await verify(request, RFC_PUBLIC_KEY, now=datetime.fromtimestamp(1618884473, UTC))


def test_rfc9530_content_digest_values() -> None:
    assert content_digest_header(RFC_BODY) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    assert (
        f"Content-Digest: {content_digest_header(RFC_BODY, 'sha-512')}"
        == "Content-Digest: " + (RFC_HEADERS["Content-Digest"])
    )
    assert body_matches(parse_content_digest(RFC_HEADERS["Content-Digest"]), RFC_BODY) is True
    assert body_matches(parse_content_digest("md5=:AAAA:"), RFC_BODY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a=1, b="x\\"y", c=tok/en:1, d=?0, e, f=:AAE=:', {"a": 1, "b": 'x"y', "c": "tok/en:1", "d": False, "e": True}),
        ('sig=("@method" "x");created=-5;flag', {"sig": [("@method", {}), ("x", {})]}),
    ],
)
def test_parse_dictionary(text: str, expected: dict[str, object]) -> None:
    parsed = parse_dictionary(text)
    for name, value in expected.items():
        assert parsed[name][0] == value
    if "f" in parsed:
        assert parsed["f"][0] == b"\x00\x01"
        assert isinstance(parsed["c"][0], Token)
    if "sig" in parsed:
        assert parsed["sig"][1] == {"created": -5, "flag": True}


@pytest.mark.parametrize("text", ["a=1,", "a=1.5", "A=1", 'a="open', "a=(1 2", 'a="tab\there"', "a=:@@:"])
def test_parse_dictionary_refuses_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_dictionary(text)


def test_serialize_inner_list_is_canonical() -> None:
    items: list[rfc9421.Item] = [("@method", {}), ("content-digest", {})]
    params: rfc9421.Params = {"created": 3, "keyid": 'a"b', "alg": Token("x"), "f": False, "t": True}
    assert serialize_inner_list(items, params) == '("@method" "content-digest");created=3;keyid="a\\"b";alg=x;f=?0;t'


def test_first_label_with_a_value_is_used() -> None:
    parsed = parse_message_signature('a=("@method");created=1, b=("@path");created=2', "b=:AAAA:")
    assert (parsed.label, parsed.components) == ("b", ("@path",))


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [('s=("@method" "@method")', "twice"), ('s=("x";sf)', "plain string"), ("s=(tok)", "plain string")],
)
def test_parse_message_signature_refuses(inputs: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_message_signature(inputs, "s=:AAAA:")


def test_derived_components() -> None:
    url = "https://Chiffres.Example:443/a%2Fb?x=1&y"
    values = {name: rfc9421.component_value(name, "POST", url, {}) for name in sorted(rfc9421.DERIVED)}
    assert values == {
        "@authority": "chiffres.example",
        "@method": "POST",
        "@path": "/a%2Fb",
        "@query": "?x=1&y",
        "@request-target": "/a%2Fb?x=1&y",
        "@scheme": "https",
        "@target-uri": url,
    }
    assert rfc9421.component_value("@query", "GET", "https://h/p", {}) == "?"
    with pytest.raises(ValueError, match="not supported"):
        rfc9421.component_value("@query-param", "GET", url, {})


async def test_sign_rfc9421_round_trip_rsa_get(rsa_key: rsa.RSAPrivateKey) -> None:
    url = "https://peer.example/users/carol/outbox?page=1"
    headers = sign_rfc9421("GET", url, key_id=KEY_ID, private_key=rsa_key, now=NOW)
    assert (
        headers["Signature-Input"] == f'sig1=("@method" "@target-uri");created={int(NOW.timestamp())};keyid="{KEY_ID}"'
    )
    verified = await verify(SignedRequest("GET", url, headers), pem(rsa_key))
    assert verified == VerifiedSignature(KEY_ID, ACTOR, "rfc9421", NOW)


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
async def test_sign_rfc9421_round_trip_post(
    rsa_key: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey, kind: str
) -> None:
    key = rsa_key if kind == "rsa" else ed_key
    request = signed_post(key)
    assert request.headers["content-digest"] == content_digest_header(BODY)
    assert '"content-type" "content-digest")' in request.headers["signature-input"]
    assert (await verify(request, pem(key))).scheme == "rfc9421"


async def test_missing_created_is_refused(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = {"Content-Digest": content_digest_header(BODY)}
    signed = rfc9421.sign_message(
        "POST",
        INBOX,
        headers,
        components=["@method", "@target-uri", "content-digest"],
        params={"keyid": KEY_ID},
        private_key=ed_key,
    )
    with pytest.raises(MalformedSignature, match="created parameter is required"):
        await verify(SignedRequest("POST", INBOX, headers | signed, BODY), pem(ed_key))


async def test_post_must_cover_content_digest(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = sign_rfc9421("POST", INBOX, key_id=KEY_ID, private_key=ed_key, now=NOW)
    with pytest.raises(MalformedSignature, match="Content-Digest header must be signed"):
        await verify(SignedRequest("POST", INBOX, headers, BODY), pem(ed_key))


async def test_content_digest_mismatch(ed_key: ed25519.Ed25519PrivateKey) -> None:
    request = signed_post(ed_key)
    with pytest.raises(BadDigest, match="does not match the body"):
        await verify(SignedRequest("POST", INBOX, request.headers, BODY + b" "), pem(ed_key))


async def test_content_digest_sha512_is_checked(ed_key: ed25519.Ed25519PrivateKey) -> None:
    request = signed_post(ed_key)
    sha512 = content_digest_header(BODY, "sha-512")
    headers = dict(request.headers) | {"content-digest": sha512}
    signed = rfc9421.sign_message(
        "POST",
        INBOX,
        headers,
        components=["@method", "@target-uri", "content-digest"],
        params={"created": int(NOW.timestamp()), "keyid": KEY_ID},
        private_key=ed_key,
    )
    assert await verify(SignedRequest("POST", INBOX, headers | signed, BODY), pem(ed_key))
    with pytest.raises(BadDigest):
        await verify(SignedRequest("POST", INBOX, headers | signed, BODY + b"!"), pem(ed_key))


async def test_unparseable_content_digest_is_a_400(ed_key: ed25519.Ed25519PrivateKey) -> None:
    request = signed_post(ed_key)
    headers = dict(request.headers) | {"content-digest": "sha-256=X48E9qOokqqrvdts8nOJ"}
    with pytest.raises(MalformedDigest) as caught:
        await verify(SignedRequest("POST", INBOX, headers, BODY), pem(ed_key))
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("created", "expires", "ok"),
    [
        (NOW - timedelta(minutes=64), None, True),
        (NOW - timedelta(minutes=66), None, False),
        (NOW + timedelta(minutes=61), None, False),
        (NOW - timedelta(hours=3), NOW - timedelta(minutes=59), True),
        (NOW - timedelta(hours=3), NOW - timedelta(minutes=61), False),
    ],
)
async def test_created_and_expires_window(
    ed_key: ed25519.Ed25519PrivateKey, created: datetime, expires: datetime | None, ok: bool
) -> None:
    params: rfc9421.Params = {"created": int(created.timestamp()), "keyid": KEY_ID}
    if expires is not None:
        params["expires"] = int(expires.timestamp())
    signed = rfc9421.sign_message(
        "GET", INBOX, {}, components=["@method", "@target-uri"], params=params, private_key=ed_key
    )
    request = SignedRequest("GET", INBOX, signed)
    if ok:
        assert await verify(request, pem(ed_key))
    else:
        with pytest.raises(StaleDate):
            await verify(request, pem(ed_key))


@pytest.mark.parametrize(("alg", "error"), [("ed25519", InvalidSignature), ("rsa-pss-sha512", MalformedSignature)])
async def test_alg_parameter_must_fit_the_key(rsa_key: rsa.RSAPrivateKey, alg: str, error: type[Exception]) -> None:
    params: rfc9421.Params = {"created": int(NOW.timestamp()), "keyid": KEY_ID, "alg": alg}
    signed = rfc9421.sign_message(
        "GET", INBOX, {}, components=["@method", "@target-uri"], params=params, private_key=rsa_key
    )
    with pytest.raises(error):
        await verify(SignedRequest("GET", INBOX, signed), pem(rsa_key))


async def test_signature_does_not_travel_to_another_url(ed_key: ed25519.Ed25519PrivateKey) -> None:
    request = signed_post(ed_key)
    elsewhere = SignedRequest("POST", "https://chiffres.example/inbox", request.headers, BODY)
    with pytest.raises(InvalidSignature):
        await verify(elsewhere, pem(ed_key))


async def test_rotated_key_is_refetched_once(rsa_key: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey) -> None:
    directory = Directory(pem(rsa_key), pem(ed_key))
    verified = await verify_request(signed_post(ed_key), directory.resolve, NOW, KeyCache())
    assert verified.owner == ACTOR
    assert directory.calls == [False, True]


async def test_signature_input_without_signature(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = {k: v for k, v in signed_post(ed_key).headers.items() if k != "signature"}
    with pytest.raises(MalformedSignature, match="Signature is not"):
        await verify(SignedRequest("POST", INBOX, headers, BODY), pem(ed_key))


async def test_garbled_signature_input(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = dict(signed_post(ed_key).headers) | {"signature-input": 'sig1=("@method" "@target-uri";created=1'}
    with pytest.raises(MalformedSignature, match="cannot be parsed"):
        await verify(SignedRequest("POST", INBOX, headers, BODY), pem(ed_key))


def test_signature_bytes_are_base64() -> None:
    assert parse_message_signature('s=("@method")', "s=:" + base64.b64encode(b"sig").decode() + ":").signature == b"sig"
