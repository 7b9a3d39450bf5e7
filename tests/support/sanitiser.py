"""What a Mastodon-family timeline shows of a post's ``content``: Mastodon's ``MASTODON_STRICT`` sanitiser, redone.

Written from Mastodon's ``lib/sanitize_ext/sanitize_config.rb`` and the defaults of the Sanitize gem, not from
``figures.html``, so that a mistake in our own allow-list cannot hide here: allowed elements keep their allowed
attributes; a class outside Mastodon's list is dropped; a link whose scheme is not one of its link protocols (or
that is relative, or has no ``href``) becomes its text; every link gets ``rel="nofollow noopener"`` and
``target="_blank"``; headings become a bold paragraph; ``script``, ``style`` and a few others vanish with what
they hold; any other element is unwrapped, its text kept; comments vanish.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Final

ELEMENTS: Final = frozenset(
    {"p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em", "ul", "ol", "li"}
)
ATTRIBUTES: Final = {
    "a": ("href", "rel", "class", "translate"),
    "span": ("class", "translate"),
    "ol": ("start", "reversed"),
    "li": ("value",),
    "p": ("class",),
}
LINK_PROTOCOLS: Final = frozenset(
    {"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"}
)
_REMOVE_CONTENTS: Final = frozenset(
    {"iframe", "math", "noembed", "noframes", "noscript", "plaintext", "script", "style", "svg", "template", "xmp"}
)
_VOID: Final = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CLASS: Final = re.compile(r"(?:h|p|u|dt|e)-.*|mention|hashtag|ellipsis|invisible|quote-inline", re.DOTALL)
_PROTOCOL: Final = re.compile(r"\A\s*([^/#]*?)(?:\:|&#0*58|&#x0*3a)", re.IGNORECASE)  # Sanitize's REGEX_PROTOCOL


@dataclass
class _Element:
    tag: str
    attributes: list[tuple[str, str]]
    children: list[_Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)


class _TreeBuilder(HTMLParser):
    """A forgiving tree: an end tag closes the nearest open element of its name, a stray one is ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#root", [])
        self._open: list[_Element] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, [(name, value or "") for name, value in attrs])
        self._open[-1].children.append(element)
        if tag not in _VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open[-1].children.append(_Element(tag, [(name, value or "") for name, value in attrs]))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)


def sanitise(markup: str) -> str:
    """The HTML a Mastodon-family server keeps of ``markup``."""
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return "".join(_clean(child) for child in builder.root.children)


def plain_text(markup: str) -> str:
    """The words of sanitised HTML, a paragraph or a line break per line: what a person reads."""
    spaced = re.sub(r"</p>|<br>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", spaced)).strip()


def _clean(node: _Element | str) -> str:
    if isinstance(node, str):
        return html.escape(node, quote=False)
    inner = "".join(_clean(child) for child in node.children)
    if node.tag in _REMOVE_CONTENTS:
        return ""
    if node.tag in _HEADINGS:
        return f"<p><strong>{inner}</strong></p>"
    if node.tag not in ELEMENTS:
        return inner
    if node.tag == "a" and not _linkable(dict(node.attributes).get("href")):
        return html.escape(node.text(), quote=False)
    kept = [(name, value) for name, value in node.attributes if name in ATTRIBUTES.get(node.tag, ()) or name == "lang"]
    kept = [(name, _classes(value) if name == "class" else value) for name, value in kept]
    kept = [(name, value) for name, value in kept if not (name == "class" and not value)]
    if node.tag == "a":
        kept = [(name, value) for name, value in kept if name != "rel"] + [
            ("rel", "nofollow noopener"),
            ("target", "_blank"),
        ]
    written = "".join(f' {name}="{html.escape(value, quote=True)}"' for name, value in kept)
    return f"<{node.tag}{written}>" if node.tag == "br" else f"<{node.tag}{written}>{inner}</{node.tag}>"


def _linkable(href: str | None) -> bool:
    match = _PROTOCOL.match(href or "")
    return match is not None and match.group(1).lower() in LINK_PROTOCOLS


def _classes(value: str) -> str:
    return " ".join(name for name in re.split(r"[\t\n\f\r ]+", value) if name and _CLASS.fullmatch(name))
