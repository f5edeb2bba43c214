"""The command line: parses arguments, calls one library function, formats the result.

Global options come before the command: ``oermonitor --config FILE --db FILE <command>``.
Exit codes (contract): 0 done, 1 bad input, 2 usage, 3 operational failure.
Each command group lives in its own module below and registers itself on `main`.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sqlite3
import sys
from dataclasses import replace
from datetime import date
from functools import cached_property
from pathlib import Path

import click

from oermonitor import __version__
from oermonitor.clock import typed_date, utcnow
from oermonitor.errors import BadInput, OperationalError
from oermonitor.safetext import for_terminal
from oermonitor.settings import Settings, load_settings
from oermonitor.store import Store
from oermonitor.validate import email_problem


class Env:
    """What every command needs, loaded lazily: settings first, the store on demand."""

    def __init__(self, config: str | None, db: str | None, verbose: int):
        self.config_path = config
        self.db_override = db
        self.verbose = verbose

    @cached_property
    def settings(self) -> Settings:
        settings = load_settings(self.config_path)
        for warning in settings.warnings:
            click.echo(f"warning: {warning}", err=True)
        if self.db_override:
            settings = replace(settings, database=Path(self.db_override))
        return settings

    @cached_property
    def store(self) -> Store:
        return Store.open(self.settings.database)

    @cached_property
    def reader(self) -> Store:
        """The store for commands that only look: before the first import there is no
        database yet, and looking should not create one."""
        if not self.settings.database.exists():
            return Store.memory()
        return self.store

    def close(self) -> None:
        for name in ("reader", "store"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()


# Where each command lives: a command's module (and what it imports) loads only when
# that command runs, so `status` does not pay for the fetcher, the catalogue or Flask.
COMMAND_MODULES = {
    "compact": "job", "demo": "job", "run": "job", "edurep": "edurep", "import": "registry",
    "inspect": "inspect", "notify": "notify", "serve": "serve",
    "confirm": "switches", "evergreen": "switches", "mute": "switches",
    "review-every": "switches", "report": "overview", "show": "overview",
    "status": "overview",
    "move": "lifecycle", "proposals": "lifecycle", "reassign": "lifecycle",
    "release": "lifecycle", "retire": "lifecycle",
}


class Group(click.Group):
    """Turns our two error kinds into one line on stderr and the contract's exit codes.

    As the top-level group it loads each command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        if self is main:
            for module in sorted(set(COMMAND_MODULES.values())):
                importlib.import_module(f"oermonitor.cli.{module}")
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if self is main and name not in self.commands and name in COMMAND_MODULES:
            importlib.import_module(f"oermonitor.cli.{COMMAND_MODULES[name]}")
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BadInput as exc:
            echo_error(exc)
            ctx.exit(1)
        except OperationalError as exc:
            echo_error(exc)
            ctx.exit(exc.exit_code)
        except sqlite3.DatabaseError as exc:  # locked, busy, full disk, damaged file
            database = self._database(ctx)
            echo_error(f"database{database}: {exc}")
            ctx.exit(OperationalError.exit_code)
        except BrokenPipeError:  # `oermonitor status --json | head`: the reader has enough
            # Nothing more can reach it, not even what is still buffered at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except OSError as exc:  # a full disk, a folder we may not write in, ...
            where = f"{exc.filename}: " if exc.filename else ""
            echo_error(f"{where}{exc.strerror or exc}")
            ctx.exit(OperationalError.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


    @staticmethod
    def _database(ctx: click.Context) -> str:
        env = ctx.obj
        settings = env.__dict__.get("settings") if isinstance(env, Env) else None
        return f" {settings.database}" if settings is not None else ""


def echo_error(exc: Exception | str) -> None:
    """One `error: ...` line per line of the message (several bad rows, one per line)."""
    for line in str(exc).splitlines() or [type(exc).__name__]:
        click.echo(f"error: {for_terminal(line)}", err=True)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(), default=None,
              help="Settings file (TOML). Default: $OERMONITOR_CONFIG, else "
                   "./config/oermonitor.toml, else built-in defaults.")
@click.option("--db", "db", type=click.Path(), default=None,
              help="SQLite database; overrides the settings' `database`.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="oermonitor")
@click.pass_context
def main(ctx: click.Context, config: str | None, db: str | None, verbose: int) -> None:
    """Keep open learning materials online, openly licensed and current.

    Register materials from a spreadsheet (`import`) or Edurep (`edurep import`),
    let cron run `run` every night, and read the overview with `status`.
    """
    env = Env(config, db, verbose)
    ctx.obj = env
    ctx.call_on_close(env.close)
    setup_logging(verbose)


def entry() -> None:
    """The `oermonitor` command (and `python -m oermonitor`): `main`, then a quick exit."""
    try:
        main()
    finally:
        # The process ends here, everything it opened closed: spare the interpreter's
        # last collector passes over every object still alive (a tenth of a second
        # after a run); the memory goes back to the system all the same.
        gc.freeze()


def setup_logging(verbose: int, log_file: Path | None = None) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    if log_file and not Path(log_file).parent.is_dir():
        raise BadInput(f"{log_file}: log file folder {Path(log_file).parent} does not exist")
    handler: logging.Handler = (_LogFile(log_file, encoding="utf-8") if log_file
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # bs4 warns (through the root logger) when a page's bytes fit no encoding: a
    # finding about that page, not news for cron's mail.
    logging.getLogger("bs4").setLevel(logging.ERROR)
    root = logging.getLogger("oermonitor")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class _LogFile(logging.FileHandler):
    """A log file that, when it cannot be written (a full disk), says so once, in one line."""

    told = False

    def handleError(self, record: logging.LogRecord) -> None:
        if not self.told:
            self.told = True
            problem = sys.exc_info()[1]
            reason = getattr(problem, "strerror", None) or problem
            click.echo(f"error: log file {self.baseFilename}: {reason}; "
                       "logging stopped", err=True)


class SafeFormatter(logging.Formatter):
    """Log lines name URLs and server answers: no control character reaches a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return for_terminal(super().format(record), keep_lines=True)


def say(text: str = "", **kwargs) -> None:
    """`click.echo` for plain text that may hold outside text (no styling in it)."""
    click.echo(for_terminal(text, keep_lines=True), **kwargs)


pass_env = click.make_pass_decorator(Env)


class IsoDate(click.ParamType):
    """A date option value as people type it, `YYYY-MM-DD` or `DD-MM-YYYY` (as in the
    spreadsheet); a bad one is bad input (exit 1), named by its option."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> date:
        if isinstance(value, date):
            return value
        parsed = typed_date(str(value))
        if parsed is None:
            label = param.opts[0] if param is not None and param.opts else "date"
            raise BadInput(f"{label}: expected a date as YYYY-MM-DD or DD-MM-YYYY, "
                           f"got {value!r}")
        return date.fromisoformat(parsed)


DATE = IsoDate()


def today_or(value: date | None) -> date:
    """The `--today` value, else today's date in UTC, the calendar the history is kept in."""
    return value or utcnow().date()


def by_address(by: str | None) -> str | None:
    """A `--by` address, checked and lower-cased; None for the operator."""
    if not by:
        return None
    if problem := email_problem("--by", by.strip()):
        raise BadInput(problem)
    return by.strip().lower()
