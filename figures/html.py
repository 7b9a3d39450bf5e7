"""The HTML of a post, kept to what Mastodon's sanitiser lets through.

Mastodon cleans every remote `content` with its `MASTODON_STRICT` configuration
(`lib/sanitize_ext/sanitize_config.rb`): any other element is unwrapped or dropped (a table's
cells run together, an image vanishes, a script's text is removed), other attributes are
removed, a class outside its list is removed, and a link whose scheme is not one of its link
protocols becomes plain text. A figure must read the same in a Mastodon timeline as on our own
pages, so we write only what survives, and `violations` lists what would not.

The elements are the ones every Mastodon since 4.0 keeps (later versions added `s` and
`ruby`; we do not rely on them). Attributes follow the current configuration, whose additions
(`lang`, `translate`, a paragraph's class) older versions drop without changing what is shown;
`target` is accepted on links because Mastodon sets `target="_blank"` on every link itself.

Builders return `Html`, a `str` that is already markup, so that the type checker tells text that
still needs escaping from markup that must not be escaped twice.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Final, NewType

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_ELEMENTS",
    "LINK_PROTOCOLS",
    "Html",
    "escape",
    "escape_attribute",
    "hashtag",
    "join",
    "link",
    "mention",
    "paragraph",
    "strong",
    "text",
    "violations",
]

Html = NewType("Html", str)

ALLOWED_ELEMENTS: Final = frozenset(
    {"p", "br", "span", "a", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote"}
)
ALLOWED_ATTRIBUTES: Final[Mapping[str, frozenset[str]]] = {
    "a": frozenset({"href", "rel", "class", "target", "translate"}),
    "span": frozenset({"class", "translate"}),
    "p": frozenset({"class"}),
    "ol": frozenset({"start", "reversed"}),
    "li": frozenset({"value"}),
}
_ANY_ELEMENT: Final = frozenset({"lang"})
LINK_PROTOCOLS: Final = frozenset(
    {"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"}
)
# Microformats (h-card, u-url…), mentions and hashtags, and the classes that shorten long links.
_ALLOWED_CLASS: Final = re.compile(r"(?:h|p|u|dt|e)-.*|mention|hashtag|ellipsis|invisible|quote-inline", re.DOTALL)
# Sanitize's REGEX_PROTOCOL, applied after character references are decoded (html.parser does
# that for attribute values): whatever precedes the first ":" that comes before any "/" or "#".
_SCHEME: Final = re.compile(r"\s*([^/#]*?):", re.DOTALL)
_CLASS_SEPARATORS: Final = re.compile(r"[\t\n\f\r ]+")
_LINE_BREAKS: Final = re.compile(r"[ \t]*(?:\r\n|\r|\n)\s*")


def escape(content: str) -> Html:
    """Text as the content of an element: only "&", "<" and ">" matter there, so quotes stay
    as typed ("d'un T2") and a post's source reads like its text."""
    return Html(html.escape(content, quote=False))


def escape_attribute(value: str) -> str:
    """A value for a double-quoted attribute: quotes are escaped too."""
    return html.escape(value, quote=True)


def text(content: str) -> Html:
    """Escaped text whose line breaks become `<br>`; a run of blank lines becomes one, since
    a paragraph cannot hold paragraphs."""
    lines = _LINE_BREAKS.split(content.strip())
    return Html("<br>".join(escape(line) for line in lines))


def join(parts: Iterable[Html], separator: str = "") -> Html:
    """Markup fragments one after the other, with `separator` (plain text) between them."""
    return Html(escape(separator).join(parts))


def paragraph(*parts: Html) -> Html:
    return _element("p", {}, join(parts))


def strong(content: str) -> Html:
    return _element("strong", {}, escape(content))


def link(href: str, label: str, *, rel: str = "nofollow noopener noreferrer") -> Html:
    """A link that opens elsewhere, as Mastodon writes its own (it overwrites `rel` anyway)."""
    return _element("a", {"href": href, "rel": rel, "target": "_blank"}, escape(label))


def hashtag(tag: str, href: str) -> Html:
    """A hashtag exactly as Mastodon renders one, so that clients show it as a tag, not a link."""
    inner = Html("#" + _element("span", {}, escape(tag)))
    return _element("a", {"href": href, "class": "mention hashtag", "rel": "tag"}, inner)


def mention(username: str, href: str) -> Html:
    """A mention exactly as Mastodon renders one (an h-card around a `u-url mention` link), so that
    clients show `@username` as an account, and the link survives the sanitiser."""
    inner = Html("@" + _element("span", {}, escape(username)))
    return _element("span", {"class": "h-card"}, _element("a", {"href": href, "class": "u-url mention"}, inner))


def _element(tag: str, attributes: Mapping[str, str], inner: Html) -> Html:
    written = "".join(f' {name}="{escape_attribute(value)}"' for name, value in attributes.items())
    return Html(f"<{tag}{written}>{inner}</{tag}>")


def violations(markup: str) -> list[str]:
    """What Mastodon's sanitiser would change in `markup`, in document order, one entry each:
    "element <table>", "attribute onclick on <a>", "class foo on <span>", "protocol javascript
    in <a href>", "relative link in <a href>", "comment", "declaration"."""
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    return checker.found


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_ELEMENTS:
            self.found.append(f"element <{tag}>")
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, frozenset()) | _ANY_ELEMENT
        for name, value in attrs:
            if name not in allowed:
                self.found.append(f"attribute {name} on <{tag}>")
            elif name == "class":
                classes = _CLASS_SEPARATORS.split(value or "")
                self.found.extend(f"class {item} on <{tag}>" for item in classes if item and not _class_ok(item))
            elif name == "href":
                self._check_href(tag, value or "")

    def _check_href(self, tag: str, href: str) -> None:
        match = _SCHEME.match(href)
        if match is None:
            self.found.append(f"relative link in <{tag} href>")
        elif match.group(1).lower() not in LINK_PROTOCOLS:
            self.found.append(f"protocol {match.group(1).lower()} in <{tag} href>")

    def handle_comment(self, data: str) -> None:
        self.found.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.found.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.found.append("processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.found.append("declaration")


def _class_ok(name: str) -> bool:
    return _ALLOWED_CLASS.fullmatch(name) is not None
