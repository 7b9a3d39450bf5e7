"""The reciprocity charter every group links to, in French first.

The default text says what membership asks; an instance replaces it with a ``charter.md`` (plain paragraphs) in
its data directory. The full policy (acceptance word, ledger, revocation) belongs to the charter's own module.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT = {
    "fr": [
        "Charte de réciprocité",
        "Les chiffres de ce programme sont trouvés, vérifiés et corrigés par ses membres. Y accéder engage à "
        "y contribuer : publier les chiffres que vous trouvez, avec leur source ; confirmer ceux que vous "
        "vérifiez ; corriger ceux qui vous semblent faux, en citant votre source.",
        "Chaque abonnement est validé. Un accès qui ne contribue jamais peut être retiré après un rappel ; "
        "une nouvelle contribution le rétablit.",
    ],
    "en": [
        "Reciprocity charter",
        "The figures of this programme are found, checked and corrected by its members. Reading them commits you "
        "to contributing: publish the figures you find, with their source; confirm those you check; correct "
        "those that seem wrong, citing your source.",
        "Every follow is approved. Access that never contributes may be withdrawn after a reminder; a new "
        "contribution restores it.",
    ],
}


def charter(data_dir: Path, language: str) -> tuple[str, list[str]]:
    """The title and paragraphs of this instance's charter."""
    custom = data_dir / "charter.md"
    if custom.is_file():
        paragraphs = [part.strip() for part in custom.read_text(encoding="utf-8").split("\n\n") if part.strip()]
        if paragraphs:
            return paragraphs[0].lstrip("# ").strip(), paragraphs[1:]
    text = DEFAULT.get(language, DEFAULT["fr"])
    return text[0], text[1:]
