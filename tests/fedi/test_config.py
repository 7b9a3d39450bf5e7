from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from fedi.config import ConfigError, load


def test_defaults() -> None:
    settings = load({})
    assert settings.domain is None
    assert settings.database_url is None
    assert settings.data_dir == Path(".chiffres")
    assert not settings.dev
    assert settings.language == "fr"
    assert settings.scheme == "https"


def test_environment_values() -> None:
    settings = load(
        {
            "CHIFFRES_DOMAIN": "Chiffres.Example",
            "CHIFFRES_DATABASE_URL": "postgresql://u:p@db/chiffres",
            "CHIFFRES_DATA_DIR": "/srv/chiffres",
            "CHIFFRES_ALLOWED_PRIVATE_ADDRESSES": "10.0.0.0/8, fd00::/8",
            "CHIFFRES_LANGUAGE": "en",
        }
    )
    assert settings.domain == "chiffres.example"
    assert settings.database_url == "postgresql://u:p@db/chiffres"
    assert settings.data_dir == Path("/srv/chiffres")
    assert settings.allowed_private_addresses == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert settings.language == "en"


def test_dev_allows_port_and_uses_http() -> None:
    settings = load({"CHIFFRES_DEV": "1", "CHIFFRES_DOMAIN": "localhost:8000"})
    assert settings.domain == "localhost:8000"
    assert settings.scheme == "http"


@pytest.mark.parametrize(
    ("environ", "setting"),
    [
        ({"CHIFFRES_DOMAIN": "localhost:8000"}, "CHIFFRES_DOMAIN"),
        ({"CHIFFRES_DOMAIN": "not a host"}, "CHIFFRES_DOMAIN"),
        ({"CHIFFRES_DOMAIN": "https://chiffres.example"}, "CHIFFRES_DOMAIN"),
        ({"CHIFFRES_DEV": "maybe"}, "CHIFFRES_DEV"),
        ({"CHIFFRES_LANGUAGE": "de"}, "CHIFFRES_LANGUAGE"),
        ({"CHIFFRES_DATABASE_URL": "mysql://x"}, "CHIFFRES_DATABASE_URL"),
        ({"CHIFFRES_ALLOWED_PRIVATE_ADDRESSES": "10.0.0.0/33"}, "CHIFFRES_ALLOWED_PRIVATE_ADDRESSES"),
        ({"CHIFFRES_CONFIG": "/nonexistent/chiffres.toml"}, "CHIFFRES_CONFIG"),
        ({"CHIFFRES_CONSENSUS_MIN_SOURCES": "0"}, "CHIFFRES_CONSENSUS_MIN_SOURCES"),
        ({"CHIFFRES_CONSENSUS_MIN_SOURCES": "two"}, "CHIFFRES_CONSENSUS_MIN_SOURCES"),
        ({"CHIFFRES_CONSENSUS_AGREEMENT": "0.5"}, "CHIFFRES_CONSENSUS_AGREEMENT"),
        ({"CHIFFRES_CONSENSUS_AGREEMENT": "1.2"}, "CHIFFRES_CONSENSUS_AGREEMENT"),
        ({"CHIFFRES_CONSENSUS_TOLERANCE": "0"}, "CHIFFRES_CONSENSUS_TOLERANCE"),
        ({"CHIFFRES_CONSENSUS_MIN_CONTRIBUTORS": "nan"}, "CHIFFRES_CONSENSUS_MIN_CONTRIBUTORS"),
        ({"CHIFFRES_ACCEPT_PHRASE": "123 !"}, "CHIFFRES_ACCEPT_PHRASE"),
        ({"CHIFFRES_ACCEPT_PHRASE_EN": "I " + "really " * 10 + "accept"}, "CHIFFRES_ACCEPT_PHRASE_EN"),
    ],
)
def test_bad_values_name_the_setting(environ: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(environ)
    message = str(raised.value)
    assert message.startswith(setting + ":")
    assert "\n" not in message


def test_the_acceptance_phrases_are_the_instances_own() -> None:
    assert load({}).accept_phrases == {"fr": "J'ACCEPTE", "en": "I ACCEPT"}
    chosen = load({"CHIFFRES_ACCEPT_PHRASE": "  oui,   j'adhère ", "CHIFFRES_ACCEPT_PHRASE_EN": "I agree"})
    assert chosen.accept_phrases == {"fr": "oui, j'adhère", "en": "I agree"}


def test_toml_file_and_environment_override(tmp_path: Path) -> None:
    path = tmp_path / "chiffres.toml"
    path.write_text('domain = "a.example"\nlanguage = "en"\nallowed_private_addresses = ["192.168.0.0/16"]\n')
    settings = load({"CHIFFRES_DOMAIN": "b.example"}, path)
    assert settings.domain == "b.example"
    assert settings.language == "en"
    assert settings.allowed_private_addresses == (ipaddress.ip_network("192.168.0.0/16"),)


def test_toml_file_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("domain = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load({}, broken)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('colour = "blue"\n')
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load({"CHIFFRES_CONFIG": str(unknown)})


def test_the_newcomer_period_is_read_in_hours_and_refused_when_negative() -> None:
    assert load({"CHIFFRES_NEWCOMER_HOURS": "48"}).newcomer_hours == 48
    assert load({}).newcomer_hours is None
    with pytest.raises(ConfigError, match="CHIFFRES_NEWCOMER_HOURS"):
        load({"CHIFFRES_NEWCOMER_HOURS": "-1"})


def test_the_signup_policy_and_the_session_secret_are_checked() -> None:
    assert load({}).signup == "approval"
    assert load({}).secret_key is None
    assert load({"CHIFFRES_SIGNUP": " Open "}).signup == "open"
    assert load({"CHIFFRES_SIGNUP": "invitation"}).signup == "invitation"
    with pytest.raises(ConfigError, match="CHIFFRES_SIGNUP: 'sometimes' is not one of open, approval, invitation"):
        load({"CHIFFRES_SIGNUP": "sometimes"})
    with pytest.raises(ConfigError, match="CHIFFRES_SECRET_KEY: use at least 32 characters"):
        load({"CHIFFRES_SECRET_KEY": "short"})
    assert load({"CHIFFRES_SECRET_KEY": "k" * 32}).secret_key == "k" * 32
