"""RFC 9421 HTTP Message Signatures: the wire format, the signature base, and the signer.

Only the part of RFC 8941 (structured fields) that signatures and digests use is implemented: dictionaries
whose members are items or inner lists, with parameters; integers, strings, tokens, booleans and byte
sequences. Decimals, component parameters (``;sf``, ``;key``, ``;req``…) and ``@query-param`` are refused,
so a signature we cannot reproduce byte for byte is reported as malformed rather than guessed at.

The ``@signature-params`` line is rebuilt by serialising what was parsed; RFC 8941 serialisation is
canonical, so this equals the sender's bytes for any well-formed header.

Both draft-cavage and RFC 9421 use the same two primitives (RSASSA-PKCS1-v1_5 with SHA-256, and Ed25519),
so ``sign_bytes`` and ``verify_bytes`` live here and ``fedi.signatures`` reuses them.

Malformed input raises ``ValueError`` with a sentence fit to be shown to the sender.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

PublicKey = RSAPublicKey | Ed25519PublicKey
PrivateKey = RSAPrivateKey | Ed25519PrivateKey


class Token(str):
    """An RFC 8941 token: serialised bare, where a plain ``str`` is serialised as a quoted string."""

    __slots__ = ()


BareItem = bool | int | str | bytes
Params = dict[str, BareItem]
Item = tuple[BareItem, Params]
Member = tuple[BareItem | list[Item], Params]

DERIVED = frozenset({"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"})
_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_INTEGER = re.compile(r"-?[0-9]{1,15}")
_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")


class _Parser:
    """A cursor over one header value; each method consumes what it parses."""

    def __init__(self, text: str) -> None:
        self.text = text.strip(" \t")
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} at offset {self.pos} in {self.text!r}")
        self.pos += 1

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def match(self, pattern: re.Pattern[str], what: str) -> re.Match[str]:
        found = pattern.match(self.text, self.pos)
        if found is None:
            raise ValueError(f"expected {what} at offset {self.pos} in {self.text!r}")
        self.pos = found.end()
        return found

    def dictionary(self) -> dict[str, Member]:
        members: dict[str, Member] = {}
        while self.pos < len(self.text):
            key = self.match(_KEY, "a key").group()
            if self.peek() == "=":
                self.pos += 1
                members[key] = self.inner_list() if self.peek() == "(" else self.item()
            else:
                members[key] = (True, self.params())
            self.skip(" \t")
            if self.pos < len(self.text):
                self.expect(",")
                self.skip(" \t")
                if self.pos == len(self.text):
                    raise ValueError(f"trailing comma in {self.text!r}")
        return members

    def inner_list(self) -> Member:
        self.expect("(")
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return items, self.params()
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise ValueError(f"inner list is malformed at offset {self.pos} in {self.text!r}")

    def item(self) -> Item:
        return self.bare_item(), self.params()

    def params(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            key = self.match(_KEY, "a parameter name").group()
            params[key] = True
            if self.peek() == "=":
                self.pos += 1
                params[key] = self.bare_item()
        return params

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == '"':
            return self.string()
        if char == ":":
            return _b64(self.match(_BYTES, "a byte sequence").group(1))
        if char == "?":
            return self.match(re.compile(r"\?[01]"), "a boolean").group() == "?1"
        if char == "-" or char.isdigit():
            number = self.match(_INTEGER, "an integer").group()
            if self.peek() == ".":
                raise ValueError("decimal values are not supported")
            return int(number)
        return Token(self.match(_TOKEN, "an item").group())

    def string(self) -> str:
        self.expect('"')
        out: list[str] = []
        while (char := self.peek()) != '"':
            if char == "\\":
                self.pos += 1
                char = self.peek()
                if char not in ('"', "\\"):
                    raise ValueError("bad escape in string")
            elif not " " <= char <= "~":
                raise ValueError("unterminated string" if not char else "bad character in string")
            out.append(char)
            self.pos += 1
        self.pos += 1
        return "".join(out)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("byte sequence is not valid base64") from None


def parse_dictionary(value: str) -> dict[str, Member]:
    """Parse an RFC 8941 dictionary (``Signature-Input``, ``Signature``, ``Content-Digest``)."""
    return _Parser(value).dictionary()


def serialize_bare_item(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_params(params: Params) -> str:
    return "".join(f";{k}" if v is True else f";{k}={serialize_bare_item(v)}" for k, v in params.items())


def serialize_inner_list(items: Sequence[Item], params: Params) -> str:
    inner = " ".join(serialize_bare_item(v) + serialize_params(p) for v, p in items)
    return f"({inner}){serialize_params(params)}"


def serialize_dictionary(members: Mapping[str, BareItem]) -> str:
    """Serialise a dictionary of plain items (what ``Signature`` and ``Content-Digest`` hold)."""
    return ", ".join(f"{key}={serialize_bare_item(value)}" for key, value in members.items())


@dataclass(frozen=True)
class MessageSignature:
    """One signature read from ``Signature-Input`` + ``Signature``: what it covers and the claimed bytes."""

    label: str
    components: tuple[str, ...]
    params: Params
    signature: bytes

    @property
    def signature_params(self) -> str:
        return serialize_inner_list([(c, {}) for c in self.components], self.params)


def parse_message_signature(signature_input: str, signature: str) -> MessageSignature:
    """The first signature of ``Signature-Input`` that ``Signature`` carries (Mastodon sends one)."""
    inputs, values = parse_dictionary(signature_input), parse_dictionary(signature)
    label = next((name for name in inputs if name in values), None)
    if label is None:
        raise ValueError("no label of Signature-Input has a value in Signature")
    covered, params = inputs[label]
    value = values[label][0]
    if not isinstance(covered, list) or not isinstance(value, bytes):
        raise ValueError(f"signature {label} is not an inner list with a byte sequence")
    components = []
    for name, component_params in covered:
        if not isinstance(name, str) or isinstance(name, Token) or component_params:
            raise ValueError(f"covered component {name!r} is not a plain string")
        if name in components:
            raise ValueError(f"covered component {name} appears twice")
        components.append(name)
    return MessageSignature(label, tuple(components), params, value)


def authority_of(url: str) -> str:
    """Host and non-default port, lower case: the form both ``Host`` and ``@authority`` take."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def component_value(name: str, method: str, url: str, headers: Mapping[str, str]) -> str:
    """The value one covered component takes; ``headers`` has lower-case names."""
    parts = urlsplit(url)
    derived = {
        "@method": lambda: method,  # case-sensitive, never normalised (RFC 9421 §2.2.1)
        "@target-uri": lambda: url,
        "@authority": lambda: authority_of(url),
        "@scheme": lambda: parts.scheme.lower(),
        "@path": lambda: parts.path or "/",
        "@query": lambda: "?" + parts.query,
        "@request-target": lambda: (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
    }
    if name.startswith("@"):
        if name not in derived:
            raise ValueError(f"derived component {name} is not supported")
        return derived[name]()
    if name not in headers:
        raise ValueError(f"covered header {name} is absent from the request")
    value = headers[name].strip(" \t")
    if "\n" in value or "\r" in value:
        raise ValueError(f"header {name} contains a line break")
    return value


def signature_base(signature: MessageSignature, method: str, url: str, headers: Mapping[str, str]) -> bytes:
    """The bytes that were signed (RFC 9421 §2.5)."""
    lines = [f'"{c}": {component_value(c, method, url, headers)}' for c in signature.components]
    lines.append(f'"@signature-params": {signature.signature_params}')
    return "\n".join(lines).encode("latin-1")  # header values as ASGI decodes them


def sign_bytes(private_key: PrivateKey, data: bytes) -> bytes:
    if isinstance(private_key, RSAPrivateKey):
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return private_key.sign(data)


def verify_bytes(public_key: PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        if isinstance(public_key, RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def sign_message(
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    components: Sequence[str],
    params: Params,
    private_key: PrivateKey,
    label: str = "sig1",
) -> dict[str, str]:
    """``Signature-Input`` and ``Signature`` for exactly these components and parameters."""
    lowered = {name.lower(): value for name, value in headers.items()}
    unsigned = MessageSignature(label, tuple(components), dict(params), b"")
    value = sign_bytes(private_key, signature_base(unsigned, method, url, lowered))
    return {
        "Signature-Input": f"{label}={unsigned.signature_params}",
        "Signature": serialize_dictionary({label: value}),
    }
