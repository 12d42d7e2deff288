"""The README's commands exist: make targets, nnkb subcommands and their options, .ci/run.

Docs that show commands are checked here so the README cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nnkb.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE))


@pytest.mark.parametrize("target", sorted(set(re.findall(r"`make ([a-z-]+)`", README))))
def test_readme_make_targets_exist(target):
    assert target in make_targets()


def test_the_two_commands_are_first_and_ci_runs_the_test_one():
    block = re.search(r"```sh\n(.*?)```", README, flags=re.DOTALL).group(1)
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == [
        "make site",
        "make test",
    ]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def nnkb_usages() -> list[str]:
    return re.findall(r"`nnkb ([^`]+)`", README)


def test_readme_nnkb_commands_parse():
    parser = build_parser()
    subcommands = set(parser._subparsers._group_actions[0].choices)
    usages = nnkb_usages()
    assert {u.split()[0] for u in usages} >= {"validate", "bench", "model", "machine"}
    for usage in usages:
        words = usage.split()
        assert words[0] in subcommands, usage
        # drop optional-brackets and placeholders: keep the option names, give them values
        argv = [words[0]]
        command = parser._subparsers._group_actions[0].choices[words[0]]
        if command._subparsers is not None:  # `nnkb models fetch|add|list`
            argv.append(words[1])
            command = command._subparsers._group_actions[0].choices[words[1]]
        for option in re.findall(r"--[a-z-]+", usage):
            action = next(a for a in command._actions if option in a.option_strings)
            value = action.choices[0] if action.choices else "1"
            argv += [option] if action.nargs == 0 else [option, str(value)]
        if words[0] == "model":
            argv.append("squeezenet-1-1")
        if words[0] == "check-results":
            argv.append("kb/results/x.json")
        if words[:2] == ["models", "add"]:
            argv.append("model.onnx")
        parser.parse_args(argv)


def test_windows_steps_match_the_makefile_install():
    makefile = (ROOT / "Makefile").read_text()
    for requirement in (
        "--require-hashes -r requirements.lock",
        "--no-deps -r requirements-models.txt",
        "-e .",
    ):
        assert requirement in makefile
        assert requirement in README
