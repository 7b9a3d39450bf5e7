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
    "mod_title": {"fr": "Modération", "en": "Moderation"},
    "mod_intro": {
        "fr": "Les programmes dont vous êtes modérateur ou modératrice, avec leurs demandes en attente.",
        "en": "The programmes you moderate, with their pending requests.",
    },
    "mod_intro_admin": {
        "fr": "Vous administrez cette instance : tous ses programmes sont listés.",
        "en": "You administer this instance: all its programmes are listed.",
    },
    "mod_pending_count": {"fr": "demande(s) en attente", "en": "pending request(s)"},
    "mod_group_title": {"fr": "Modération du programme", "en": "Moderation of the programme"},
    "mod_pending": {"fr": "Demandes d'adhésion en attente", "en": "Pending join requests"},
    "mod_policy": {"fr": "Adhésion", "en": "Joining"},
    "mod_policy_open": {"fr": "ouverte : acceptée d'office", "en": "open: accepted at once"},
    "mod_policy_charter": {
        "fr": "sur acceptation de la charte (ou par un modérateur)",
        "en": "on accepting the charter (or by a moderator)",
    },
    "mod_policy_admin": {"fr": "par un modérateur", "en": "by a moderator"},
    "mod_no_pending": {"fr": "Aucune demande en attente.", "en": "No pending request."},
    "mod_members": {"fr": "Membres approuvés", "en": "Approved members"},
    "mod_no_members": {"fr": "Aucun membre approuvé.", "en": "No approved member."},
    "mod_asked": {"fr": "Demande faite le", "en": "Asked on"},
    "mod_approved_on": {"fr": "approuvé le", "en": "approved on"},
    "mod_charter": {"fr": "Charte acceptée", "en": "Charter accepted"},
    "mod_yes": {"fr": "oui", "en": "yes"},
    "mod_no": {"fr": "non", "en": "no"},
    "mod_ledger_of": {"fr": "Son registre de réciprocité", "en": "Their reciprocity ledger"},
    "mod_days_unit": {"fr": "jours", "en": "days"},
    "mod_contributions": {"fr": "contributions", "en": "contributions"},
    "mod_consultations": {"fr": "consultations", "en": "consultations"},
    "mod_no_ledger": {"fr": "Rien au registre sur cette période.", "en": "Nothing in the ledger over this window."},
    "mod_approve": {"fr": "Approuver", "en": "Approve"},
    "mod_reject": {"fr": "Refuser", "en": "Reject"},
    "mod_revoke": {"fr": "Révoquer", "en": "Revoke"},
    "mod_revoke_hint": {
        "fr": "Révoquer envoie un refus (Reject) : la personne perd l'accès aux chiffres réservés aux membres.",
        "en": "Revoking sends a Reject: the person loses access to the members-only figures.",
    },
    "mod_ledger_title": {"fr": "Registre de réciprocité", "en": "Reciprocity ledger"},
    "mod_ledger_caption": {
        "fr": "Contributions et consultations, les plus contributifs d'abord :",
        "en": "Contributions and consultations, most contributions first:",
    },
    "mod_days": {"fr": "Période, en jours (1 à 3650)", "en": "Window, in days (1 to 3650)"},
    "mod_show": {"fr": "Afficher", "en": "Show"},
    "mod_who": {"fr": "Qui", "en": "Who"},
    "mod_col_published": {"fr": "Chiffres publiés", "en": "Figures published"},
    "mod_col_answered": {"fr": "Demandes satisfaites", "en": "Requests answered"},
    "mod_col_endorsed": {"fr": "Approbations", "en": "Endorsements"},
    "mod_col_corrected": {"fr": "Corrections", "en": "Corrections"},
    "mod_col_moved": {"fr": "dont retenues", "en": "of which moved the consensus"},
    "mod_col_source": {"fr": "Sources nouvelles", "en": "New sources"},
    "mod_col_delivered": {"fr": "Chiffres reçus", "en": "Figures delivered"},
    "mod_col_fetched": {"fr": "Chiffres consultés", "en": "Figures fetched"},
    "mod_col_read": {"fr": "Lectures par l'API", "en": "API reads"},
    "mod_last_contribution": {"fr": "Dernière contribution", "en": "Last contribution"},
    "mod_last_consultation": {"fr": "Dernière consultation", "en": "Last consultation"},
    "mod_trust_title": {"fr": "Confiance envers les autres serveurs", "en": "Trust in other servers"},
    "mod_trust_intro": {
        "fr": "La confiance pèse les approbations et corrections venues d'un domaine : 0 le bloque, 1 le compte"
        " comme le nôtre.",
        "en": "Trust weighs the endorsements and corrections from a domain: 0 blocks it, 1 counts it as our own.",
    },
    "mod_trust_caption": {"fr": "Confiance par domaine", "en": "Trust per domain"},
    "mod_trust_set_title": {"fr": "Régler la confiance d'un domaine", "en": "Set a domain's trust"},
    "mod_domain": {"fr": "Domaine", "en": "Domain"},
    "mod_domain_hint": {
        "fr": "Le nom seul, par exemple chiffres.example",
        "en": "The name alone, e.g. chiffres.example",
    },
    "mod_trust_value": {"fr": "Confiance", "en": "Trust"},
    "mod_trust_hint": {"fr": "Un nombre de 0 à 1, par exemple 0,5", "en": "A number from 0 to 1, e.g. 0.5"},
    "mod_trust_set": {"fr": "Enregistrer", "en": "Save"},
    "mod_this_instance": {"fr": "cette instance", "en": "this instance"},
    "mod_any_other": {"fr": "Tout autre domaine", "en": "Any other domain"},
    "mod_blocked": {"fr": "bloqué", "en": "blocked"},
    "mod_err_forbidden": {
        "fr": "Cette page est réservée aux modérateurs des programmes et aux administrateurs.",
        "en": "This page is for the programmes' moderators and the administrators.",
    },
    "mod_err_admin_only": {
        "fr": "Cette page est réservée aux administrateurs de l'instance.",
        "en": "This page is for the instance's administrators.",
    },
    "mod_err_not_moderator": {"fr": "Vous ne modérez pas ce programme.", "en": "You do not moderate this programme."},
    "mod_err_no_group": {"fr": "Aucun programme ne porte ce nom.", "en": "No programme has this name."},
    "mod_err_no_request": {
        "fr": "Cette demande n'existe pas dans ce programme, ou a déjà reçu sa réponse.",
        "en": "This request does not exist in this programme, or has already been answered.",
    },
    "mod_err_action": {"fr": "Cette action n'existe pas.", "en": "This action does not exist."},
    "mod_err_domain": {
        "fr": "Ce n'est pas un nom de domaine : donnez le nom seul (par exemple chiffres.example), sans https:// ni"
        " chemin.",
        "en": "This is not a domain name: give the name alone (e.g. chiffres.example), without https:// or a path.",
    },
    "mod_err_trust": {
        "fr": "La confiance est un nombre de 0 (bloqué) à 1 (comme la nôtre).",
        "en": "Trust is a number from 0 (blocked) to 1 (as our own).",
    },
    "mod_err_days": {"fr": "Un nombre de jours de 1 à 3650.", "en": "A number of days from 1 to 3650."},
}


def has_key(key: str) -> bool:
    return key in _STRINGS


def translator(language: str) -> Callable[[str], str]:
    def translate(key: str) -> str:
        entry = _STRINGS[key]
        return entry.get(language) or entry["fr"]

    return translate
