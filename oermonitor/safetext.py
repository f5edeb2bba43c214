"""Text from outside (pages, redirects, spreadsheets, catalogues) made safe to keep and show.

    clip(title)                 # at most LIMIT characters, before it is stored
    for_terminal(record)        # controls and bidi overrides shown as \\x1b, \\u202e
    without_controls(text)      # the same characters removed (email subjects and bodies)

A page title can hold ``ESC [ 2 J`` (clear the screen), an OSC 8 hyperlink, a
C1 control such as U+009B (CSI) or a right-to-left override (U+202E) that makes
``moc.elpmaxe`` read as ``example.com``. Everything printed for a person goes
through `for_terminal` (tabs and newlines are escaped too, so a value cannot fake
a line of output; `keep_lines=True` keeps them for multi-line text such as an
email preview). JSON output keeps the data as it is: its own escaping applies.
"""

from __future__ import annotations

import re

LIMIT = 500  # characters of an extracted string (title, author, detail) that are kept
URL_LIMIT = 2000

# C0 controls (tab and newline listed apart), DEL, C1 controls, bidi embeddings,
# overrides, isolates and marks, and the Unicode line and paragraph separators.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_UNSAFE_LINE = re.compile(f"[\t\n{_CONTROLS}{_BIDI}]")
_UNSAFE_BLOCK = re.compile(f"[{_CONTROLS}{_BIDI}]")


def clip(text: str | None, limit: int = LIMIT) -> str | None:
    """`text` cut to at most `limit` characters (an ellipsis marks the cut)."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(value, *, keep_lines: bool = False):
    """`value` with every unsafe character in its strings escaped, visibly.

    Strings, and the strings inside dicts, lists and tuples (recursively); other
    values are returned as they are.
    """
    if isinstance(value, str):
        if keep_lines:
            value = value.replace("\r\n", "\n")
        pattern = _UNSAFE_BLOCK if keep_lines else _UNSAFE_LINE
        return pattern.sub(_escape, value) if pattern.search(value) else value
    if isinstance(value, dict):
        return {key: for_terminal(item, keep_lines=keep_lines) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(for_terminal(item, keep_lines=keep_lines) for item in value)
    return value


_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI}]")


def json_for_terminal(text: str) -> str:
    """JSON text (C0 controls already escaped by any encoder) with DEL, C1 controls and
    bidi characters escaped too (``\\u009b``): the same data, safe on a terminal."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def without_controls(text: str, *, keep_lines: bool = True) -> str:
    """`text` with controls and bidi overrides removed (tabs and newlines kept by default)."""
    pattern = _UNSAFE_BLOCK if keep_lines else _UNSAFE_LINE
    return pattern.sub("", text.replace("\r\n", "\n")) if pattern.search(text) else text
