# Type stubs of the Rust extension `pricebook._native` (re-exported by `pricebook`).
from __future__ import annotations

import datetime
import os
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

_Path = Union[str, "os.PathLike[str]"]
_Day = Union[str, datetime.date]
_Dims = Union[Mapping[str, str], Sequence[str], str]
_Attrs = Union[Mapping[str, Union[str, int, Decimal, float]], Sequence[str]]
_Number = Union[str, int, Decimal, float]

__version__: str

class Charge:
    """A charge in the book's charge unit (`credit`), or money for a product priced in money."""

    @property
    def amount(self) -> Decimal: ...
    @property
    def unit(self) -> str: ...

class Money:
    """What a charge is worth in money on the plan."""

    @property
    def amount(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...

class Quote:
    """A priced usage."""

    @property
    def plan(self) -> Optional[str]: ...
    @property
    def product(self) -> str: ...
    @property
    def charge(self) -> Charge: ...
    @property
    def money(self) -> Optional[Money]:
        """`None` when the plan publishes no price for the charge's unit."""
    @property
    def explain(self) -> List[str]:
        """Each rule applied, with its `file:line`."""
    @property
    def source(self) -> str:
        """The file that priced it: the book, the version picked from a directory, or the table."""

class Capacity:
    """How many whole units of a product a plan's recurring grant buys."""

    @property
    def value(self) -> Decimal: ...
    @property
    def unit(self) -> str: ...

class Diagnostic:
    """One finding of the checker, as `pricebook check --format json` lists it."""

    code: str
    severity: str
    message: str
    file: str
    line: int
    column: int
    help: Optional[str]
    end_line: int
    end_column: int
    @property
    def is_error(self) -> bool: ...
    @property
    def labels(self) -> List[Dict[str, Any]]: ...

class Book:
    """A loaded book: one book, a compiled table, or a vendor's directory of versions (each
    question picks the version in force on its `at` day, the latest without one)."""

    def quote(
        self,
        plan: Optional[str] = None,
        product: Optional[str] = None,
        quantity: Optional[_Number] = None,
        dims: Optional[_Dims] = None,
        attrs: Optional[_Attrs] = None,
        at: Optional[_Day] = None,
        *,
        book: Optional[str] = None,
    ) -> Quote:
        """Prices one usage (`quantity` with its unit: `"90 second"`); raises `Rejected` when
        the book refuses it."""
    def capacity(
        self,
        plan: Optional[str] = None,
        product: Optional[str] = None,
        dims: Optional[_Dims] = None,
        unit: Optional[str] = None,
        at: Optional[_Day] = None,
        *,
        book: Optional[str] = None,
    ) -> Capacity: ...
    def bill(
        self,
        plan: Optional[str] = None,
        usage: Union[_Path, Iterable[Mapping[str, Any]], None] = None,
        start: Optional[_Day] = None,
        periods: Optional[int] = None,
        *,
        billing: str = "monthly",
        at: Optional[_Day] = None,
        wallet: Union[Mapping[str, Any], str, None] = None,
        auto_recharge: Optional[str] = None,
        contract: Optional[_Path] = None,
        book: Optional[str] = None,
    ) -> Dict[str, Any]:
        """The bill's JSON as dicts, every decimal a `decimal.Decimal`."""
    def rate(
        self,
        events: Union[_Path, Iterable[Mapping[str, Any]]],
        *,
        by: str = "account",
        at: Optional[_Day] = None,
        book: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Totals of a usage export: `{"totals", "rated", "lines", "bad_lines", "rejected"}`."""
    def version(self, at: Optional[_Day] = None, *, book: Optional[str] = None) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def vendor(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def plans(self) -> List[str]: ...
    @property
    def products(self) -> List[str]: ...

def load(path: _Path) -> Book:
    """Loads a book, a compiled table or a vendor's directory of versions; raises `BookError`
    when a book does not check."""

def check(paths: Union[_Path, Iterable[_Path]]) -> List[Diagnostic]:
    """Every diagnostic of the books under `paths`."""
