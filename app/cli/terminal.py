"""Text for the terminal from names a user (or a file) chose: control characters, escape
sequences and bidirectional overrides are shown as visible escapes instead of being sent raw,
so a file name cannot recolour the terminal, move the cursor, set its title, hide text or
reverse what follows it. Every CLI line that holds a file or asset name goes through `shown`.
"""

from __future__ import annotations

import logging
import re
import unicodedata

_INVISIBLE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")
"""Controls, format characters (bidi overrides, zero-width joiners), line/paragraph separators,
surrogates, private-use and unassigned code points."""
_SAFE = re.compile(r"[ -~]*")


def shown(text: object) -> str:
    """`text` with every character a terminal would act on or hide replaced by its escape
    (ESC -> \\x1b, U+202E -> \\u202e); tabs become spaces. One line, whatever it held."""
    value = str(text)
    if _SAFE.fullmatch(value):
        return value
    return "".join(_escape(ch) for ch in value)


def _escape(ch: str) -> str:
    if ch == "\t":
        return " "
    if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES:
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class ShownFormatter(logging.Formatter):
    """Log lines made safe for the terminal; tracebacks only when `tracebacks` is on (-v)."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__("%(message)s")
        self._tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        message = shown(record.getMessage())
        if self._tracebacks and record.exc_info:
            return message + "\n" + self.formatException(record.exc_info)
        return message
