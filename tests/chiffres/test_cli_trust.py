"""``chiffres trust set`` takes a host name and a level; a URL, an invalid name or a level out of range is one line
and a non-zero exit, and nothing is stored."""

from __future__ import annotations

from tests.chiffres.test_cli_membership import Cli, cli, refused

__all__ = ["cli"]


def test_trust_is_set_on_a_host_name(cli: Cli) -> None:
    code, out, _ = cli("trust", "set", "B.Example", "0")
    assert code == 0
    assert out == "b.example\t0.0\n"
    code, out, _ = cli("trust", "list")
    assert code == 0
    assert "b.example\t0.0\t-" in out.splitlines()


def test_urls_invalid_names_and_levels_out_of_range_are_refused(cli: Cli) -> None:
    refused(cli("trust", "set", "https://b.example", "0"), "is a URL")
    refused(cli("trust", "set", "b.example/actors/bea", "0"), "is a URL")
    refused(cli("trust", "set", "not a host", "0.5"), "not a host name")
    refused(cli("trust", "set", "b.example:8001", "0.5"), "ports are only allowed in development")
    refused(cli("trust", "set", "b.example", "1.5"), "from 0 (blocked) to 1")
    code, out, _ = cli("trust", "list")
    assert code == 0
    assert "b.example" not in out
