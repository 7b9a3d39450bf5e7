"""The figure as a Note: golden content in fr and en, the allow-list on generated figures, reading back.

Past 400 lines because of its golden strings and generated cases; the code it tests is one module.
"""

import copy
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from fedi.jsonld import expand
from fedi.normalise import normalise_object
from figures.figure import Figure, build_figure
from figures.html import violations
from figures.note import (
    Contributor,
    FigureRejected,
    content_html,
    contributor_of_note,
    figure_of_note,
    note_object,
    period_text,
    validate_wire,
)
from figures.numbers import Lang
from figures.period import parse_period
from schemas import chiffres_context

FIXTURES = Path(__file__).parent.parent / "fixtures" / "fediverse"
AS2 = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS2 + "#Public"
NBSP, NNBSP, CALENDAR = "\u00a0", "\u202f", "🗓\ufe0f"
AUTHOR = "https://chiffres.example/users/alice"
FOLLOWERS = "https://chiffres.example/groups/loyers/followers"
GROUP = "https://chiffres.example/groups/loyers"
PUBLISHED = datetime(2026, 5, 14, 8, 30, 15, 123456, tzinfo=UTC)


def tag_url(tag: str) -> str:
    return f"https://chiffres.example/tags/{quote(tag)}"


def rent(**changes: object) -> Figure:
    fields: dict[str, object] = {
        "value": "812",
        "unit": "€/mois",
        "measures": "loyer médian d'un T2",
        "place": {"name": "Lyon 3e", "code": "69383"},
        "period": "2026-Q2",
        "source": {"url": "https://www.observatoire.example/lyon", "title": "Observatoire des loyers"},
        "tags": "#loyers #lyon",
    }
    return build_figure({**fields, **changes}, "fr")


def vacancy() -> Figure:
    return build_figure(
        {
            "value": "12,5",
            "unit": "%",
            "measures": "taux de vacance des logements",
            "place": "Marseille",
            "period": "2026-05",
            "source": "https://www.insee.example/vacance",
            "method": "Recensement 2026.\nLogements vides depuis plus d'un an.",
        },
        "fr",
    )


def budget() -> Figure:
    return build_figure(
        {
            "value": "1,234,567.5",
            "unit": "EUR/year",
            "measures": 'Budget of the "Books & More" library',
            "place": {"name": "Île-de-France", "code": "FR-IDF"},
            "period": "2026-05-01",
            "source": {"url": "https://example.org/budget?year=2026&v=2", "title": "Budget <2026>"},
            "tags": ["budget", "Île_de_France"],
        },
        "en",
    )


def note(figure: Figure, **changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "note_id": "https://chiffres.example/figures/42",
        "author": AUTHOR,
        "url": "https://chiffres.example/@alice/figures/42",
        "to": [PUBLIC],
        "cc": [FOLLOWERS],
        "published": PUBLISHED,
        "updated": None,
        "default_language": figure.language,
        "status_line": None,
        "tag_url": tag_url,
        **changes,
    }
    return note_object(figure, **arguments)


LYON_TAGS = (
    '<p><a href="https://chiffres.example/tags/loyers" class="mention hashtag" rel="tag">#<span>loyers</span></a> '
    '<a href="https://chiffres.example/tags/lyon" class="mention hashtag" rel="tag">#<span>lyon</span></a></p>'
)
LYON_LINK = (
    '<a href="https://www.observatoire.example/lyon" rel="nofollow noopener noreferrer" target="_blank">'
    "Observatoire des loyers</a>"
)
INSEE_LINK = '<a href="https://www.insee.example/vacance" rel="nofollow noopener noreferrer" target="_blank">'
BUDGET_LINK = (
    '<a href="https://example.org/budget?year=2026&amp;v=2" rel="nofollow noopener noreferrer" target="_blank">'
    "Budget &lt;2026&gt;</a>"
)
BUDGET_TAGS = (
    '<p><a href="https://chiffres.example/tags/budget" class="mention hashtag" rel="tag">#<span>budget</span></a> '
    '<a href="https://chiffres.example/tags/%C3%AEle_de_france" class="mention hashtag" rel="tag">'
    "#<span>île_de_france</span></a></p>"
)
GOLDEN: list[tuple[str, Lang, str | None, str]] = [
    (
        "rent",
        "fr",
        "✔ confirmé par 7 contributeurs de 3 instances",
        f"<p><strong>812{NBSP}€/mois</strong> — loyer médian d'un T2</p>"
        f"<p>📍 Lyon 3e (69383) · {CALENDAR} 2e trimestre 2026</p>"
        f"<p>Source{NBSP}: {LYON_LINK}</p>"
        "<p>✔ confirmé par 7 contributeurs de 3 instances</p>" + LYON_TAGS,
    ),
    (
        "rent",
        "en",
        None,
        "<p><strong>€812/month</strong> — loyer médian d'un T2</p>"
        f"<p>📍 Lyon 3e (69383) · {CALENDAR} Q2 2026</p>"
        f"<p>Source: {LYON_LINK}</p>" + LYON_TAGS,
    ),
    (
        "vacancy",
        "fr",
        None,
        f"<p><strong>12,5{NNBSP}%</strong> — taux de vacance des logements</p>"
        f"<p>📍 Marseille · {CALENDAR} mai 2026</p>"
        f"<p>Méthode{NBSP}: Recensement 2026.<br>Logements vides depuis plus d'un an.</p>"
        f"<p>Source{NBSP}: {INSEE_LINK}insee.example</a></p>",
    ),
    (
        "vacancy",
        "en",
        "✔ confirmed by 2 contributors",
        "<p><strong>12.5%</strong> — taux de vacance des logements</p>"
        f"<p>📍 Marseille · {CALENDAR} May 2026</p>"
        "<p>Method: Recensement 2026.<br>Logements vides depuis plus d'un an.</p>"
        f"<p>Source: {INSEE_LINK}insee.example</a></p>"
        "<p>✔ confirmed by 2 contributors</p>",
    ),
    (
        "budget",
        "fr",
        None,
        f'<p><strong>1{NNBSP}234{NNBSP}567,5{NBSP}€/an</strong> — Budget of the "Books &amp; More" library</p>'
        f"<p>📍 Île-de-France (FR-IDF) · {CALENDAR} 1er mai 2026</p>"
        f"<p>Source{NBSP}: {BUDGET_LINK}</p>" + BUDGET_TAGS,
    ),
    (
        "budget",
        "en",
        None,
        '<p><strong>€1,234,567.5/year</strong> — Budget of the "Books &amp; More" library</p>'
        f"<p>📍 Île-de-France (FR-IDF) · {CALENDAR} 1 May 2026</p>"
        f"<p>Source: {BUDGET_LINK}</p>" + BUDGET_TAGS,
    ),
]
FIGURES = {"rent": rent, "vacancy": vacancy, "budget": budget}


@pytest.mark.parametrize(("name", "lang", "status", "expected"), GOLDEN)
def test_content_reads_as_expected(name: str, lang: Lang, status: str | None, expected: str) -> None:
    content = content_html(FIGURES[name](), lang, status_line=status, tag_url=tag_url)
    assert content == expected
    assert violations(content) == []


@pytest.mark.parametrize(
    ("period", "french", "english"),
    [
        ("2026", "2026", "2026"),
        ("2026-05", "mai 2026", "May 2026"),
        ("2026-Q1", "1er trimestre 2026", "Q1 2026"),
        ("2026-Q4", "4e trimestre 2026", "Q4 2026"),
        ("2026-S2", "2e semestre 2026", "H2 2026"),
        ("2026-01/2026-12", "2026", "2026"),
        ("2026-01/2026-05", "janvier–mai 2026", "January–May 2026"),
        ("2026-02/2026-04", "février–avril 2026", "February–April 2026"),
        ("2025-11/2026-02", "novembre 2025 – février 2026", "November 2025 – February 2026"),
        ("2024/2026", "2024–2026", "2024–2026"),
        ("2026-05-14", "14 mai 2026", "14 May 2026"),
        ("2026-08-01", "1er août 2026", "1 August 2026"),
        ("2026-05-14/2026-05-20", "14 mai 2026 – 20 mai 2026", "14 May 2026 – 20 May 2026"),
        ("2026-W20", "semaine 20 de 2026", "week 20 of 2026"),
    ],
)
def test_periods_read_as_people_say_them(period: str, french: str, english: str) -> None:
    assert period_text(parse_period(period), "fr") == french
    assert period_text(parse_period(period), "en") == english


# --- Awkward text: every rendering stays within Mastodon's HTML and keeps the text intact. -------

AWKWARD_MEASURES = [
    '<script>alert("x")</script> loyer',
    'Tom & Jerry\'s "best" <b>rent</b>',
    "&amp; already escaped &lt;p&gt;",
    "🏠💶 loyer 👍🏽 famille 👨‍👩‍👧",
    "</p><p onclick=\"steal()\">x</p><a href='javascript:alert(1)'>",
    "إيجار متوسط",
    "très long " * 50,
    "-->  <!-- ]]> <![CDATA[ x",
]
AWKWARD_METHOD = [
    None,
    "ligne <1>\r\n\r\n\r\nligne & 2\n  ligne '3'  ",
    "<ul><li>médiane</li></ul>\n<table><tr><td>x</td></tr></table>",
    "« guillemets » et “quotes” — 100 %",
]
AWKWARD_PLACES: list[object] = [
    "Saint-Étienne <centre>",
    {"name": 'Aix & "Marseille"', "code": "13"},
    {"name": "Corse-du-Sud", "code": "2a"},
    "Zürich 🇨🇭",
]
AWKWARD_SOURCES: list[object] = [
    "https://example.org/a?b=1&c=<2>&d='3'",
    {"url": 'https://example.org/"><script>x</script>', "title": "</a><script>alert(1)</script>"},
    {"url": "https://www.example.org/", "title": "Rapport « 2026 » & annexes"},
    "http://[2001:db8::1]:8080/loyers",
]
UNTITLED = {"https://example.org/a?b=1&c=<2>&d='3'": "example.org", "http://[2001:db8::1]:8080/loyers": "2001:db8::1"}
AWKWARD_STATUS = [None, "✔ confirmé par 7 contributeurs", "⚠ contesté <3 instances> & plus\nvoir le fil"]
AWKWARD_TAGS = ["", "#loyers", "#Île_de_France #T2 #loyers2026", "#éé·ll #a_b"]
UNITS = ["€/mois", "%", "k€/an", "personnes", "m²", "h/semaine", "$", "EUR/m^2"]
VALUES = ["812", "12,5", "-3", "0", "1 234 567", "0,000001"]
PERIODS = ["2026", "2026-05", "2026-Q3", "2026-W05", "2025-12-31", "2025-10/2026-03", "2026-H1"]


def awkward_figures(count: int) -> list[Figure]:
    rng = random.Random(20260514)
    made = []
    for _ in range(count):
        fields = {
            "value": rng.choice(VALUES),
            "unit": rng.choice(UNITS),
            "measures": rng.choice(AWKWARD_MEASURES),
            "method": rng.choice(AWKWARD_METHOD),
            "place": rng.choice(AWKWARD_PLACES),
            "period": rng.choice(PERIODS),
            "source": rng.choice(AWKWARD_SOURCES),
            "tags": rng.choice(AWKWARD_TAGS),
        }
        made.append(build_figure(fields, rng.choice(["fr", "en"])))
    return made


class _Reading(HTMLParser):
    """What a reader of the post sees (text, one line per paragraph or break) and the links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "br"):
            self.text += "\n"
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"] or "")

    def handle_data(self, data: str) -> None:
        self.text += data


def read(content: str) -> _Reading:
    reading = _Reading()
    reading.feed(content)
    reading.close()
    return reading


@pytest.mark.parametrize("figure", awkward_figures(36))
def test_awkward_figures_render_safely_and_intact(figure: Figure) -> None:
    statuses = dict(zip(("fr", "en"), random.Random(figure.measures).sample(AWKWARD_STATUS, 2), strict=True))
    for lang in ("fr", "en"):
        status = statuses[lang]
        content = content_html(figure, lang, status_line=status, tag_url=tag_url)
        assert violations(content) == []
        seen = read(content)
        lines = seen.text.splitlines()
        assert f" — {figure.measures}" in seen.text
        assert figure.place.name in seen.text
        assert seen.hrefs == [figure.source.url] + [tag_url(tag) for tag in figure.tags]
        label = figure.source.title or UNTITLED[figure.source.url]
        assert [line for line in lines if line.startswith("Source")] == [f"Source{NBSP * (lang == 'fr')}: {label}"]
        for block in (figure.method, status):
            kept = [line.strip() for line in (block or "").splitlines() if line.strip()]
            assert "\n".join(kept) in seen.text
        assert " ".join(f"#{tag}" for tag in figure.tags) in seen.text
    wire = note(figure, status_line={"fr": statuses["fr"], "en": statuses["en"]})
    assert validate_wire(wire["figure"]) == []
    assert figure_of_note(json.loads(json.dumps(wire))) == figure


# --- The Note. -----------------------------------------------------------------------------------


def test_note_carries_everything_mastodon_and_peers_read() -> None:
    figure = rent()
    status = {"fr": "✔ confirmé par 7 contributeurs", "en": "✔ confirmed by 7 contributors"}
    made = note(figure, status_line=status, default_language="en")
    assert json.loads(json.dumps(made)) == made
    assert made["@context"][0] == AS2
    assert made["@context"][1] == chiffres_context()
    assert made["type"] == "Note"
    assert made["id"] == "https://chiffres.example/figures/42"
    assert made["attributedTo"] == AUTHOR
    assert made["url"] == "https://chiffres.example/@alice/figures/42"
    assert "summary" in made
    assert made["summary"] is None
    assert list(made["contentMap"]) == ["en", "fr"]
    assert made["content"] == made["contentMap"]["en"]
    assert made["contentMap"]["fr"] == content_html(figure, "fr", status_line=status["fr"], tag_url=tag_url)
    assert "✔ confirmed by 7 contributors" in made["content"]
    assert "confirmé" not in made["content"]
    assert made["published"] == "2026-05-14T08:30:15Z"
    assert {"updated", "audience", "inReplyTo"}.isdisjoint(made)
    assert made["figure"] == {
        "type": "Figure",
        "value": "812",
        "unit": {"code": "EUR/month", "display": "€/mois"},
        "measures": "loyer médian d'un T2",
        "place": {"name": "Lyon 3e", "code": "69383"},
        "period": "2026-04/2026-06",
        "source": {"url": "https://www.observatoire.example/lyon", "title": "Observatoire des loyers"},
        "version": 1,
        "tags": ["loyers", "lyon"],
    }
    assert validate_wire(made["figure"]) == []


def test_hashtags_are_in_the_content_and_in_tag() -> None:
    made = note(budget())
    assert made["tag"] == [
        {"type": "Hashtag", "href": "https://chiffres.example/tags/budget", "name": "#budget"},
        {"type": "Hashtag", "href": "https://chiffres.example/tags/%C3%AEle_de_france", "name": "#île_de_france"},
    ]
    for content in made["contentMap"].values():
        for tag in made["tag"]:
            name = tag["name"].removeprefix("#")
            assert f'<a href="{tag["href"]}" class="mention hashtag" rel="tag">#<span>{name}</span></a>' in content
    assert note(vacancy())["tag"] == []


def test_json_ld_readers_see_our_terms_and_hashtags() -> None:
    (expanded,) = expand(note(rent()))
    assert expanded["@type"] == [AS2 + "#Note"]
    tags = expanded[AS2 + "#tag"]
    assert {kind for tag in tags for kind in tag["@type"]} == {AS2 + "#Hashtag"}
    (figure,) = expanded["https://chiffres-ensemble.org/ns#figure"]
    assert figure["@type"] == ["https://chiffres-ensemble.org/ns#Figure"]
    assert figure["https://chiffres-ensemble.org/ns#value"] == [
        {"@type": "http://www.w3.org/2001/XMLSchema#decimal", "@value": "812"}
    ]


def test_addressing_passes_through_unchanged() -> None:
    to: list[str] = [FOLLOWERS]
    cc: list[str] = []
    made = note(rent(), to=to, cc=cc, attributed_group=GROUP)
    assert made["to"] == [FOLLOWERS]
    assert made["cc"] == []
    assert made["audience"] == GROUP
    to.append(PUBLIC)
    assert made["to"] == [FOLLOWERS]


def test_reply_and_update_times() -> None:
    paris = timezone(timedelta(hours=2))
    made = note(
        rent(),
        in_reply_to="https://chiffres.example/figures/41",
        updated=datetime(2026, 5, 15, 10, 0, 59, 999999, tzinfo=paris),
    )
    assert made["inReplyTo"] == "https://chiffres.example/figures/41"
    assert made["updated"] == "2026-05-15T08:00:59Z"
    with pytest.raises(ValueError, match="time zone"):
        note(rent(), published=datetime(2026, 5, 14, 8, 30))


# --- Reading a Note. -----------------------------------------------------------------------------


@pytest.mark.parametrize("make", [rent, vacancy, budget])
def test_figure_of_note_reads_back_what_note_object_wrote(make: Any) -> None:
    figure = make()
    made = note(figure, status_line={"fr": "✔ confirmé", "en": "✔ confirmed"}, attributed_group=GROUP)
    assert figure_of_note(made) == figure
    assert figure_of_note(json.loads(json.dumps(made))) == figure
    assert figure_of_note(normalise_object(made).data) == figure


def test_a_figure_read_back_takes_the_language_of_its_note() -> None:
    figure = rent(language="fr")
    read_back = figure_of_note(note(figure, default_language="en"))
    assert read_back is not None
    assert read_back.language == "en"
    assert (read_back.value, read_back.unit, read_back.measures) == (figure.value, figure.unit, figure.measures)


def fixture_documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(FIXTURES.glob("*.json")):
        document = json.loads(path.read_text())
        found.append((path.name, document))
        if isinstance(document.get("object"), dict):
            found.append((f"{path.name} object", document["object"]))
    return found


@pytest.mark.parametrize(("name", "document"), fixture_documents(), ids=[name for name, _ in fixture_documents()])
def test_captured_posts_are_not_figures(name: str, document: dict[str, Any]) -> None:
    assert figure_of_note(document) is None


def test_fixtures_hold_captured_notes() -> None:
    notes = [name for name, document in fixture_documents() if document.get("type") == "Note"]
    assert len(notes) >= 5


def tampered(change: Any) -> dict[str, Any]:
    made = note(rent())
    change(made["figure"])
    return made


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda wire: wire.update(value="1e3"), "figure.value: '1e3' does not match"),
        (lambda wire: wire.update(value=1000), "figure.value: 1000 is not of type 'string'"),
        (lambda wire: wire.pop("source"), "figure: 'source' is a required property"),
        (lambda wire: wire["unit"].update(code="EUR/moon"), "figure: unit.code: unknown unit"),
        (lambda wire: wire["unit"].update(code="k€/mois"), "figure: unit.code: not a unit code"),
        (lambda wire: wire.update(period="Q2"), "figure.period: 'Q2' does not match"),
        (lambda wire: wire.pop("period"), "figure: period: required"),
        (lambda wire: wire["source"].update(url="javascript:alert(1)"), "figure.source.url:"),
        (lambda wire: wire.update(type="Article"), "figure.type: 'Figure' was expected"),
        (lambda wire: wire.update(version=0), "figure.version: 0 is less than the minimum of 1"),
        (lambda wire: wire["place"].update(code="Lyon!"), "figure: place.code: not an INSEE"),
        (lambda wire: wire.update(tags=["a", "a"]), "figure.tags: ['a', 'a'] has non-unique elements"),
    ],
)
def test_tampered_figures_are_rejected_with_a_reason(change: Any, expected: str) -> None:
    with pytest.raises(FigureRejected) as caught:
        figure_of_note(tampered(change))
    assert expected in caught.value.reason
    assert str(caught.value) == caught.value.reason


def test_a_figure_that_is_not_an_object_is_rejected_and_null_means_none() -> None:
    with pytest.raises(FigureRejected, match="is not of type 'object'"):
        figure_of_note({"type": "Note", "figure": "812 €/mois"})
    assert figure_of_note({"type": "Note", "figure": None}) is None


def test_rejection_reasons_are_one_short_line() -> None:
    hostile = tampered(lambda wire: wire.update(value="1e3\n" * 5000, measures=None))
    with pytest.raises(FigureRejected) as caught:
        figure_of_note(hostile)
    assert "\n" not in caught.value.reason
    assert len(caught.value.reason) <= 300


def test_validate_wire_lists_every_problem_by_path() -> None:
    assert validate_wire({"type": "Figure"}) == [
        "figure: 'measures' is a required property",
        "figure: 'source' is a required property",
        "figure: 'unit' is a required property",
        "figure: 'value' is a required property",
        "figure: 'version' is a required property",
    ]
    wire = note(rent())["figure"]
    wire["tags"] = ["ok", " "]
    assert validate_wire(wire) == ["figure.tags[1]: ' ' does not match '\\\\S'"]
    assert validate_wire(copy.deepcopy(note(budget())["figure"])) == []


def test_type_arrays_match_by_inclusion_but_one_url_is_one_url() -> None:
    figure = rent()
    extended = tampered(lambda wire: wire.update(type=["Figure", "https://peer.example/ns#Measurement"]))
    assert figure_of_note(extended) == figure
    with pytest.raises(FigureRejected, match=r"figure\.source\.url: \[.*\] is not of type 'string'"):
        figure_of_note(tampered(lambda wire: wire["source"].update(url=["https://a.example/", "https://b.example/"])))


def test_a_figure_nested_without_end_is_rejected() -> None:
    deep: dict[str, Any] = {}
    for _ in range(5000):
        deep = {"x": deep}
    with pytest.raises(FigureRejected, match="nested too deeply"):
        figure_of_note({"type": "Note", "figure": {"type": "Figure", "method": deep}})


# --- A figure a group publishes: the group is the author, the member is credited. ---------------

ALICE = Contributor("https://chiffres.example/users/alice", "alice", "chiffres.example")
ALICE_MENTION = (
    '<span class="h-card"><a href="https://chiffres.example/users/alice" class="u-url mention">'
    "@<span>alice</span></a></span>"
)


def test_a_group_figure_credits_its_contributor_for_peers_mastodon_and_people() -> None:
    made = note(rent(), author=GROUP, attributed_group=GROUP, contributor=ALICE)
    assert made["attributedTo"] == GROUP
    assert made["figure"]["contributor"] == ALICE.id
    assert validate_wire(made["figure"]) == []
    assert made["tag"][0] == {"type": "Mention", "href": ALICE.id, "name": "@alice@chiffres.example"}
    assert [tag["type"] for tag in made["tag"]] == ["Mention", "Hashtag", "Hashtag"]
    assert f"<p>Publié par {ALICE_MENTION}</p>" in made["contentMap"]["fr"]
    assert f"<p>Published by {ALICE_MENTION}</p>" in made["contentMap"]["en"]
    for content in made["contentMap"].values():
        assert violations(content) == []
    assert contributor_of_note(made) == ALICE.id
    assert figure_of_note(made) == rent(), "the contributor is beside the figure, not part of it"


def test_the_credit_comes_after_the_source_and_before_the_consensus_line() -> None:
    content = content_html(rent(), "fr", status_line="✔ confirmé", tag_url=tag_url, contributor=ALICE)
    assert content == (
        f"<p><strong>812{NBSP}€/mois</strong> — loyer médian d'un T2</p>"
        f"<p>📍 Lyon 3e (69383) · {CALENDAR} 2e trimestre 2026</p>"
        f"<p>Source{NBSP}: {LYON_LINK}</p>"
        f"<p>Publié par {ALICE_MENTION}</p>"
        "<p>✔ confirmé</p>" + LYON_TAGS
    )


def test_a_figure_without_contributor_names_none() -> None:
    made = note(rent())
    assert "contributor" not in made["figure"]
    assert contributor_of_note(made) is None
    assert all(tag["type"] == "Hashtag" for tag in made["tag"])


def test_json_ld_readers_see_the_contributor_as_an_actor_id() -> None:
    (expanded,) = expand(note(rent(), author=GROUP, contributor=ALICE))
    (figure,) = expanded["https://chiffres-ensemble.org/ns#figure"]
    assert figure["https://chiffres-ensemble.org/ns#contributor"] == [{"@id": ALICE.id}]
    mentions = [tag for tag in expanded[AS2 + "#tag"] if tag["@type"] == [AS2 + "#Mention"]]
    assert mentions == [
        {"@type": [AS2 + "#Mention"], AS2 + "#href": [{"@id": ALICE.id}], AS2 + "#name": [{"@value": ALICE.handle}]}
    ]


@pytest.mark.parametrize("contributor", ["alice", "javascript:alert(1)", 42])
def test_a_contributor_that_is_not_an_http_url_is_rejected(contributor: object) -> None:
    with pytest.raises(FigureRejected, match=r"figure\.contributor"):
        figure_of_note(tampered(lambda wire: wire.update(contributor=contributor)))
