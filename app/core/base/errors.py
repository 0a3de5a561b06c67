"""Errors a person can act on.

Every failure that reaches a user is one of these: the message is complete on its own (what was
wrong, with which file, and what to do), so the CLI prints it on one line and the GUI shows it
as is. Anything else escaping the core is a bug.
"""

from __future__ import annotations


class SweedleError(Exception):
    """Base of all expected, user-facing failures."""


class InputError(SweedleError):
    """The input (an image, a mesh, a parameter) cannot be used."""


class GenerationError(SweedleError):
    """A generation stage failed for a reason the user can address."""


class Cancelled(Exception):
    """The user cancelled. Not a failure and not a SweedleError, so an `except SweedleError`
    that reports failures can never turn a cancel into one."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)
