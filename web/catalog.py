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
    "signup": {"fr": "Créer un compte", "en": "Sign up"},
    "signin": {"fr": "Se connecter", "en": "Sign in"},
    "signout": {"fr": "Se déconnecter", "en": "Sign out"},
    "change_password": {"fr": "Changer de mot de passe", "en": "Change password"},
    "reset_password": {"fr": "Choisir un nouveau mot de passe", "en": "Choose a new password"},
    "name": {"fr": "Nom d'utilisateur", "en": "User name"},
    "name_hint": {
        "fr": "1 à 30 lettres minuscules, chiffres ou tirets bas ; il devient votre adresse @nom",
        "en": "1 to 30 lower-case letters, digits or underscores; it becomes your @name address",
    },
    "password": {"fr": "Mot de passe", "en": "Password"},
    "password_again": {"fr": "Mot de passe (encore)", "en": "Password (again)"},
    "current_password": {"fr": "Mot de passe actuel", "en": "Current password"},
    "new_password": {"fr": "Nouveau mot de passe", "en": "New password"},
    "password_hint": {"fr": "10 caractères au moins", "en": "At least 10 characters"},
    "accept_charter": {"fr": "J'ai lu et j'accepte la", "en": "I have read and accept the"},
    "signed_in_as": {"fr": "Connecté en tant que", "en": "Signed in as"},
    "err_name": {
        "fr": "Ce nom n'est pas valable : 1 à 30 lettres minuscules, chiffres ou tirets bas.",
        "en": "This name is not valid: 1 to 30 lower-case letters, digits or underscores.",
    },
    "err_name_taken": {"fr": "Ce nom est déjà pris.", "en": "This name is already taken."},
    "err_password_short": {
        "fr": "Le mot de passe doit compter au moins 10 caractères.",
        "en": "The password must have at least 10 characters.",
    },
    "err_password_long": {
        "fr": "Le mot de passe doit compter au plus 200 caractères.",
        "en": "The password must have at most 200 characters.",
    },
    "err_password_mismatch": {
        "fr": "Les deux mots de passe ne sont pas identiques.",
        "en": "The two passwords differ.",
    },
    "err_charter": {
        "fr": "Il faut accepter la charte pour créer un compte.",
        "en": "You must accept the charter to sign up.",
    },
    "err_credentials": {"fr": "Nom ou mot de passe incorrect.", "en": "Wrong name or password."},
    "err_current_password": {"fr": "Le mot de passe actuel n'est pas le bon.", "en": "The current password is wrong."},
    "err_pending": {
        "fr": "Votre compte attend la validation d'un administrateur.",
        "en": "Your account is waiting for an administrator's approval.",
    },
    "err_disabled": {"fr": "Ce compte est désactivé.", "en": "This account is disabled."},
    "err_too_many": {
        "fr": "Trop d'essais de connexion : réessayez dans 15 minutes.",
        "en": "Too many sign-in attempts: try again in 15 minutes.",
    },
    "err_csrf": {
        "fr": "Ce formulaire a expiré ou ne vient pas de ce site : rechargez la page et recommencez.",
        "en": "This form has expired or did not come from this site: reload the page and try again.",
    },
    "err_form_large": {"fr": "Ce formulaire est trop grand.", "en": "This form is too large."},
    "err_invitation": {
        "fr": "Les inscriptions se font sur invitation : demandez un lien à un administrateur.",
        "en": "Sign-up is by invitation: ask an administrator for a link.",
    },
    "err_invitation_used": {
        "fr": "Ce lien d'invitation a expiré ou a déjà servi.",
        "en": "This invitation link has expired or has been used.",
    },
    "err_link": {
        "fr": "Ce lien a expiré ou a déjà servi : demandez-en un nouveau à un administrateur.",
        "en": "This link has expired or has been used: ask an administrator for a new one.",
    },
    "notice_pending": {
        "fr": "Votre compte est créé. Il sera ouvert dès qu'un administrateur l'aura validé.",
        "en": "Your account is created. It opens as soon as an administrator approves it.",
    },
    "notice_password_changed": {"fr": "Votre mot de passe est changé.", "en": "Your password is changed."},
    "notice_password_set": {
        "fr": "Votre nouveau mot de passe est enregistré : vous pouvez vous connecter.",
        "en": "Your new password is saved: you can sign in.",
    },
    "account_created": {"fr": "Compte créé", "en": "Account created"},
    "done": {"fr": "C'est fait", "en": "Done"},
    "status_400": {"fr": "Demande invalide", "en": "Bad request"},
    "status_401": {"fr": "Connexion nécessaire", "en": "Sign-in needed"},
    "status_403": {"fr": "Accès refusé", "en": "Access denied"},
    "status_404": {"fr": "Page introuvable", "en": "Page not found"},
    "status_405": {"fr": "Méthode non permise", "en": "Method not allowed"},
    "status_413": {"fr": "Envoi trop gros", "en": "Request too large"},
    "status_429": {"fr": "Trop de demandes", "en": "Too many requests"},
    "status_500": {"fr": "Erreur du serveur", "en": "Server error"},
    "why_404": {
        "fr": "Rien n'existe à cette adresse, ou plus maintenant.",
        "en": "Nothing exists at this address, or not any more.",
    },
    "why_403": {"fr": "Cette page ne vous est pas ouverte.", "en": "This page is not open to you."},
    "why_429": {"fr": "Attendez un peu avant de réessayer.", "en": "Wait a little before trying again."},
    "why_500": {
        "fr": "Une erreur nous empêche de répondre. Elle est enregistrée ; réessayez dans un moment.",
        "en": "An error keeps us from answering. It is logged; try again in a moment.",
    },
    "back_home": {"fr": "Retour à l'accueil", "en": "Back to the home page"},
    "switch_language": {"fr": "Langue", "en": "Language"},
    "nav_label": {"fr": "Navigation principale", "en": "Main navigation"},
    "nav_search": {"fr": "Rechercher", "en": "Search"},
    "nav_about": {"fr": "À propos", "en": "About"},
    "nav_account": {"fr": "Mon compte", "en": "My account"},
    # --- figure page (web/figure_page.py) ---
    # --- group, profile, search, about pages (web/directory_pages.py, web/search_pages.py) ---
    # --- member forms (web/member_forms.py) ---
    # --- moderation pages (web/moderation_pages.py) ---
}


def has_key(key: str) -> bool:
    return key in _STRINGS


def translator(language: str) -> Callable[[str], str]:
    def translate(key: str) -> str:
        entry = _STRINGS[key]
        return entry.get(language) or entry["fr"]

    return translate
