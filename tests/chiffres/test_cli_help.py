"""Every command of ``chiffres`` says what each of its arguments is for, and an option the command cannot do
without is marked required rather than shown as optional and refused later."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from chiffres.cli import _parser, main


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the tree, by the words that reach it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(_parser()))


def _unexplained(path: tuple[str, ...], parser: argparse.ArgumentParser) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            missing += [f"{' '.join(path)} {choice.dest}" for choice in action._choices_actions if not choice.help]
            continue
        if not action.help or action.help == argparse.SUPPRESS:
            missing.append(f"{' '.join(path)} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_the_tree_is_walked() -> None:
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert {"figure publish", "follows list", "request ask", "consensus show", "inbox"} <= paths


def test_every_argument_and_command_has_help() -> None:
    missing = [name for path, parser in COMMANDS for name in _unexplained(path, parser)]
    assert missing == []


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=lambda path: " ".join(path) or "chiffres")
def test_help_renders(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*path, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: chiffres")


#: Options a command cannot do without: the figure's fields, a request's measure, place and period, the answer.
REQUIRED: dict[tuple[str, ...], tuple[str, ...]] = {
    ("figure", "publish"): ("--as", "--group", "--value", "--unit", "--measures", "--source", "--place", "--period"),
    ("request", "ask"): ("--as", "--group", "--measures", "--place", "--period"),
    ("request", "answer"): ("--as", "--value", "--unit", "--source"),
}


@pytest.mark.parametrize("path", list(REQUIRED), ids=" ".join)
def test_options_a_command_cannot_do_without_are_required(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    parser = dict(COMMANDS)[path]
    required = {option for action in parser._actions if action.required for option in action.option_strings}
    assert set(REQUIRED[path]) <= required
    usage = parser.format_usage()
    for option in REQUIRED[path]:
        assert f"[{option} " not in usage, f"{option} shown as optional"
    with pytest.raises(SystemExit) as exited:
        main([*path, "--as", "alice"])
    assert exited.value.code == 2
    assert "the following arguments are required" in capsys.readouterr().err


def test_figure_update_changes_only_what_is_given() -> None:
    parser = dict(COMMANDS)[("figure", "update")]
    assert not [action.dest for action in parser._actions if action.required and action.option_strings]
