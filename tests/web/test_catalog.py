"""The Babel catalogues hold together: the same keys in French and English, every key a page asks for present."""

from __future__ import annotations

import re
from pathlib import Path

from web import catalog

WEB = Path(catalog.__file__).parent
#: ``t("key")`` in templates, ``t("key")``/``_t("key")``/``translate("key")`` in modules; keys built at run time
#: (``f"status_{status}"``) are checked where they are built.
_ASKED = re.compile(r"""\b(?:t|_t|translate|self\._t)\(\s*["']([a-z0-9_]+)["']\s*\)""")


def test_both_catalogues_have_the_same_keys_and_no_empty_message() -> None:
    french, english = catalog.messages("fr"), catalog.messages("en")
    assert set(french) == set(english)
    assert len(french) > 100
    assert all(text.strip() for text in [*french.values(), *english.values()])


def test_every_key_asked_for_is_in_the_catalogues() -> None:
    asked: set[str] = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("*.py")]:
        asked |= set(_ASKED.findall(path.read_text(encoding="utf-8")))
    assert len(asked) > 50
    missing = sorted(asked - set(catalog.messages("fr")))
    assert not missing, missing


def test_a_language_we_do_not_ship_falls_back_to_french() -> None:
    assert catalog.translator("de")("signin") == catalog.translator("fr")("signin") == "Se connecter"
    assert catalog.translator("en")("signin") == "Sign in"
