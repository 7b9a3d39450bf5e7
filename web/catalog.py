"""French and English strings of the pages; French first, as the programme is."""

from __future__ import annotations

from collections.abc import Callable

_STRINGS: dict[str, dict[str, str]] = {
    "tagline": {
        "fr": "Des chiffres trouvés, vérifiés et corrigés ensemble.",
        "en": "Figures found, checked and corrected together.",
    },
    "groups": {"fr": "Programmes", "en": "Programmes"},
    "members": {"fr": "Membres", "en": "Members"},
    "none": {"fr": "Rien pour l'instant.", "en": "Nothing yet."},
    "follow_hint": {
        "fr": "Suivez ce programme depuis votre application Mastodon en cherchant",
        "en": "Follow this programme from your Mastodon app by searching for",
    },
    "group": {"fr": "Programme", "en": "Programme"},
    "person": {"fr": "Membre", "en": "Member"},
    "members_only": {"fr": "réservé aux membres", "en": "members only"},
    "public": {"fr": "public", "en": "public"},
    "approval": {
        "fr": "Les abonnements sont validés selon la charte de réciprocité.",
        "en": "Follows are approved under the reciprocity charter.",
    },
    "charter": {"fr": "Charte", "en": "Charter"},
    "error": {"fr": "Erreur", "en": "Error"},
    "version": {"fr": "version", "en": "version"},
    "language_name": {"fr": "Français", "en": "English"},
    "place": {"fr": "Lieu", "en": "Place"},
    "period": {"fr": "Période", "en": "Period"},
    "source": {"fr": "Source", "en": "Source"},
    "teaser_reserved": {
        "fr": "La valeur de ce chiffre est réservée aux membres du programme",
        "en": "The value of this figure is for the members of the programme",
    },
    "ask_access": {"fr": "Demander l'accès", "en": "Ask for access"},
}


def translator(language: str) -> Callable[[str], str]:
    def translate(key: str) -> str:
        entry = _STRINGS[key]
        return entry.get(language) or entry["fr"]

    return translate
