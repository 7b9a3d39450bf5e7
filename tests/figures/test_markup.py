"""The one-pass markup reader says what Python's HTML parser said, on real posts and on hostile markup."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from figures.markup import Stripped, strip_markup

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fediverse"


class _Reference(HTMLParser):
    """What replies were read with before: the standard parser, correct but quadratic on unterminated tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._link = 0
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._link += 1
            self.parts.append(" ")
            found = dict(attrs)
            classes = (found.get("class") or "").split()
            tagged = "mention" in classes or "hashtag" in classes or found.get("rel") == "tag"
            href = found.get("href") or ""
            if not tagged and href.lower().startswith(("http://", "https://")):
                self.links.append(href)
        elif tag in ("script", "style"):
            self._hidden += 1
        elif tag in ("br", "p", "div", "li", "blockquote", "pre", "ul", "ol"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._link = max(self._link - 1, 0)
            self.parts.append(" ")
        elif tag in ("script", "style"):
            self._hidden = max(self._hidden - 1, 0)
        elif tag in ("br", "p", "div", "li", "blockquote", "pre", "ul", "ol"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._link and not self._hidden:
            self.parts.append(data)


def _reference(markup: str) -> Stripped:
    reader = _Reference()
    reader.feed(markup)
    reader.close()
    return Stripped("".join(reader.parts), tuple(reader.links))


def _words(text: str) -> list[str]:
    return text.split()


def _contents(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["content"]] if isinstance(node.get("content"), str) else []
        return found + [text for value in node.values() for text in _contents(value)]
    if isinstance(node, list):
        return [text for value in node for text in _contents(value)]
    return []


CAPTURED = [text for path in sorted(FIXTURES.glob("*.json")) for text in _contents(json.loads(path.read_text()))]
WRITTEN = [
    '<p><span class="h-card" translate="no"><a href="https://chiffres.example/@loyers" class="u-url mention">'
    "@<span>loyers</span></a></span> plutôt 845&nbsp;€, voir "
    '<a href="https://example.org/a?x=1&amp;y=2" target="_blank" rel="nofollow noopener noreferrer">'
    '<span class="invisible">https://</span><span class="">example.org/a</span></a></p>'
    '<p><a href="https://m.example/tags/loyers" class="mention hashtag" rel="tag">#<span>loyers</span></a></p>',
    "<P>Plutôt <B>845</B> €<BR>source&nbsp;: INSEE</P>",
    "<p>a &lt; b &amp;&amp; c &gt; d, 3 < 4</p>",
    "<p>x<!-- 999 € -->y<script>var x = '<p>12</p>';</script>z<style>p { width: 12px }</style></p>",
    '<p><a href="https://a.example/x" title="a > b">lien</a> 845 €</p>',
    "<ul><li>un</li><li>deux</li></ul><blockquote>trois</blockquote><pre>quatre</pre>",
    "<p>c&#39;est 900 euros par mois &#x2014; &eacute;t&eacute;</p>",
    "<!DOCTYPE html><?xml version='1.0'?><p>texte</p>",
    "<p><a href=https://x.example/>lien</a> 845 €<a href='https://y.example/'/>après<br/></p>",
    '<p><a class=mention href=https://m.example/@a>@a</a> 845 &euro<a HREF="HTTPS://Z.example">z</a></p>',
]


@pytest.mark.parametrize("markup", CAPTURED + WRITTEN)
def test_the_text_and_links_are_those_the_standard_parser_reads(markup: str) -> None:
    stripped, reference = strip_markup(markup), _reference(markup)
    assert _words(stripped.text) == _words(reference.text)
    assert [line.split() for line in stripped.text.splitlines() if line.strip()] == [
        line.split() for line in reference.text.splitlines() if line.strip()
    ]
    assert stripped.links == reference.links


def test_captured_posts_are_read() -> None:
    assert len(CAPTURED) >= 5


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<a\t<a\t845 €", "<a\t<a\t845 €"),  # unterminated tags are text, as a browser shows them
        ("avant <!-- jamais fermé 845 €", "avant "),
        ("<p>845 €<script>1 200 €", "\n845 €"),
        ("<a href='https://x.example/'>12</a>845", "  845"),
        ("<a/>845", " 845"),
    ],
)
def test_unfinished_markup_reads_as_a_browser_shows_it(markup: str, text: str) -> None:
    assert strip_markup(markup).text == text
