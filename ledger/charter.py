"""The reciprocity charter a follower accepts, French first, and the version of the wording they accepted.

The text is Markdown: ``charter.md`` (French) and ``charter.en.md`` (English) in the data directory replace the
ones shipped beside this module. Its version is a hash of both sources, so that an acceptance can name the wording
it accepted and peers can see (in NodeInfo) that the terms changed; no one has to remember to bump a number.

The Markdown comes from the instance's admin, but the page is served on the instance's own origin, where members
sign in: a pasted snippet must not become a script. So raw HTML in the source is shown as text, and the rendered
HTML goes through an allow-list of elements and attributes as well, which holds whatever the renderer emits.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Final

from markdown_it import MarkdownIt

__all__ = ["ACCEPT_PHRASES", "Charter", "load", "sanitise", "version"]

#: The phrases the shipped charter names, also the settings' defaults (``CHIFFRES_ACCEPT_PHRASE``, ``_EN``): an
#: instance that chooses its own says so in its own charter.
ACCEPT_PHRASES: Final[Mapping[str, str]] = {"fr": "J'ACCEPTE", "en": "I ACCEPT"}
FILES: Final[Mapping[str, str]] = {"fr": "charter.md", "en": "charter.en.md"}
_UNTITLED: Final[Mapping[str, str]] = {"fr": "Charte de réciprocité", "en": "Reciprocity charter"}

ALLOWED_ELEMENTS: Final = frozenset(
    {"p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "br"}
)
_VOID: Final = frozenset({"br"})
# Elements whose text is code or styling, not prose: dropped with their content rather than unwrapped.
_DROPPED: Final = frozenset({"script", "style", "template", "iframe", "object", "noscript", "textarea", "title"})
# Checked on the value html.parser hands over, character references already decoded; no leading blanks and no
# control characters anywhere, since browsers ignore those inside a scheme ("java\tscript:").
_LINK: Final = re.compile(r"(?:https?|mailto):[^\x00-\x20\x7f]*", re.IGNORECASE)
_REL: Final = "nofollow noopener noreferrer"


@dataclass(frozen=True)
class Charter:
    """Both languages under one version: whoever accepts, in either language, accepts the same terms."""

    version: str
    markdown: Mapping[str, str] = field(hash=False)

    def source(self, lang: str) -> str:
        return self.markdown.get(lang) or self.markdown["fr"]

    def title(self, lang: str) -> str:
        """The text of the first heading: the page's title, and the subject of the direct message."""
        return _title(self.source(lang)) or _UNTITLED.get(lang, _UNTITLED["fr"])

    def html(self, lang: str) -> str:
        return _render(self.source(lang))


def load(data_dir: Path) -> Charter:
    """This instance's charter, read again only when one of its files changes.

    A language the data directory does not supply shows the other one it does supply, not the shipped text:
    an instance's own French terms must not be accepted in English as the shipped ones. Only when it supplies
    neither are both shipped files used.
    """
    custom = {lang: _read(data_dir / name) for lang, name in FILES.items()}
    if not any(custom.values()):
        return _charter(_shipped(FILES["fr"]), _shipped(FILES["en"]))
    return _charter(custom["fr"] or custom["en"], custom["en"] or custom["fr"])


def version(french: str, english: str) -> str:
    digest = hashlib.sha256(french.encode("utf-8"))
    digest.update(english.encode("utf-8"))
    return digest.hexdigest()[:12]


def _read(path: Path) -> str:
    """The file's text, or "" when it is absent or blank; a stat per call, a read only when it changed."""
    try:
        status = path.stat()
    except OSError:
        return ""
    return _read_version(path, status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=8)
def _read_version(path: Path, mtime_ns: int, size: int) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    return text if text.strip() else ""


@cache
def _shipped(name: str) -> str:
    return resources.files("ledger").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def _charter(french: str, english: str) -> Charter:
    return Charter(version(french, english), {"fr": french, "en": english})


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def _title(source: str) -> str:
    tokens = _markdown().parse(source)
    for heading, inline in itertools.pairwise(tokens):
        if heading.type == "heading_open" and inline.children is not None:
            words = [child.content if child.type != "softbreak" else " " for child in inline.children]
            return "".join(words).strip()
    return ""


@lru_cache(maxsize=8)
def _render(source: str) -> str:
    return sanitise(_markdown().render(source))


def sanitise(markup: str) -> str:
    """``markup`` with only the allowed elements and attributes; other elements are unwrapped, their text kept."""
    cleaner = _Cleaner()
    cleaner.feed(markup)
    cleaner.close()
    return cleaner.result()


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._open: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropping += 1
        if self._dropping or tag not in ALLOWED_ELEMENTS:
            return
        if tag == "a":
            href = next((value for name, value in attrs if name == "href" and value), "")
            if not _LINK.fullmatch(href):
                return
            self._out.append(f'<a href="{html.escape(href, quote=True)}" rel="{_REL}">')
        else:
            self._out.append(f"<{tag}>")
        if tag not in _VOID:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropping = max(0, self._dropping - 1)
        elif not self._dropping and tag in self._open:
            while self._open:
                closed = self._open.pop()
                self._out.append(f"</{closed}>")
                if closed == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self._out.append(html.escape(data, quote=False))

    def result(self) -> str:
        return "".join([*self._out, *(f"</{tag}>" for tag in reversed(self._open))])
