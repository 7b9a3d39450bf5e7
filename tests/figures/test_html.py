from html.parser import HTMLParser

import pytest

from figures.html import (
    Html,
    escape,
    escape_attribute,
    hashtag,
    join,
    link,
    mention,
    paragraph,
    strong,
    text,
    violations,
)

# A reply as a current Mastodon renders it: mention, link shortened with invisible spans, hashtag.
MASTODON_REPLY = (
    '<p><span class="h-card" translate="no"><a href="https://chiffres.example/@loyers" class="u-url mention">'
    "@<span>loyers</span></a></span> plutôt 845 €/mois, source : "
    '<a href="https://example.org/rapport-2026" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
    '<span class="invisible">https://</span><span class="ellipsis">example.org/rapport-</span>'
    '<span class="invisible">2026</span></a></p>'
    '<p><a href="https://mastodon.example/tags/loyers" class="mention hashtag" rel="tag">#<span>loyers</span></a></p>'
)
RICH = (
    '<p lang="fr">Une <em>ligne</em><br><strong>gras</strong> <b>b</b> <i>i</i> <u>u</u> <del>barré</del></p>'
    "<blockquote><p>cité</p></blockquote><pre><code>x = 1</code></pre>"
    '<ol start="3" reversed><li value="3">trois</li></ol><ul><li>point</li></ul>'
    '<a href="gemini://example.org/">gemini</a> <a href="xmpp:someone@example.org">xmpp</a>'
)


@pytest.mark.parametrize("markup", [MASTODON_REPLY, RICH, "", "texte seul & rien d'autre", "<p>a &lt;b&gt; c</p>"])
def test_markup_mastodon_keeps_has_no_violation(markup: str) -> None:
    assert violations(markup) == []


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (
            "<table><tr><td>812</td></tr></table>",
            ["element <table>", "element <tr>", "element <td>"],
        ),
        ('<p><img src="https://example.org/a.png" alt="a"></p>', ["element <img>"]),
        ("<script>alert('<p>x</p>')</script>", ["element <script>"]),
        ("<style>p { color: red }</style><p>x</p>", ["element <style>"]),
        ('<a href="https://example.org" onclick="steal()">x</a>', ["attribute onclick on <a>"]),
        ('<p style="color:red" id="x">x</p>', ["attribute style on <p>", "attribute id on <p>"]),
        ('<a href="javascript:alert(1)">x</a>', ["protocol javascript in <a href>"]),
        ('<a href="  JaVaScRiPt:alert(1)">x</a>', ["protocol javascript in <a href>"]),
        ('<a href="javascript&#58;alert(1)">x</a>', ["protocol javascript in <a href>"]),
        ('<a href="data:text/html,x">x</a>', ["protocol data in <a href>"]),
        ('<a href="/tags/loyers">x</a>', ["relative link in <a href>"]),
        ('<span class="mention big-red">x</span>', ["class big-red on <span>"]),
        ("<h1>titre</h1><div>bloc</div>", ["element <h1>", "element <div>"]),
        ("<p>a<!-- caché --></p>", ["comment"]),
        ("<!DOCTYPE html><p>a</p>", ["declaration"]),
        ('<iframe src="https://example.org"></iframe>', ["element <iframe>"]),
    ],
)
def test_disallowed_markup_is_reported(markup: str, expected: list[str]) -> None:
    assert violations(markup) == expected


def test_escape_keeps_quotes_in_text_but_not_in_attributes() -> None:
    assert escape('<b>Tom & Jerry\'s "T2"</b>') == '&lt;b&gt;Tom &amp; Jerry\'s "T2"&lt;/b&gt;'
    assert escape_attribute("a\"b'c&<") == "a&quot;b&#x27;c&amp;&lt;"


def test_text_turns_line_breaks_into_br_and_collapses_blank_lines() -> None:
    assert text("  un\r\ndeux\n\n\n trois <4> \n") == "un<br>deux<br>trois &lt;4&gt;"
    assert text("seul") == "seul"


def test_builders_write_what_mastodon_writes() -> None:
    assert link("https://example.org/?a=1&b=2", "Rapport") == (
        '<a href="https://example.org/?a=1&amp;b=2" rel="nofollow noopener noreferrer" target="_blank">Rapport</a>'
    )
    assert hashtag("loyers", "https://chiffres.example/tags/loyers") == (
        '<a href="https://chiffres.example/tags/loyers" class="mention hashtag" rel="tag">#<span>loyers</span></a>'
    )
    assert mention("ana", "https://chiffres.example/actors/ana") == (
        '<span class="h-card"><a href="https://chiffres.example/actors/ana" class="u-url mention">'
        "@<span>ana</span></a></span>"
    )
    assert violations(mention("<b>x</b>", "https://chiffres.example/actors/x")) == []
    assert paragraph(strong("812 €"), escape(" — x")) == "<p><strong>812 €</strong> — x</p>"
    assert join([Html("<br>"), Html("<br>")], " & ") == "<br> &amp; <br>"


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def test_hostile_text_stays_text() -> None:
    href = 'https://example.org/"><script>alert(1)</script>'
    label = "</a><script>alert('x')</script> & co"
    markup = paragraph(link(href, label), text("<img src=x onerror=alert(1)>"))
    assert violations(markup) == []
    parsed = _Parsed()
    parsed.feed(markup)
    assert parsed.tags == [
        ("p", {}),
        ("a", {"href": href, "rel": "nofollow noopener noreferrer", "target": "_blank"}),
    ]
    assert "".join(parsed.data) == label + "<img src=x onerror=alert(1)>"
