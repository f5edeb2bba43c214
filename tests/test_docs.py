"""The docs tell the truth: every command the README shows exists (with the options it
shows), every command has help, and the example settings file shows the defaults."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.settings import _RENAMED, _SECTIONS, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "config" / "oermonitor.toml"
COMMAND = re.compile(r"(?:\$\s*)?(?:[A-Z_]+=\S+\s+)*oermonitor\s+(.*)")


def readme_command_lines() -> list[str]:
    """`oermonitor ...` as the README shows it in code blocks and inline code."""
    found = []
    for block in re.findall(r"```[^\n]*\n(.*?)```", README, re.S):
        found += [m.group(1) for line in block.splitlines()
                  if (m := COMMAND.match(line.strip()))]
    found += [m.group(1) for code in re.findall(r"`([^`\n]+)`", README)
              if (m := COMMAND.match(code))]
    return sorted(set(found))


def all_commands(group: click.Group = main, path: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*path, name))


def option_names(command: click.Command) -> set[str]:
    return {name for p in command.params if isinstance(p, click.Option)
            for name in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}


def resolve(line: str) -> tuple[list[str], click.Command, list[str]]:
    """(command path, the command, the option names the line uses) for one README line."""
    words = line.split("#")[0].split()
    ctx = click.Context(main)
    command: click.Command = main
    path: list[str] = []
    options: list[str] = []
    for word in words:
        if word.startswith("-"):
            options.append(word.strip("[]").split("=")[0])
        elif isinstance(command, click.Group) and re.fullmatch(r"[a-z][a-z-]*", word):
            sub = command.get_command(ctx, word)
            if sub is None:
                # a global option's value (e.g. `--config DIR/demo.toml`) or prose
                if options and not path:
                    continue
                raise AssertionError(f"README shows `oermonitor {line}`: no command {word!r}")
            path.append(word)
            command = sub
            options = [o for o in options if o not in option_names(main)]
        elif not path and options:
            continue  # the value of a global option
        else:
            break
    return path, command, options


LINES = readme_command_lines()


def test_the_readme_shows_commands():
    assert len(LINES) > 20, LINES


@pytest.mark.parametrize("line", LINES)
def test_every_command_the_readme_shows_exists_with_its_options(line):
    path, command, options = resolve(line)
    assert path, f"`oermonitor {line}` names no command"
    unknown = [o for o in options if o not in option_names(command) | option_names(main)]
    assert not unknown, f"`oermonitor {line}`: {' '.join(path)} has no option {unknown}"


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in all_commands()])
def test_every_command_has_help(path):
    result = CliRunner().invoke(main, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    command = dict((" ".join(p), c) for p, c in all_commands())[path]
    assert (command.help or "").strip(), f"`oermonitor {path}` has no help text"
    assert f"Usage: main {path}" in result.output or f"Usage: oermonitor {path}" in result.output
    undocumented = [p.name for p in command.params
                    if isinstance(p, click.Option) and not p.hidden and not (p.help or "").strip()
                    and p.name != "help"]
    assert not undocumented, f"`oermonitor {path}`: options without help: {undocumented}"


def test_every_readme_command_is_a_real_command_path():
    known = {" ".join(p) for p, _ in all_commands()}
    for line in LINES:
        path, _, _ = resolve(line)
        assert " ".join(path) in known


def example_values() -> list[tuple[str, str, object]]:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    values = [("", key, value) for key, value in data.items() if not isinstance(value, dict)]
    values += [(section, key, value) for section, table in data.items()
               if isinstance(table, dict) for key, value in table.items()]
    return values


@pytest.mark.parametrize("section, key, value", example_values(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_the_example_settings_show_the_defaults(section, key, value):
    """What config/oermonitor.toml sets (not what it shows commented out) is the default,
    so copying the example changes nothing until someone edits it."""
    loaded, default = load_settings(EXAMPLE), Settings()
    name = _RENAMED.get((section, key), key)
    if section:
        assert section in _SECTIONS
        loaded_value = getattr(getattr(loaded, section), name)
        default_value = getattr(getattr(default, section), name)
    else:
        loaded_value, default_value = getattr(loaded, name), getattr(default, name)
    if isinstance(default_value, Path):  # relative to the settings file once loaded
        loaded_value, default_value = loaded_value.name, default_value.name
    assert loaded_value == default_value, (section, key, value)


def test_every_command_is_loaded_from_the_module_that_defines_it():
    """`oermonitor.cli.COMMAND_MODULES` (commands load on first use) is complete and right."""
    from oermonitor.cli import COMMAND_MODULES

    modules = {p.stem for p in (ROOT / "oermonitor" / "cli").glob("*.py")} - {"__init__"}
    assert set(COMMAND_MODULES.values()) == modules
    defined = {path[0]: command.callback.__module__.rsplit(".", 1)[1]
               for path, command in all_commands() if len(path) == 1 and command.callback}
    assert defined == COMMAND_MODULES
