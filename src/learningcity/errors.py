"""Exceptions shared by the package.

The command line prints a :class:`LearningCityError` as a message, without a
traceback, and exits with status 2.
"""

from __future__ import annotations

__all__ = ["LearningCityError", "UsageError"]


class LearningCityError(Exception):
    """Base class of errors that are the user's input, not a bug."""


class UsageError(LearningCityError, ValueError):
    """A request that cannot be carried out as asked (unknown unit, bad option)."""
