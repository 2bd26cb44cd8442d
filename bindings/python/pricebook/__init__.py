"""pricebook in process: load price books, quote usages, size capacity, bill and rate, with
the Rust engine's exact answers (every decimal a `decimal.Decimal`).

    import pricebook
    book = pricebook.load("pricebooks/hedra")
    q = book.quote(plan="creator", product="sora-2-pro", quantity="90 second")
    q.charge.amount, q.charge.unit      # Decimal('6300'), 'credit'
"""

from ._errors import ArgumentError, BookError, Error, LoadError, Rejected
from ._native import (
    Book,
    Capacity,
    Charge,
    Diagnostic,
    Money,
    Quote,
    __version__,
    check,
    load,
)

__all__ = [
    "ArgumentError",
    "Book",
    "BookError",
    "Capacity",
    "Charge",
    "Diagnostic",
    "Error",
    "LoadError",
    "Money",
    "Quote",
    "Rejected",
    "__version__",
    "check",
    "load",
]
