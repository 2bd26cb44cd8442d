"""Errors: rejections, books that do not check, questions the book cannot take, bad
arguments."""

from __future__ import annotations

import pytest

import pricebook


@pytest.fixture(scope="module")
def hedra():
    return pricebook.load("pricebooks/hedra")


def test_the_exception_hierarchy():
    for cls in (pricebook.Rejected, pricebook.BookError, pricebook.LoadError, pricebook.ArgumentError):
        assert issubclass(cls, pricebook.Error)
    assert issubclass(pricebook.ArgumentError, ValueError)


def test_a_rejected_quote_says_its_kind_reason_and_rule(hedra):
    with pytest.raises(pricebook.Rejected) as e:
        hedra.quote(plan="creator", product="sora-2-pro", quantity="-5 second")
    assert e.value.kind == "negative"
    assert e.value.reason == "quantity -5 is negative"
    assert e.value.line is None and e.value.code == "rejected"


LEGACY = "pricebooks/heygen/api-plans-legacy.pricebook"


@pytest.mark.parametrize(
    "dims,quantity,attrs,reason,line",
    [
        (["Photo Avatar", "720p"], "5 minute", None,
         "limit video length <= 3 minute on plan `free`", 128),
        ({"avatar": "Photo Avatar", "resolution": "1080p"}, "1 minute", None,
         "limit resolution <= 720p on plan `free` (1080p asked)", 129),
        (["Photo Avatar", "720p"], "1 minute", {"avatar input text": "6000 character"},
         "limit avatar input text < 5000 character on plan `free` (6000 character given)", 133),
    ],
)
def test_a_limit_rejection_names_its_rule(dims, quantity, attrs, reason, line):
    book = pricebook.load(LEGACY)
    with pytest.raises(pricebook.Rejected) as e:
        book.quote(plan="free", product="video-generate", dims=dims, quantity=quantity, attrs=attrs)
    assert (e.value.kind, e.value.reason, e.value.line, e.value.file) == ("limit", reason, line, LEGACY)
    assert str(e.value) == f"{reason} (rule at {LEGACY}:{line})"


def test_attributes_within_their_limits_are_priced():
    book = pricebook.load(LEGACY)
    q = book.quote(plan="free", product="video-generate", dims=["Photo Avatar", "720p"],
                   quantity="1 minute", attrs=["avatar input text=4000 character"])
    assert q.charge.amount > 0


def test_capacity_rejections_are_rejected_too(hedra):
    # A product a plan does not offer.
    with pytest.raises(pricebook.Error) as e:
        hedra.capacity(plan="free", product="sora-2-pro")
    assert e.value.code in ("rejected", "unknown-reference")


def test_unknown_names_are_argument_errors_with_a_suggestion(hedra):
    with pytest.raises(pricebook.ArgumentError) as e:
        hedra.quote(plan="creatr", product="sora-2-pro", quantity="5 second")
    assert e.value.code == "unknown-reference"
    assert e.value.message == "unknown plan `creatr`"
    assert e.value.help == "did you mean `creator`?"
    with pytest.raises(ValueError):
        hedra.quote(plan="creator", product="sora-3", quantity="5 second")


def test_a_quantity_without_its_unit_is_an_argument_error(hedra):
    with pytest.raises(pricebook.ArgumentError) as e:
        hedra.quote(plan="creator", product="sora-2-pro", quantity="90")
    assert e.value.code == "invalid-value"
    with pytest.raises(pricebook.ArgumentError) as e:
        hedra.quote(plan="creator", product="sora-2-pro", quantity="90 character")
    assert e.value.code == "dimension-mismatch" or e.value.code.startswith("unit")


def test_a_plan_is_needed_when_the_book_has_several(hedra):
    with pytest.raises(pricebook.ArgumentError) as e:
        hedra.quote(product="sora-2-pro", quantity="5 second")
    assert e.value.code == "missing-statement"
    assert "creator" in e.value.help


def test_bad_arguments_raise_type_and_value_errors(hedra):
    with pytest.raises(TypeError):
        hedra.quote(plan="creator", quantity="5 second")  # no product
    with pytest.raises(TypeError):
        hedra.quote(plan=3, product="sora-2-pro", quantity="5 second")
    with pytest.raises(TypeError):
        hedra.quote(plan="creator", product="sora-2-pro", quantity=["5 second"])
    with pytest.raises(TypeError):
        hedra.quote(plan="creator", product="sora-2-pro", quantity="5 second", at=20260101)
    with pytest.raises(ValueError):
        hedra.quote(plan="creator", product="sora-2-pro", quantity="5 second", at="2026-13-01")
    with pytest.raises(ValueError):
        hedra.bill(plan="creator", usage=[], billing="weekly")
    with pytest.raises(ValueError):
        hedra.rate([], by="country")
    with pytest.raises(TypeError):
        pricebook.load(42)


def test_a_book_that_does_not_check_is_a_book_error_with_diagnostics():
    with pytest.raises(pricebook.BookError) as e:
        pricebook.load("tests/ui/keyword-typo-mesure.pricebook")
    err = e.value
    assert err.code == "book"
    assert "has 1 error" in err.message
    [d] = err.diagnostics
    assert isinstance(d, pricebook.Diagnostic)
    assert (d.code, d.severity, d.file, d.line, d.column) == (
        "syntax-error", "error", "tests/ui/keyword-typo-mesure.pricebook", 7, 3)
    assert d.help == "did you mean `measure`?"
    assert d.labels[0]["text"] == "mesure"


def test_a_path_without_books_is_a_load_error(tmp_path):
    with pytest.raises(pricebook.LoadError) as e:
        pricebook.load(str(tmp_path / "nothing-here"))
    assert e.value.code == "no-book"
    assert "no such file or directory" in e.value.message
    with pytest.raises(pricebook.LoadError) as e:
        pricebook.load(str(tmp_path))
    assert e.value.code == "no-book"
    bad = tmp_path / "t.json"
    bad.write_text("{}")
    with pytest.raises(pricebook.LoadError) as e:
        pricebook.load(str(bad))
    assert e.value.code == "table-invalid"
