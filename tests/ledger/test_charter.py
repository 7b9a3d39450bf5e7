"""The charter: shipped defaults, an instance's own Markdown, its version, and what its HTML may contain."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ledger import charter
from ledger.charter import ACCEPT_PHRASES, load, sanitise

CUSTOM = "# Charte du quartier\n\nOn publie, on **vérifie**, on corrige.\n"


def test_the_shipped_charter_loads_in_both_languages(tmp_path: Path) -> None:
    found = load(tmp_path)
    assert found.title("fr") == "Charte de réciprocité"
    assert found.title("en") == "Reciprocity charter"
    assert found.html("fr").startswith("<h1>Charte de réciprocité</h1>")
    assert found.version == charter.version(found.markdown["fr"], found.markdown["en"])
    assert len(found.version) == 12
    int(found.version, 16)


def test_the_shipped_charter_says_how_to_join() -> None:
    found = load(Path("/nonexistent"))
    for lang, phrase in ACCEPT_PHRASES.items():
        assert phrase in found.markdown[lang]
        assert phrase in found.html(lang)


def test_an_unknown_language_reads_the_french_charter(tmp_path: Path) -> None:
    found = load(tmp_path)
    assert found.title("de") == found.title("fr")
    assert found.html("de") == found.html("fr")


def test_a_charter_in_the_data_directory_replaces_the_shipped_one(tmp_path: Path) -> None:
    shipped = load(tmp_path)
    (tmp_path / "charter.md").write_text(CUSTOM, encoding="utf-8")
    custom = load(tmp_path)
    assert custom.title("fr") == "Charte du quartier"
    paragraph = "<p>On publie, on <strong>vérifie</strong>, on corrige.</p>"
    assert custom.html("fr") == f"<h1>Charte du quartier</h1>\n{paragraph}\n"
    assert custom.version != shipped.version


def test_without_an_english_file_english_readers_get_the_instance_s_own_terms(tmp_path: Path) -> None:
    """Not the shipped English text: it would ask for something else than the French one under the same version."""
    (tmp_path / "charter.md").write_text(CUSTOM, encoding="utf-8")
    found = load(tmp_path)
    assert found.title("en") == "Charte du quartier"
    (tmp_path / "charter.en.md").write_text("# Neighbourhood charter\n\nWe publish.\n", encoding="utf-8")
    both = load(tmp_path)
    assert both.title("en") == "Neighbourhood charter"
    assert both.title("fr") == "Charte du quartier"
    assert both.version != found.version


def test_a_blank_file_falls_back_to_the_shipped_charter(tmp_path: Path) -> None:
    (tmp_path / "charter.md").write_text("\n  \n", encoding="utf-8")
    assert load(tmp_path) == load(Path("/nonexistent"))


def test_a_changed_file_is_read_again_without_a_restart(tmp_path: Path) -> None:
    source = tmp_path / "charter.md"
    source.write_text(CUSTOM, encoding="utf-8")
    first = load(tmp_path)
    assert load(tmp_path) is first
    source.write_text(CUSTOM.replace("quartier", "village"), encoding="utf-8")
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = load(tmp_path)
    assert second.title("fr") == "Charte du village"
    assert second.version != first.version


def test_a_heading_without_plain_text_still_gives_the_title(tmp_path: Path) -> None:
    (tmp_path / "charter.md").write_text("Intro.\n\n## La *charte*\nde `ici`\n", encoding="utf-8")
    assert load(tmp_path).title("fr") == "La charte"
    (tmp_path / "charter.en.md").write_text("No heading at all.\n", encoding="utf-8")
    assert load(tmp_path).title("en") == "Reciprocity charter"


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "Texte <script>alert(1)</script> suite",
        '<p onclick="alert(1)">clic</p>',
        '<img src="x" onerror="alert(1)">',
        "[lien](javascript:alert(1))",
        "[lien](JaVaScRiPt:alert(1))",
        "[lien](java&#9;script:alert(1))",
        '<a href="javascript:alert(1)">lien</a>',
        "[lien]: javascript:alert(1)\n\n[lien]",
        "<javascript:alert(1)>",
        "[lien](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_raw_html_scripts_handlers_and_script_links_are_neutralised(tmp_path: Path, markdown: str) -> None:
    (tmp_path / "charter.md").write_text(f"# Titre\n\n{markdown}\n", encoding="utf-8")
    for tag, attributes in elements(load(tmp_path).html("fr")):
        assert tag in charter.ALLOWED_ELEMENTS
        assert set(attributes) <= ({"href", "rel"} if tag == "a" else set())
        if tag == "a":
            assert (attributes["href"] or "").startswith(("https:", "http:", "mailto:"))


def test_raw_html_in_markdown_is_shown_as_text(tmp_path: Path) -> None:
    (tmp_path / "charter.md").write_text('# T\n\n<b onclick="x">gras</b>\n', encoding="utf-8")
    assert load(tmp_path).html("fr") == '<h1>T</h1>\n<p>&lt;b onclick="x"&gt;gras&lt;/b&gt;</p>\n'


def test_allowed_links_keep_their_address_and_get_a_safe_rel(tmp_path: Path) -> None:
    links = "[site](https://chiffres.example/a?b=1&c=2) [mail](mailto:admin@chiffres.example) [web](http://x.example)"
    (tmp_path / "charter.md").write_text(f"# T\n\n{links}\n", encoding="utf-8")
    rendered = load(tmp_path).html("fr")
    rel = 'rel="nofollow noopener noreferrer"'
    assert f'<a href="https://chiffres.example/a?b=1&amp;c=2" {rel}>site</a>' in rendered
    assert f'<a href="mailto:admin@chiffres.example" {rel}>mail</a>' in rendered
    assert f'<a href="http://x.example" {rel}>web</a>' in rendered


def test_relative_and_other_scheme_links_become_their_text(tmp_path: Path) -> None:
    (tmp_path / "charter.md").write_text("# T\n\n[ici](/actors/x) et [là](ftp://x.example)\n", encoding="utf-8")
    assert load(tmp_path).html("fr") == "<h1>T</h1>\n<p>ici et là</p>\n"


def test_the_allow_list_keeps_prose_structure(tmp_path: Path) -> None:
    source = "# T\n\n## Sous-titre\n\n- *un*\n- `deux`\n\n1. trois\n\n> cité  \nsuite\n\n##### petit\n\n---\n"
    (tmp_path / "charter.md").write_text(source, encoding="utf-8")
    rendered = load(tmp_path).html("fr")
    for element in ("<h2>", "<ul>", "<li>", "<em>", "<code>", "<ol>", "<blockquote>", "<br>"):
        assert element in rendered
    assert "<h5>" not in rendered
    assert "petit" in rendered
    assert "<hr" not in rendered


@pytest.mark.parametrize(
    ("markup", "cleaned"),
    [
        ('<p onclick="x" class="c">a</p>', "<p>a</p>"),
        ("<div><script>alert(1)</script>b</div>", "b"),
        ("<style>p{}</style><em>c</em>", "<em>c</em>"),
        ('<a href=" javascript:alert(1)">d</a>', "d"),
        ('<a href="java&#10;script:alert(1)">e</a>', "e"),
        (
            '<a href="https://x.example" onmouseover="y" target="_blank">f</a>',
            '<a href="https://x.example" rel="nofollow noopener noreferrer">f</a>',
        ),
        ("<svg><g onload=alert(1)>g</g></svg>", "g"),
        ("<!-- <script> -->h<br/>", "h<br>"),
        ("<strong>i", "<strong>i</strong>"),
        ("<em>j</strong></em>", "<em>j</em>"),
        ("&lt;script&gt;", "&lt;script&gt;"),
    ],
)
def test_the_allow_list_pass_on_its_own(markup: str, cleaned: str) -> None:
    assert sanitise(markup) == cleaned


def elements(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag in ``markup`` as a browser's parser sees it, with its attributes."""
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    collector = Collector()
    collector.feed(markup)
    collector.close()
    return found
