"""The two kinds of failure the CLI tells apart (exit codes per the contract)."""


class BadInput(Exception):
    """A file, argument or setting is wrong. The CLI prints it on one line, exit 1."""


class OperationalError(Exception):
    """Something outside the input failed (SMTP down, database locked). Exit 3."""

    exit_code = 3


class RunLocked(OperationalError):
    """Another `oermonitor run` holds the lock."""

    exit_code = 3
