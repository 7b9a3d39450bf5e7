"""Settings of one instance, read from the environment and an optional TOML file.

Every setting has one name, ``CHIFFRES_<NAME>``; in the TOML file the same setting is the lower-case
``<name>`` key. The environment wins over the file so that a deployment can override one value without
editing the file. A bad value raises :class:`ConfigError` naming the setting, which the command line
prints as one line before exiting: an instance that starts with a half-understood configuration could
mint ids it can never take back.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

LANGUAGES = ("fr", "en")
#: Who may create an account on the web: anyone, anyone once an admin approves, or whoever holds an invitation.
SIGNUP_POLICIES = ("open", "approval", "invitation")
_DOMAIN = re.compile(
    r"^(?=.{1,253}(:|$))([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$"
)
# Every setting, by its TOML name; its environment variable is CHIFFRES_ and the name in upper case.
SETTINGS = (
    "domain",
    "database_url",
    "data_dir",
    "dev",
    "allowed_private_addresses",
    "language",
    "database_deadline",
    "newcomer_hours",
    "consensus_min_sources",
    "consensus_min_contributors",
    "consensus_agreement",
    "consensus_tolerance",
    "accept_phrase",
    "accept_phrase_en",
    "signup",
    "secret_key",
    "metrics_token",
    "log_format",
    "job_log_days",
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    """What an instance needs to know before it opens its database."""

    domain: str | None = None
    database_url: str | None = None
    data_dir: Path = Path(".chiffres")
    dev: bool = False
    allowed_private_addresses: tuple[Network, ...] = field(default_factory=tuple)
    language: str = "fr"
    database_deadline: float = 60.0  # seconds without a database before a running process exits non-zero
    # How long a new domain must be known before it counts as a source of its own (ledger.independence);
    # None: a day, or nothing in development, where a trial on localhost has no history to wait for.
    newcomer_hours: float | None = None
    # When a figure's consensus may settle (``consensus.vocabulary.Policy``): how many independent sources
    # (instances, or approved members of ours), how many effective contributors, the share of the weight
    # that must agree, and within what relative distance values agree.
    consensus_min_sources: int = 2
    consensus_min_contributors: float = 3.0
    consensus_agreement: float = 0.6
    consensus_tolerance: float = 0.05
    # What a follower of a ``charter`` group replies to join, in French and in English (either one works).
    accept_phrase: str = "J'ACCEPTE"
    accept_phrase_en: str = "I ACCEPT"
    # How people get a web account (``SIGNUP_POLICIES``); approval by an admin unless the instance says otherwise.
    signup: str = "approval"
    # Signs session cookies; None: a key kept in the data directory (several web machines must share one).
    secret_key: str | None = None
    # The bearer token a Prometheus scraper sends for /metrics; None: /metrics answers 404.
    metrics_token: str | None = None
    # Log lines as "json" or "text"; None: JSON when stderr is not a terminal (see fedi.logs).
    log_format: str | None = None
    # How many days the job queue's log keeps a job it ran (fedi.pruning).
    job_log_days: float = 7.0

    @property
    def accept_phrases(self) -> dict[str, str]:
        return {"fr": self.accept_phrase, "en": self.accept_phrase_en}

    @property
    def scheme(self) -> str:
        """Ids are https outside development: Mastodon refuses http actors."""
        return "http" if self.dev else "https"

    def with_domain(self, domain: str) -> Settings:
        return replace(self, domain=parse_domain(domain, dev=self.dev))


def parse_domain(value: str, *, dev: bool) -> str:
    """A public host name; a port is only allowed in development, where instances share loopback."""
    domain = value.strip().lower()
    if not _DOMAIN.match(domain):
        raise ConfigError(f"CHIFFRES_DOMAIN: {value!r} is not a host name (e.g. chiffres.example)")
    if ":" in domain and not dev:
        raise ConfigError(f"CHIFFRES_DOMAIN: {value!r} has a port; ports are only allowed with CHIFFRES_DEV=1")
    return domain


def _parse_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"CHIFFRES_{name.upper()}: {value!r} is not a boolean (use 1 or 0)")


def _parse_networks(value: object) -> tuple[Network, ...]:
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    try:
        return tuple(ipaddress.ip_network(str(item).strip(), strict=False) for item in items if str(item).strip())
    except ValueError as error:
        raise ConfigError(f"CHIFFRES_ALLOWED_PRIVATE_ADDRESSES: {error}") from None


def _parse_database_url(value: object) -> str:
    url = str(value).strip()
    if not re.match(r"^postgres(ql)?://", url):
        raise ConfigError(f"CHIFFRES_DATABASE_URL: {url!r} is not a postgresql:// URL")
    return url


def _parse_language(value: object) -> str:
    language = str(value).strip().lower()
    if language not in LANGUAGES:
        raise ConfigError(f"CHIFFRES_LANGUAGE: {value!r} is not one of {', '.join(LANGUAGES)}")
    return language


def _parse_signup(value: object) -> str:
    policy = str(value).strip().lower()
    if policy not in SIGNUP_POLICIES:
        raise ConfigError(f"CHIFFRES_SIGNUP: {value!r} is not one of {', '.join(SIGNUP_POLICIES)}")
    return policy


def _parse_secret(value: object) -> str:
    """Long enough that it cannot be guessed; anyone who knows it can forge a session."""
    secret = str(value).strip()
    if len(secret) < 32:
        raise ConfigError("CHIFFRES_SECRET_KEY: use at least 32 characters (e.g. from: openssl rand -hex 32)")
    return secret


def _parse_token(value: object) -> str:
    """A bearer token (RFC 6750 characters), long enough that it cannot be guessed."""
    token = str(value).strip()
    if not re.fullmatch(r"[A-Za-z0-9._~+/=-]{32,256}", token):
        raise ConfigError("CHIFFRES_METRICS_TOKEN: use 32 to 256 letters, digits or ._~+/=- (openssl rand -hex 32)")
    return token


def _parse_log_format(value: object) -> str:
    text = str(value).strip().lower()
    if text not in ("json", "text"):
        raise ConfigError(f"CHIFFRES_LOG_FORMAT: {value!r} is not json or text")
    return text


def _parse_phrase(name: str, value: object) -> str:
    """A phrase people type from a phone: a few words with a letter in them, on one line."""
    phrase = " ".join(str(value).split())
    if not any(character.isalpha() for character in phrase) or len(phrase) > 60 or "\n" in str(value).strip():
        raise ConfigError(f"CHIFFRES_{name.upper()}: {value!r} is not a phrase of 1 to 60 characters on one line")
    return phrase


def _parse_seconds(name: str, value: object) -> float:
    return _parse_amount(name, value, "a positive number of seconds", allow_zero=False)


def _parse_hours(name: str, value: object) -> float:
    return _parse_amount(name, value, "a number of hours (0 or more)", allow_zero=True)


def _parse_amount(name: str, value: object, wanted: str, *, allow_zero: bool) -> float:
    problem = ConfigError(f"CHIFFRES_{name.upper()}: {value!r} is not {wanted}")
    try:
        amount = float(str(value).strip())
    except ValueError:
        raise problem from None
    if not (amount >= 0 if allow_zero else amount > 0) or amount == float("inf"):
        raise problem
    return amount


def _parse_count(name: str, value: object) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"CHIFFRES_{name.upper()}: {value!r} is not a whole number of 1 or more")
    return int(text)


def _parse_share(name: str, value: object, low: float, high: float) -> float:
    problem = ConfigError(f"CHIFFRES_{name.upper()}: {value!r} is not a number in ]{low:g}, {high:g}]")
    try:
        share = float(str(value).strip())
    except ValueError:
        raise problem from None
    if not low < share <= high:
        raise problem
    return share


def _read_file(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"CHIFFRES_CONFIG: file not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"CHIFFRES_CONFIG: {path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"CHIFFRES_CONFIG: unknown setting {unknown[0]!r} in {path}")
    return data


def load(environ: Mapping[str, str], config_file: Path | None = None) -> Settings:
    """Settings from a TOML file (if any) overridden by ``CHIFFRES_*`` variables."""
    path = config_file or (Path(environ["CHIFFRES_CONFIG"]) if environ.get("CHIFFRES_CONFIG") else None)
    raw: dict[str, object] = _read_file(path) if path else {}
    for key in SETTINGS:
        env_value = environ.get(f"CHIFFRES_{key.upper()}")
        if env_value is not None and env_value != "":
            raw[key] = env_value
    dev = _parse_bool("dev", raw.get("dev", False))
    return Settings(
        domain=parse_domain(str(raw["domain"]), dev=dev) if raw.get("domain") else None,
        database_url=_parse_database_url(raw["database_url"]) if raw.get("database_url") else None,
        data_dir=Path(str(raw.get("data_dir", ".chiffres"))).expanduser(),
        dev=dev,
        allowed_private_addresses=_parse_networks(raw.get("allowed_private_addresses", "")),
        language=_parse_language(raw.get("language", "fr")),
        database_deadline=_parse_seconds("database_deadline", raw.get("database_deadline", 60)),
        newcomer_hours=_parse_hours("newcomer_hours", raw["newcomer_hours"]) if "newcomer_hours" in raw else None,
        consensus_min_sources=_parse_count("consensus_min_sources", raw.get("consensus_min_sources", 2)),
        consensus_min_contributors=_parse_share(
            "consensus_min_contributors", raw.get("consensus_min_contributors", 3), 0, 1000
        ),
        consensus_agreement=_parse_share("consensus_agreement", raw.get("consensus_agreement", 0.6), 0.5, 1),
        consensus_tolerance=_parse_share("consensus_tolerance", raw.get("consensus_tolerance", 0.05), 0, 0.5),
        accept_phrase=_parse_phrase("accept_phrase", raw.get("accept_phrase", Settings.accept_phrase)),
        accept_phrase_en=_parse_phrase("accept_phrase_en", raw.get("accept_phrase_en", Settings.accept_phrase_en)),
        signup=_parse_signup(raw.get("signup", Settings.signup)),
        secret_key=_parse_secret(raw["secret_key"]) if raw.get("secret_key") else None,
        metrics_token=_parse_token(raw["metrics_token"]) if raw.get("metrics_token") else None,
        log_format=_parse_log_format(raw["log_format"]) if raw.get("log_format") else None,
        job_log_days=_parse_amount(
            "job_log_days", raw.get("job_log_days", 7), "a positive number of days", allow_zero=False
        ),
    )


def from_environment(config_file: Path | None = None) -> Settings:
    return load(os.environ, config_file)
