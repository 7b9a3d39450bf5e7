"""French and English strings of the pages, from Babel catalogues: ``web/locales/<lang>/LC_MESSAGES/messages.po``.

Messages are named by a key (``signin``, ``err_csrf``, ``fig_claims``…), the msgid of both catalogues, so that a
French wording can change without touching the English one or any template; French is the reference, and a key
missing from the English catalogue falls back to it. Catalogues are read once per process with Babel's PO reader —
no compilation step to forget — and a test holds them together: the same keys in both, and every key a template
or a module asks for present.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"


@cache
def messages(language: str) -> dict[str, str]:
    """The catalogue of ``language`` as key → text (empty for a language we do not ship)."""
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {str(message.id): str(message.string) for message in catalog if message.id and message.string}


def has_key(key: str) -> bool:
    return key in messages("fr")


def translator(language: str) -> Callable[[str], str]:
    own, french = messages(language), messages("fr")

    def translate(key: str) -> str:
        return own.get(key) or french[key]

    return translate
