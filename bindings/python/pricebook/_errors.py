"""The exceptions pricebook raises. Every one is a `pricebook.Error` with a stable `code`, a
`message` (what is wrong and where) and a `help` (what to do, when the message does not say)."""

from __future__ import annotations

from typing import Any, Optional, Sequence


class Error(Exception):
    """Anything pricebook refuses: `code`, `message`, `help`."""

    def __init__(self, message: str, *, code: str, help: Optional[str] = None) -> None:
        super().__init__(message if help is None else f"{message}; {help}")
        self.code = code
        self.message = message
        self.help = help


class Rejected(Error):
    """A usage (a quote or a capacity) the book's rules refuse: `kind` (`limit`,
    `not-available`, `negative`, ...), `reason` in words, and the rule's `line` in `file`."""

    def __init__(
        self,
        *,
        kind: str,
        reason: str,
        line: Optional[int] = None,
        file: Optional[str] = None,
    ) -> None:
        where = f" (rule at {file}:{line})" if file and line else ""
        super().__init__(reason + where, code="rejected")
        self.kind = kind
        self.reason = reason
        self.line = line
        self.file = file


class BookError(Error):
    """A book that does not check: its `diagnostics` (errors and warnings, each a
    `pricebook.Diagnostic`)."""

    def __init__(
        self,
        *,
        message: str,
        help: Optional[str] = None,
        diagnostics: Sequence[Any] = (),
    ) -> None:
        super().__init__(message, code="book", help=help)
        self.diagnostics = list(diagnostics)


class LoadError(Error):
    """A path that leads to no book (`no-book`), a file that cannot be read (`io-error`), a
    compiled table that does not load (`table-invalid`), or a day on which no version is in
    force (`not-in-force`)."""


class ArgumentError(Error, ValueError):
    """A question the book cannot take: a plan, product or unit it does not know
    (`unknown-reference`), a malformed quantity (`invalid-value`), a missing plan
    (`missing-statement`), ... Also a `ValueError`."""
