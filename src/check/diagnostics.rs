//! Every diagnostic the checker reports, one constructor per mistake, grouped by the pass that
//! finds it (in the order the passes run). A mistake made in several places is built by one
//! constructor, so it reads the same, with the same code, wherever it is found.
//!
//! Constructors take plain data: names, spans, and values already worked out from the book (its
//! currency, its wallet unit, an example rate) by the pass that reports them.
//!
//! Over 1,000 lines on purpose: this is the catalogue of the checker's messages, kept in one
//! file so their wording, codes and help can be read and reviewed side by side.

use crate::base::date::Date;
use crate::base::names::{NameError, quoted_list};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::ast::Span;

// Shared wording: the parts of messages that several constructors build alike.

/// The help of a name that names nothing: a close name when there is one, else `help`.
fn did_you_mean_or(suggestion: Option<&str>, help: impl Into<String>) -> String {
    match suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None => help.into(),
    }
}

/// Names that go round in a circle, back to the first: `` `a` -> `b` -> `a` ``.
fn circle<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .chain(names.first())
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// A statement given twice in one block, without its help; `first` is where it was first given,
/// when that is kept.
fn given_twice(key: &str, again: Span, first: Option<Span>) -> Diagnostic {
    let d = Diagnostic::new(
        Code::ConflictingStatement,
        format!("`{key}` is given twice"),
    )
    .label(again, "given again");
    match first {
        Some(first) => d.label(first, "first given here"),
        None => d,
    }
}

/// An amount in another currency than the book's, without its help.
fn in_other_currency(what: &str, unit: &str, cur: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("{what} is in {unit}, but the book bills in {cur}"),
    )
    .label(span, "other currency")
}

/// A product, plan or pack without a price, without its label and help.
fn without_price(what: &str, slug: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MissingStatement,
        format!("{what} `{slug}` has no price"),
    )
}

/// A book-level block declared twice, without its help; `first` is where it was first
/// declared, when that is kept.
fn book_rule_twice(what: &str, again: Span, first: Option<Span>) -> Diagnostic {
    let d = Diagnostic::new(Code::Duplicate, format!("{what} is declared twice"))
        .label(again, "declared again");
    match first {
        Some(first) => d.label(first, "first declared here"),
        None => d,
    }
}

// The header pass.

/// A second `pricebook` (or `contract`) header in one file.
pub(super) fn second_header(second: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::Header,
        "a file holds one book, but this is a second header",
    )
    .label(second, "second header")
    .label(first, "first header")
    .help("split the versions into separate files, one header each")
}

/// A header currency that is no ISO 4217 code; `suggestion` is a close code, when there is one.
pub(super) fn unknown_currency(code: &str, span: Span, suggestion: Option<&str>) -> Diagnostic {
    Diagnostic::new(Code::UnknownReference, format!("unknown currency `{code}`"))
        .label(span, "not an ISO 4217 currency")
        .help(did_you_mean_or(
            suggestion,
            "write an ISO 4217 code such as `USD` or `EUR`",
        ))
}

/// A book without a header; `at` is where the header belongs.
pub(super) fn no_header(at: Span) -> Diagnostic {
    Diagnostic::new(Code::Header, "the book has no `pricebook` header")
        .label(at, "expected a header before this")
        .help("start the file with `pricebook <vendor> version \"<label>\" effective <YYYY-MM-DD> currency <ISO code>`")
}

/// A date that is no day of the calendar.
pub(super) fn invalid_date(date: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidDate,
        format!("`{date}` is not a calendar date"),
    )
    .label(span, "no such day")
    .help("write a real date as YYYY-MM-DD")
}

// The names pass.

/// A product, plan, pack or dimension whose slug is defined twice.
pub(super) fn defined_twice(what: &str, name: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(Code::Duplicate, format!("{what} `{name}` is defined twice"))
        .label(again, "defined again here")
        .label(first, "first defined here")
        .help(format!(
            "give each {what} its own slug, or merge the two definitions"
        ))
}

/// A slug or display name written like the name of another item of its kind.
pub(super) fn name_like_another(
    what: &str,
    name: &str,
    span: Span,
    other: &str,
    other_span: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::Duplicate,
        format!("{what} name `{name}` would also name {what} `{other}`"),
    )
    .label(span, format!("written like `{other}`"))
    .label(other_span, "the other name")
    .help(format!(
        "{what}s are named ignoring case, spaces and punctuation: give each a name of its own"
    ))
}

/// `aka "X"` where `X` is (by key) a name the product already has: its slug, its display name or
/// another of its aliases.
pub(super) fn alias_repeats_name(alias: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::Duplicate,
        format!("alias `{alias}` repeats a name the product already has"),
    )
    .label(span, "the same name, ignoring case, spaces and punctuation")
    .label(first, "already named here")
    .help("names are matched ignoring case, spaces and punctuation: remove the alias, or fix it if it meant another name")
}

/// A reference (to a product, plan, unit, dimension, billing period, ...) that names nothing of
/// its kind; `help` says what to write, unless `suggestion` is a close name.
pub(super) fn unknown(
    what: &str,
    name: &str,
    span: Span,
    suggestion: Option<&str>,
    help: &str,
) -> Diagnostic {
    Diagnostic::new(Code::UnknownReference, format!("unknown {what} `{name}`"))
        .label(span, format!("no {what} of this name"))
        .help(did_you_mean_or(suggestion, help))
}

// The units pass, and reading quantities.

/// A unit declared with the name of a built-in unit.
pub(super) fn builtin_unit_declared(name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(Code::Duplicate, format!("`{name}` is a built-in unit"))
        .label(span, "already defined")
        .help("use the built-in unit, or give your unit another name")
}

/// A unit declared twice.
pub(super) fn unit_declared_twice(name: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(Code::Duplicate, format!("unit `{name}` is declared twice"))
        .label(again, "declared again here")
        .label(first, "first declared here")
        .help("declare each unit once")
}

/// A unit whose name would be read as another unit's; `other_span` is where that one is
/// declared, when the book declares it.
pub(super) fn unit_read_as_another(
    name: &str,
    span: Span,
    other: &str,
    other_span: Option<Span>,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::Duplicate,
        format!("unit `{name}` would be read as `{other}`"),
    )
    .label(span, format!("matches `{other}`"));
    if let Some(at) = other_span {
        d = d.label(at, "declared here");
    }
    d.help("units are matched ignoring case and punctuation: give this unit a name of its own")
}

/// `divisible` on a unit defined through another unit, which decides how it divides.
pub(super) fn derived_unit_divisible(name: &str, base: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        format!("`{name}` is defined through `{base}`, so it divides as that unit does"),
    )
    .label(span, "divisible here")
    .help(format!(
        "declare the base unit divisible instead: `unit {base} divisible`"
    ))
}

/// A unit conversion by zero or a negative number.
pub(super) fn conversion_not_positive(name: &str, base: &str, span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "a conversion must be positive")
        .label(span, "not positive")
        .help(format!(
            "write how many of `{base}` one `{name}` is, e.g. `unit {name} = 60 {base}`"
        ))
}

/// Unit conversions that go round in a circle through `members`; `through` labels each
/// declaration with the unit it is defined through.
pub(super) fn conversion_cycle(members: &[&str], through: &[(Span, &str)]) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::ConversionCycle,
        format!("unit conversions go round in a circle: {}", circle(members)),
    );
    for (span, target) in through {
        d = d.label(*span, format!("defined through `{target}`"));
    }
    d.help(format!(
        "define one unit as the base (`unit {}`) and the others in terms of it",
        members[0]
    ))
}

/// A number too large for exact decimal arithmetic.
pub(super) fn overflow(what: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::NumberRange,
        format!("{what} overflows exact decimal arithmetic"),
    )
    .label(span, "too large")
    .help("use smaller numbers or a larger unit")
}

/// A unit name that names no unit; `own` lists the book's own units (and its currency), for the
/// help when `suggestion` gives no close name.
pub(super) fn unknown_unit(
    name: &str,
    span: Span,
    suggestion: Option<&str>,
    own: &[&str],
) -> Diagnostic {
    let known = if own.is_empty() {
        String::new()
    } else {
        let own: Vec<String> = own.iter().map(|u| format!("`{u}`")).collect();
        format!(", or one of this book's units ({})", own.join(", "))
    };
    unknown(
        "unit",
        name,
        span,
        suggestion,
        &format!(
            "declare it with `unit {name}`{known}, or a built-in unit such as `second`, `character` or `image`"
        ),
    )
}

/// A quantity in a unit of the wrong dimension: its unit `measures` one thing, and it `must` be
/// in another.
pub(super) fn quantity_in_wrong_dimension(
    role: &str,
    unit: &str,
    measures: &str,
    must: &str,
    span: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("{role} is in {measures}, but it must be in {must}"),
    )
    .label(span, format!("`{unit}` measures {measures}"))
    .help(format!("write it in a unit of {must}"))
}

/// A price or rate that is zero (`zero`) or negative.
pub(super) fn not_positive(what: &str, zero: bool, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::NonPositivePrice,
        format!("{what} is {}", if zero { "zero" } else { "negative" }),
    )
    .label(span, if zero { "zero" } else { "negative" })
    .help(if zero {
        "a product that costs nothing is written `free`"
    } else {
        "prices and rates must be positive"
    })
}

// The dimensions pass, and reading dimension values.

/// A value listed twice in one dimension.
pub(super) fn dimension_value_twice(value: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::Duplicate,
        format!("dimension value `{value}` is listed twice"),
    )
    .label(again, "listed again")
    .label(first, "first listed here")
    .help("list each value once, lowest first")
}

/// A value that is none of `dimension`'s `values`; `suggestion` is a close one, when there is one.
pub(super) fn not_a_dimension_value(
    value: &str,
    span: Span,
    dimension: &str,
    values: &[String],
    suggestion: Option<&str>,
) -> Diagnostic {
    let listed = values.join(", ");
    Diagnostic::new(
        Code::UnknownDimensionValue,
        format!("`{value}` is not a value of dimension `{dimension}`"),
    )
    .label(span, format!("not in `{dimension}`"))
    .help(match suggestion {
        Some(s) => format!("did you mean `{s}`? `{dimension}` has: {listed}"),
        None => format!("`{dimension}` has: {listed}"),
    })
}

// The products pass.

/// A statement given twice in a product or plan (`what`), which has one `key`.
pub(super) fn statement_twice(what: &str, key: &str, again: Span, first: Span) -> Diagnostic {
    given_twice(key, again, Some(first)).help(format!("a {what} has one `{key}`; remove one"))
}

/// A product without a `measure`.
pub(super) fn no_measure(slug: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::MissingStatement,
        format!("product `{slug}` does not say what it measures"),
    )
    .label(span, "no `measure`")
    .help("add `measure time`, `measure text`, `measure area` or `measure <count unit>`")
}

/// A dimension listed twice in a product's `dims`.
pub(super) fn dimension_listed_twice(name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::Duplicate,
        format!("dimension `{name}` is listed twice"),
    )
    .label(span, "listed again")
    .help("list each dimension once")
}

/// A product that both rounds (`round`) and prorates (`prorate`).
pub(super) fn round_and_prorate(round: Span, prorate: Span) -> Diagnostic {
    Diagnostic::new(
        Code::ConflictingStatement,
        "`round` and `prorate` contradict each other",
    )
    .label(round, "rounds the quantity")
    .label(prorate, "charges the exact quantity")
    .help("keep `round up to <block>` for block rounding, or `prorate` for exact charging")
}

/// A rounding step of zero or less; `base` is the base unit of the product's measure.
pub(super) fn rounding_step_not_positive(span: Span, base: &str) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "the rounding step must be positive")
        .label(span, "not positive")
        .help(format!("write e.g. `round up to 1 {base}`"))
}

/// A `min` or `max` below zero.
pub(super) fn negative_bound(span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "a quantity bound cannot be negative")
        .label(span, "negative")
        .help("bounds are usage quantities, zero or more")
}

/// A product's `min` above its `max`.
pub(super) fn min_above_max(min: &str, max: &str, min_span: Span, max_span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        format!("the minimum {min} is above the maximum {max}"),
    )
    .label(min_span, "minimum")
    .label(max_span, "maximum")
    .help("swap the bounds, or fix one of them")
}

/// A product priced by two pricing statements.
pub(super) fn priced_twice(
    slug: &str,
    first_kind: &str,
    first: Span,
    second_kind: &str,
    second: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::ConflictingStatement,
        format!("product `{slug}` is priced twice: by `{first_kind}` and by `{second_kind}`"),
    )
    .label(second, "second pricing")
    .label(first, "first pricing")
    .help("a product has one pricing: a `rate` (or a matrix of rates), `tiers`, `flat`, `free` or `rate unpublished`")
}

/// A product without a pricing statement; `unit` and `base` make the example rate.
pub(super) fn product_without_price(slug: &str, span: Span, unit: &str, base: &str) -> Diagnostic {
    without_price("product", slug)
        .label(span, "no `rate`, `tiers`, `flat` or `free`")
        .help(format!(
            "add e.g. `rate 1 {unit} / {base}`, or `free` if it costs nothing"
        ))
}

/// A product priced in money in a book whose plans pay from a `wallet` of another unit.
pub(super) fn money_in_wallet(slug: &str, unit: &str, wallet: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::MoneyInWallet,
        format!(
            "`{slug}` is priced in {unit}, but this book's plans pay from a `{wallet}` wallet"
        ),
    )
    .label(span, format!("priced in {unit}"))
    .help("if it is billed separately from the wallet, say so with `outside wallet`; otherwise price it in the wallet unit")
}

/// A product `outside wallet` priced in a unit that is not money.
pub(super) fn outside_wallet_not_money(slug: &str, unit: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("`{slug}` is outside the wallet but priced in `{unit}`"),
    )
    .label(span, "outside wallet")
    .help("a carve-out is billed in money: price it in the book's currency")
}

/// A product priced in another currency than the book's (`cur`).
pub(super) fn product_in_other_currency(
    slug: &str,
    unit: &str,
    cur: &str,
    span: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("`{slug}` is priced in {unit}, but the book bills in {cur}"),
    )
    .label(span, format!("priced in {unit}"))
    .help(format!("price it in {cur}, the currency in the header"))
}

// A product's pricing: rates, matrices and tiers.

/// A rate that charges another unit than an earlier rate of the same product.
pub(super) fn rate_charges_other_unit(
    unit: &str,
    earlier: &str,
    span: Span,
    earlier_span: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("this rate charges `{unit}`, an earlier one `{earlier}`"),
    )
    .label(span, "different charge unit")
    .label(earlier_span, "earlier rate")
    .help("all rates of one product charge the same unit")
}

/// A rate without a cell in a product priced by dimensions; `cell` and `rate` make the example.
pub(super) fn rate_without_cell(span: Span, cell: &str, rate: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MatrixCellMissing,
        "this product is priced by dimensions, but this rate names no cell",
    )
    .label(span, "no dimension values")
    .help(format!(
        "write the cell before `=`, e.g. `rate {cell} = {rate}`"
    ))
}

/// A second plain `rate` in a product without `dims`.
pub(super) fn rate_twice(again: Span, first: Span) -> Diagnostic {
    given_twice("rate", again, Some(first)).help("a product without `dims` has one rate")
}

/// `not offered` on a rate that names no cell.
pub(super) fn not_offered_without_cell(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "`not offered` only applies to a cell of a matrix",
    )
    .label(span, "no cell")
    .help("leave the product off the plans instead")
}

/// A rate that names a cell in a product without `dims`.
pub(super) fn cell_without_dims(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownReference,
        "this rate names a cell, but the product declares no `dims`",
    )
    .label(span, "cell key")
    .help("add `dims <dimension>, ...` to the product")
}

/// A cell that names `values` values for a product priced by `dims`.
pub(super) fn cell_arity(values: usize, dims: &[&str], span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::MatrixCellMissing,
        format!(
            "a cell names {} value(s), but the product has {} dimension(s): {}",
            values,
            dims.len(),
            dims.join(", ")
        ),
    )
    .label(span, "cell key")
    .help("give one value per dimension, in the order of `dims`")
}

/// A cell of a matrix rated twice.
pub(super) fn cell_twice(key: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::MatrixCellDuplicate,
        format!("cell `{key}` is rated twice"),
    )
    .label(again, "rated again")
    .label(first, "first rated here")
    .help("rate each combination of values once")
}

/// A matrix with cells left unrated; `missing` lists each cell's values, joined.
pub(super) fn cells_missing(slug: &str, missing: &[String], span: Span) -> Diagnostic {
    let shown: Vec<String> = missing
        .iter()
        .take(5)
        .map(|m| format!("`rate {m} = ...`"))
        .collect();
    Diagnostic::new(
        Code::MatrixCellMissing,
        format!(
            "product `{slug}` has no rate for {} cell(s): {}",
            missing.len(),
            missing
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ),
    )
    .label(span, "incomplete matrix")
    .help(format!(
        "add {}, or mark a cell `= not offered`",
        shown.join(", ")
    ))
}

/// A first tier that does not start at 0; `unit` is the unit it is written in.
pub(super) fn first_tier_not_at_zero(span: Span, unit: &str) -> Diagnostic {
    Diagnostic::new(Code::TierBounds, "the first tier must start at 0")
        .label(span, "leaves usage below it unpriced")
        .help(format!("start the first tier at `0 {unit}`"))
}

/// A tier after an open-ended one; `base` is the base unit of the product's measure.
pub(super) fn tier_after_open_ended(span: Span, open: Span, base: &str) -> Diagnostic {
    Diagnostic::new(Code::TierBounds, "a tier follows an open-ended tier")
        .label(span, "never reached")
        .label(open, "this tier has no upper bound")
        .help(format!(
            "only the last tier may be open-ended (`1000 {base} .. : ...`)"
        ))
}

/// A tier that does not start where the previous one ends: it `overlap`s it, or leaves a gap.
pub(super) fn tiers_do_not_meet(
    overlap: bool,
    from: &str,
    unit: &str,
    span: Span,
    previous: Span,
) -> Diagnostic {
    let (what, label) = if overlap {
        ("overlap", "starts inside the previous tier")
    } else {
        ("leave a gap", "starts after the previous tier ends")
    };
    Diagnostic::new(
        Code::TierBounds,
        format!("tiers {what}: this tier starts at {from} {unit}"),
    )
    .label(span, label)
    .label(previous, "previous tier")
    .help("each tier starts where the previous one ends")
}

/// A tier whose upper bound is not above its lower bound.
pub(super) fn tier_bounds_not_increasing(span: Span) -> Diagnostic {
    Diagnostic::new(Code::TierBounds, "a tier's bounds do not increase")
        .label(span, "upper bound not above lower bound")
        .help("write tiers as `lower .. upper` with upper > lower")
}

/// A tier that charges another unit than the first tier.
pub(super) fn tiers_charge_different_units(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        "tiers of one product charge different units",
    )
    .label(span, "different charge unit")
    .help("all tiers charge the same unit")
}

/// A `tiers` block without tiers; `base` and `rate` make the example tier.
pub(super) fn no_tiers(span: Span, base: &str, rate: &str) -> Diagnostic {
    Diagnostic::new(Code::MissingStatement, "`tiers` lists no tier")
        .label(span, "empty")
        .help(format!(
            "add tiers such as `0 {base} .. 1000 {base} : {rate}`"
        ))
}

// Rates, and the floor under contract rates.

/// A rate per a block of zero or less.
pub(super) fn block_size_not_positive(span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "a rate's block size must be positive")
        .label(span, "not positive")
        .help("write `/ 1000 character`, or leave the number out for 1")
}

/// A rate (the `what`) in another currency than the book's (`cur`).
pub(super) fn rate_in_other_currency(what: &str, code: &str, cur: &str, span: Span) -> Diagnostic {
    in_other_currency(&format!("the {what}"), code, cur, span)
        .help(format!("write it in {cur}, the currency in the header"))
}

/// A rate (`amount unit / per_unit`) per a unit of another dimension than the product's
/// `measure`; `rates` is the dimension it rates.
pub(super) fn rate_on_wrong_dimension(
    amount: &str,
    unit: &str,
    per_unit: &str,
    rates: &str,
    measure: &str,
    span: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!(
            "`{amount} {unit} / {per_unit}` rates {rates}, but this product is measured in {measure}"
        ),
    )
    .label(span, format!("{rates} unit"))
    .help(format!(
        "rate the product per unit of {measure} (or change its `measure`)"
    ))
}

/// A contract rate below the book's floor.
pub(super) fn rate_under_floor(
    rate: &str,
    floor: &str,
    span: Span,
    floor_span: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::RateUnderFloor,
        format!("{rate} is below the floor of {floor}"),
    )
    .label(span, "under the floor")
    .label(floor_span, "floor declared here")
    .help("no contract rate may go below the declared floor; raise the rate")
}

// Prices and periods.

/// Money (the `what`) written in a unit that is not money; `measures` is what the unit
/// measures (`None` for a pricing unit of the book's own), `value` and `currency` make the
/// example.
pub(super) fn not_money(
    what: &str,
    unit: &str,
    measures: Option<&str>,
    span: Span,
    value: &str,
    currency: &str,
) -> Diagnostic {
    let is = match measures {
        None => "is a pricing unit".to_string(),
        Some(m) => format!("measures {m}"),
    };
    Diagnostic::new(
        Code::UnitMismatch,
        format!("{what} must be money, but `{unit}` {is}"),
    )
    .label(span, "not a currency")
    .help(format!(
        "write it in the book's currency, e.g. `{value} {currency}`"
    ))
}

/// Money (the `what`) in another currency than the book's (`cur`).
pub(super) fn money_in_other_currency(what: &str, unit: &str, cur: &str, span: Span) -> Diagnostic {
    in_other_currency(what, unit, cur, span).help(format!("write it in {cur}"))
}

/// A price below zero.
pub(super) fn negative_price(what: &str, span: Span) -> Diagnostic {
    Diagnostic::new(Code::NonPositivePrice, format!("{what} is negative"))
        .label(span, "negative")
        .help("a price is zero or more")
}

/// A recurring price per several periods (`/ 3 month`).
pub(super) fn price_per_several_periods(span: Span, currency: &str) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "a recurring price is per one period")
        .label(span, "write `/ month` or `/ year`")
        .help(format!("e.g. `price 30 {currency} / month`"))
}

// Grants of plans and packs.

/// A grant of zero or less.
pub(super) fn grant_not_positive(span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "a grant must give a positive amount")
        .label(span, "not positive")
        .help("remove the grant, or give an amount above zero")
}

/// `grant custom ...` in a pack: a pack is a fixed offer.
pub(super) fn pack_grant_contract_set(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "a pack sells a fixed grant; its amount cannot be left to a contract",
    )
    .label(span, "set by contract")
    .help("give the pack's amount (`grant 5000 credit`), or move the term to a plan a contract is based on")
}

/// A contract's plan that inherits a term its public plan leaves to each contract.
pub(super) fn contract_grant_unset(
    plan: &str,
    base: Option<&str>,
    unit: &str,
    span: Span,
    grant_span: Span,
) -> Diagnostic {
    let whose = base.map_or(String::new(), |b| format!(" from `{b}`"));
    Diagnostic::new(
        Code::ContractTermUnset,
        format!(
            "contract plan `{plan}` inherits a grant{whose} that each contract sets, and does not set it"
        ),
    )
    .label(span, "this contract's plan")
    .label(grant_span, "`grant custom`: left to the contract")
    .help(format!(
        "state the grant the contract agrees in the plan: `grant <amount> {unit} ...`, with the cadence and expiry of the base plan's"
    ))
}

/// A pack's grant with a cadence.
pub(super) fn pack_grant_recurs(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "a pack is bought once; its grant cannot recur",
    )
    .label(span, "recurring")
    .help("remove the cadence from the pack's grant")
}

/// A grant without an expiry rule.
pub(super) fn grant_without_expiry(span: Span) -> Diagnostic {
    Diagnostic::new(Code::GrantWithoutExpiry, "this grant does not say when it expires")
        .label(span, "no expiry rule")
        .help("add `, expires at cycle end`, `, never expires`, `, expires after 12 month` or `, expires at contract end`")
}

/// An expiry that is not a whole number of days, months or years.
pub(super) fn expiry_not_whole(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "an expiry is a whole number of days, months or years",
    )
    .label(span, "not whole days or months")
    .help("write e.g. `expires after 12 month` or `expires after 30 day`")
}

/// A grant with two expiry rules.
pub(super) fn two_expiry_rules(second: Span, first: Span) -> Diagnostic {
    Diagnostic::new(Code::ConflictingStatement, "a grant has two expiry rules")
        .label(second, "second rule")
        .label(first, "first rule")
        .help("keep one expiry rule")
}

/// A priority that is not a whole number.
pub(super) fn priority_not_whole(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "a priority is a whole number, 0 or more",
    )
    .label(span, "not a whole number")
    .help("lower priorities are drawn first: plan credits `priority 1`, packs `priority 2`")
}

/// A grant with two priorities.
pub(super) fn two_priorities(second: Span, first: Span) -> Diagnostic {
    Diagnostic::new(Code::ConflictingStatement, "a grant has two priorities")
        .label(second, "second")
        .label(first, "first")
        .help("keep one priority")
}

// The plans pass.

/// Plans `based on` each other in a loop; `cycle` lists the plans of the loop.
pub(super) fn based_on_loop(cycle: &[String], at: Span) -> Diagnostic {
    Diagnostic::new(
        Code::ConflictingStatement,
        format!("plans are based on each other in a loop: {}", circle(cycle)),
    )
    .label(at, "based on")
    .help("base one of them on a plan that is not based on the others, or restate its terms")
}

/// An included pool rated per a unit of another dimension; `measures` is what the pool's unit
/// measures, `value` and `currency` make the example.
pub(super) fn pool_rate_other_unit(
    unit: &str,
    rate_unit: &str,
    measures: &str,
    span: Span,
    value: &str,
    currency: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("the included pool is in `{unit}` but its rate is per `{rate_unit}`"),
    )
    .label(span, measures)
    .help(format!(
        "price the pool per unit of the pool, e.g. `includes {value} {unit} at 0.01 {currency} / {unit}`"
    ))
}

/// A plan rate that charges another unit than the product it replaces the rate of (`own`).
pub(super) fn plan_rate_other_unit(unit: &str, product: &str, own: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("this plan rate charges `{unit}`, but `{product}` is charged in `{own}`"),
    )
    .label(span, "different charge unit")
    .help(format!(
        "a plan rate replaces the product's rate in the same unit: charge `{own}`"
    ))
}

/// A plan without a `price` (or `commit`).
pub(super) fn plan_without_price(slug: &str, span: Span, currency: &str) -> Diagnostic {
    without_price("plan", slug)
        .label(span, "no `price`")
        .help(format!("add `price 30 {currency} / month`, `price custom` for a sales-led plan, `price unpublished`, or a `commit`"))
}

/// A product both listed in a plan's `products` and denied.
pub(super) fn listed_and_denied(product: &str, denied: Span, listed: Span) -> Diagnostic {
    Diagnostic::new(
        Code::ConflictingStatement,
        format!("product `{product}` is both listed and denied"),
    )
    .label(denied, "denied")
    .label(listed, "listed here")
    .help("list it or deny it, not both")
}

/// An overage rate below the commitment's included rate.
pub(super) fn overage_cheaper(overage: Span, included: Span) -> Diagnostic {
    Diagnostic::new(
        Code::OverageCheaper,
        "overage is priced below the included rate",
    )
    .label(overage, "overage")
    .label(included, "included rate")
    .help("overage usually costs more than committed usage; check the figures")
}

/// `includes` in a plan without a `commit`.
pub(super) fn includes_without_commit(span: Span, currency: &str) -> Diagnostic {
    Diagnostic::new(Code::MissingStatement, "`includes` needs a `commit`")
        .label(span, "included pool without commitment")
        .help(format!(
            "add `commit <amount> {currency} / month`, or express the pool as a `grant`"
        ))
}

/// `when empty overage` without an overage rate; `currency` and `unit` make the example rate.
pub(super) fn overage_without_rate(span: Span, currency: &str, unit: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MissingStatement,
        "`when empty overage` needs an overage rate",
    )
    .label(span, "no rate")
    .help(format!(
        "write `when empty overage 0.01 {currency} / {unit}`, or add an `overage` statement"
    ))
}

/// A limit of zero or less.
pub(super) fn limit_not_positive(span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "a limit must be positive")
        .label(span, "not positive")
        .help("to deny a product, write `deny <product>`")
}

// The allowances pass.

/// An allowance of zero or less.
pub(super) fn allowance_not_positive(span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "an allowance must be positive")
        .label(span, "not positive")
        .help("to include nothing, leave the allowance out; to refuse a product, write `deny <product>`")
}

/// An allowance's window that is not a calendar window.
pub(super) fn allowance_window(window: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownReference,
        format!("unknown allowance window `{window}`"),
    )
    .label(span, "not a window")
    .help("write `per hour`, `per day`, `per week`, `per month` or `per year`")
}

/// An allowance in a unit of another dimension than a product it covers.
pub(super) fn allowance_unit(unit: &str, slug: &str, measure: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("an allowance in `{unit}` cannot measure `{slug}`, which is measured in {measure}"),
    )
    .label(span, format!("`{unit}`"))
    .help(format!(
        "write the allowance in a unit of {measure}, or in a count (`5 video per day`) to count its events"
    ))
}

/// An overage beyond an allowance that is not priced in money.
pub(super) fn allowance_overage_not_money(unit: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("usage beyond an allowance is billed in money, not `{unit}`"),
    )
    .label(span, "not money")
    .help("price it in the book's currency (`then overage 0.50 USD / minute`), or write `then wallet` to pay from the wallet")
}

// Top-ups.

/// `top up credit`: a top-up balance is money.
pub(super) fn top_up_not_money(unit: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("a top-up balance is money, not `{unit}`"),
    )
    .label(span, "not a currency")
    .help("write the book's currency (`top up USD`); credits are bought with a `pack` or `auto recharge`")
}

/// A top-up balance in another currency than the book's.
pub(super) fn top_up_currency(unit: &str, currency: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("the top-up balance is in {unit}, but the book bills in {currency}"),
    )
    .label(span, "other currency")
    .help(format!("write `top up {currency}`"))
}

/// A top-up bound of zero or less.
pub(super) fn top_up_bound_not_positive(what: &str, span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, format!("{what} must be positive"))
        .label(span, "not positive")
        .help("leave the bound out to allow any amount")
}

/// A top-up maximum under its minimum.
pub(super) fn top_up_bounds_cross(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "a top-up's maximum is below its minimum",
    )
    .label(span, "below the minimum")
    .help("swap the two amounts")
}

// The fees pass.

/// `fee "" 50 USD once`.
pub(super) fn fee_unnamed(span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "a fee without a name")
        .label(span, "empty")
        .help("name the fee as the vendor does: `fee \"Setup\" 500 USD once`")
}

/// `between 2000 USD and 1000 USD`.
pub(super) fn fee_range_empty(name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        format!("fee `{name}`: the upper end of its range is not above the lower"),
    )
    .label(span, "not above the lower end")
    .help("write `between LOW and HIGH` with LOW below HIGH, or give one amount")
}

/// A product's fee `every month`.
pub(super) fn product_fee_recurs(name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        format!(
            "fee `{name}` of a product recurs; a product's fee is charged once, at its first use"
        ),
    )
    .label(span, "recurring")
    .help("write `once`, or move a recurring fee to the plans that charge it")
}

/// Two fees of one name in a plan or product.
pub(super) fn fee_twice(name: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::ConflictingStatement,
        format!("fee `{name}` is stated twice"),
    )
    .label(again, "again")
    .label(first, "first stated here")
    .help("state each fee once; name two different fees differently")
}

// The limits pass.

/// `between 5 second and 10 character`: the two ends compare different things.
pub(super) fn limit_ends_differ(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        "the two ends of this range are not of one kind",
    )
    .label(span, "different kinds")
    .help("write both ends in one dimension: `between 1 character and 10000 character`, `between 0.5 and 2`")
}

/// `>= 5 per day`: a window counts usage up to a cap.
pub(super) fn window_limit_not_a_cap(op: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        format!("a limit per window caps usage; `{op}` does not"),
    )
    .label(span, "not a cap")
    .help("write `<= 5 per day` or `< 6 per day`; a guarantee such as `>= 20` is `informational`")
}

/// `between 10 and 5`, `< 540p` on the lowest value: no event could pass.
pub(super) fn limit_allows_nothing(span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "no value satisfies this limit")
        .label(span, "allows nothing")
        .help("write the lower end first (`between 5 and 10`); to refuse a product, write `deny <product>`")
}

/// A limit nothing a usage event carries can be compared with: kept as informational.
pub(super) fn limit_not_enforced(name: &str, span: Span, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::LimitNotEnforced,
        format!("limit `{name}` cannot be enforced: {why}"),
    )
    .label(span, "shown, never checked")
    .help(format!(
        "declare `attribute {name}` so usage can carry it (`attr` in a test, `--attr` on `quote`), or end the line with `informational`"
    ))
}

// The packs pass.

/// A second `price` in a pack.
pub(super) fn pack_price_twice(again: Span) -> Diagnostic {
    given_twice("price", again, None).help("a pack has one price")
}

/// A pack's price with a period.
pub(super) fn pack_price_recurs(span: Span, currency: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "a pack is bought once; its price has no period",
    )
    .label(span, "recurring price")
    .help(format!("write e.g. `price 100 {currency}`"))
}

/// A pack without a `price`.
pub(super) fn pack_without_price(slug: &str, span: Span, currency: &str) -> Diagnostic {
    without_price("pack", slug)
        .label(span, "no `price`")
        .help(format!(
            "add `price 100 {currency}`, or `price unpublished`"
        ))
}

/// A pack without a grant; `unit` makes the example grant.
pub(super) fn pack_grants_nothing(slug: &str, span: Span, unit: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MissingStatement,
        format!("pack `{slug}` grants nothing"),
    )
    .label(span, "no `grant`")
    .help(format!(
        "add e.g. `grant 1000 {unit}, never expires, priority 2`"
    ))
}

/// A pack offered to a plan without `packs allowed`.
pub(super) fn pack_not_allowed(pack: &str, plan: &str, at: Span, plan_span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::PackNotAllowed,
        format!("pack `{pack}` is offered to plan `{plan}`, which does not allow packs"),
    )
    .label(at, "offered here")
    .label(plan_span, "plan without `packs allowed`")
    .help(format!(
        "add `packs allowed` to plan `{plan}`, or remove it from the pack's `for` list"
    ))
}

// Book-level rules: the floor, annual billing, auto recharge.

/// A second `floor` in a book.
pub(super) fn floor_twice(again: Span, first: Span) -> Diagnostic {
    book_rule_twice("the floor", again, Some(first)).help("a book has one floor")
}

/// A second `existing subscribers move` in a book.
pub(super) fn moves_twice(again: Span, first: Span) -> Diagnostic {
    book_rule_twice("how existing subscribers move", again, Some(first))
        .help("a version says once how existing subscribers move to it")
}

/// Grandfathering until a day on or before the version takes effect: nobody would be kept.
pub(super) fn moves_on_before_effective(day: &str, effective: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        format!("existing subscribers move on {day}, but the version takes effect {effective}"),
    )
    .label(span, "on or before the effective date")
    .help(format!(
        "write a day after {effective} to keep existing subscribers on the previous version until then, or `existing subscribers move at once`"
    ))
}

/// A contract's terms apply to one version: they cannot say how subscribers move.
pub(super) fn moves_in_contract(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "a contract cannot say how existing subscribers move",
    )
    .label(span, "in a contract")
    .help("declare `existing subscribers move ...` in the vendor's book version")
}

/// A `billing` rule in the other kind of block: `front-load` outside `billing annual`, or a
/// subscription rule inside it.
pub(super) fn billing_rule_misplaced(
    what: &str,
    belongs: &str,
    why: &str,
    span: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        format!("`{what}` does not belong in this billing block"),
    )
    .label(span, "here")
    .help(format!("move it into `{belongs}`: {why}"))
}

/// A subscription rule (`periods`, `first period`, `plan changes`) said twice.
pub(super) fn billing_rule_twice(what: &str, again: Span, first: Span) -> Diagnostic {
    given_twice(what, again, Some(first)).help("a book says each billing rule once: keep one")
}

/// `plan changes at once` without saying how the rest of the cycle is billed.
pub(super) fn plan_change_unprorated(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "a plan change at once must say how the rest of the cycle is billed",
    )
    .label(span, "at once, but not prorated")
    .help("write `plan changes at once prorated` (the rest of the cycle is credited on the old plan and billed on the new), or `plan changes at renewal` (the default)")
}

/// A second `front-load` in annual billing.
pub(super) fn front_load_twice(again: Span) -> Diagnostic {
    given_twice("front-load", again, None).help("keep one")
}

/// Front-loading that is not a whole number of months.
pub(super) fn front_load_not_whole(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "front-loading is a whole number of months",
    )
    .label(span, "not whole months")
    .help("write `front-load 12 month`")
}

/// A second `auto recharge` block in a book.
pub(super) fn recharge_twice(again: Span) -> Diagnostic {
    book_rule_twice("auto recharge", again, None).help("a book has one `auto recharge` block")
}

/// A recharge price without the quantity it buys; `currency` and `unit` make the example.
pub(super) fn recharge_price_without_quantity(
    span: Span,
    currency: &str,
    unit: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "a recharge price is money per wallet units",
    )
    .label(span, "no `/ <quantity>`")
    .help(format!("write e.g. `price 100 {currency} / 16000 {unit}`"))
}

/// A plan that recharges when empty (`when empty auto recharge`) but is not among the plans the
/// `auto recharge` block names with `for`.
pub(super) fn recharge_plan_not_listed(plan: &str, span: Span, for_span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::ConflictingStatement,
        format!("plan `{plan}` recharges when empty, but the book's `auto recharge` is not for it"),
    )
    .label(span, "recharges when empty")
    .label(for_span, "the plans that may auto-recharge")
    .help(format!(
        "add `{plan}` to the block's `for` list, or give the plan another `when empty` rule"
    ))
}

/// Auto recharge that refills to its threshold or below.
pub(super) fn refill_below_threshold(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "auto recharge refills to less than its threshold",
    )
    .label(span, "refill at or below threshold")
    .help("the ceiling (`refill to`) must be above the threshold (`below`)")
}

// Rules across items.

/// A plan that recharges when empty in a book without `auto recharge`.
pub(super) fn recharge_without_block(plan: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::MissingStatement,
        format!("plan `{plan}` recharges when empty, but the book declares no `auto recharge`"),
    )
    .label(span, "auto recharge")
    .help("add `auto recharge { ... }` to the book")
}

/// A product offered by no plan.
pub(super) fn unused_product(slug: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnusedProduct,
        format!("product `{slug}` is on no plan"),
    )
    .label(span, "offered nowhere")
    .help("add it to a plan's `products`, or remove it")
}

/// Two plans with the same terms.
pub(super) fn identical_plans(
    first: &str,
    first_span: Span,
    second: &str,
    second_span: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::IdenticalPlans,
        format!("plans `{first}` and `{second}` have the same price, grants and limits"),
    )
    .label(second_span, format!("same terms as `{first}`"))
    .label(first_span, "first plan")
    .help("buyers cannot tell them apart: differentiate them, or `allow identical-plans \"reason\"` in one of them")
}

// Worked examples.

/// Two worked examples of one name.
pub(super) fn test_twice(name: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(Code::Duplicate, format!("test \"{name}\" is defined twice"))
        .label(again, "defined again")
        .label(first, "first defined here")
        .help("give each worked example its own name")
}

/// A `capacity` example without a plan.
pub(super) fn capacity_without_plan(span: Span) -> Diagnostic {
    Diagnostic::new(Code::MissingStatement, "a capacity needs a plan")
        .label(span, "no plan")
        .help("name the plan whose grant is sized: `capacity plan <slug> ...`")
}

/// An example dated before the book takes effect.
pub(super) fn not_in_force(day: Date, effective: Date, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::NotInForce,
        format!("this book is not in force on {day}: it takes effect on {effective}"),
    )
    .label(span, "before the book's effective date")
    .help(format!(
        "use a date on or after {effective}, or move the example to the version in force on {day}"
    ))
}

/// A name in an example that names nothing of its kind, or several things.
pub(super) fn unresolved_name(e: &NameError, span: Span) -> Diagnostic {
    let label = if e.ambiguous {
        format!("names several {}s", e.kind)
    } else {
        format!("no {} of this name", e.kind)
    };
    Diagnostic::new(Code::UnknownReference, e.message())
        .label(span, label)
        .help(e.help())
}

/// An example that needs a plan in a book without plans.
pub(super) fn no_plan_in_book(span: Span) -> Diagnostic {
    Diagnostic::new(Code::MissingStatement, "the book has no plan to use here")
        .label(span, "needs a plan")
        .help("declare a plan: `plan \"Name\" as slug { ... }`")
}

/// An example that names no plan in a book of several (`slugs`).
pub(super) fn which_plan(slugs: &[String], span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::MissingStatement,
        format!(
            "the book has {} plans, and this example names none",
            slugs.len()
        ),
    )
    .label(span, "which plan?")
    .help(format!(
        "name one with `plan <slug>`: {}",
        quoted_list(slugs, "or")
    ))
}

/// A `dim` given for a product priced by no dimension.
pub(super) fn not_priced_by_dimensions(slug: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownDimensionValue,
        format!("`{slug}` is not priced by any dimension"),
    )
    .label(span, "no dimension to give")
    .help("remove the `dim`")
}

/// A `dim` naming a dimension the product is not priced by (it is by `dims`).
pub(super) fn not_priced_by_dimension(
    slug: &str,
    dimension: &str,
    span: Span,
    dims: &[String],
) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownReference,
        format!("`{slug}` is not priced by dimension `{dimension}`"),
    )
    .label(span, "not a dimension of this product")
    .help(format!(
        "`{slug}` is priced by {}",
        quoted_list(dims, "and")
    ))
}

/// A value given twice for one dimension in an example.
pub(super) fn dimension_given_twice(name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::ConflictingStatement,
        format!("dimension `{name}` is given twice"),
    )
    .label(span, "given again")
    .help("give one value per dimension")
}

/// A `dim` value that is a value of none of the dimensions it may be of (`dims`: each name and
/// its values); `suggestion` is a close value, when there is one.
pub(super) fn not_a_priced_value(
    value: &str,
    slug: &str,
    span: Span,
    suggestion: Option<&str>,
    dims: &[(&str, &[String])],
) -> Diagnostic {
    let listed = dims
        .iter()
        .map(|(name, values)| format!("`{}` has {}", name, values.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    let help = match suggestion {
        Some(s) => format!("did you mean `{s}`? {listed}"),
        None => listed,
    };
    Diagnostic::new(
        Code::UnknownDimensionValue,
        format!("`{value}` is not a value `{slug}` is priced by"),
    )
    .label(span, "no such value")
    .help(help)
}

/// A `dim` value of several of the product's dimensions (`dims`), without saying which.
pub(super) fn value_of_several_dimensions(value: &str, dims: &[String], span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownDimensionValue,
        format!("`{value}` is a value of {}", quoted_list(dims, "and")),
    )
    .label(span, "which dimension?")
    .help(format!("write `dim {} = {value}`", dims[0]))
}

/// An example that gives no value of one of the product's dimensions (with its `values`).
pub(super) fn dimension_value_not_given(
    slug: &str,
    dimension: &str,
    values: &[String],
    span: Span,
) -> Diagnostic {
    let listed = values.join(", ");
    Diagnostic::new(
        Code::MissingStatement,
        format!("`{slug}` is priced by `{dimension}`, and no value is given"),
    )
    .label(span, "no value of this dimension")
    .help(format!(
        "add `dim {dimension} = <value>`; `{dimension}` has {listed}"
    ))
}

/// An example's quantity in a unit (which `measures` one thing) of another dimension than the
/// product's `measure`.
pub(super) fn quantity_not_of_measure(
    unit: &str,
    measures: &str,
    slug: &str,
    measure: &str,
    span: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("`{unit}` measures {measures}, but `{slug}` is measured in {measure}"),
    )
    .label(span, format!("{measures} unit"))
    .help(format!("give the quantity in a unit of {measure}"))
}

/// An expected money equivalent in a unit that is not money; `value` and `currency` make the
/// example.
pub(super) fn money_equivalent_not_money(
    unit: &str,
    span: Span,
    value: &str,
    currency: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("a money equivalent is in money, not `{unit}`"),
    )
    .label(span, "not a currency")
    .help(format!(
        "write it in {currency}, e.g. `money {value} {currency}`"
    ))
}

/// A bill over a number of periods that is not whole, or below 1.
pub(super) fn periods_not_whole(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        "a bill covers a whole number of periods, 1 or more",
    )
    .label(span, "not a whole number of periods")
    .help("write e.g. `periods 3`")
}

/// An example recharge whose threshold and ceiling are in units of different dimensions.
pub(super) fn recharge_in_two_dimensions(below: &str, to: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("the recharge threshold is in `{below}` but it refills in `{to}`"),
    )
    .label(span, "another dimension")
    .help("recharge in the wallet's unit on both sides")
}

/// An event time that is no RFC 3339 time.
pub(super) fn invalid_time(time: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidDate,
        format!("`{time}` is not an RFC 3339 time"),
    )
    .label(span, "not a time")
    .help("write e.g. 2026-06-02T10:00:00Z, or a date (midnight UTC)")
}

/// An expectation about something a bill does not have; `grant` is the grant it names, when it
/// names a wallet measure of an unknown grant.
pub(super) fn unknown_expectation(subject: &str, span: Span, grant: Option<&str>) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownReference,
        format!("unknown expectation `{subject}`"),
    )
    .label(span, "not something a bill has")
    .help(match grant {
        None => "expect `total`, `rejected`, `allowance`, `line <kind or product>`, or `granted`, `consumed`, `expired` or `remaining` of grants".to_string(),
        Some(w) => format!(
            "`{w}` is no grant of this book: name `plan credits`, `pack`, `recharge`, `contract`, `top-up`, a pack's slug or a unit"
        ),
    })
}

/// An expected wallet amount without its unit.
pub(super) fn wallet_amount_without_unit(subject: &str, value: &str, span: Span) -> Diagnostic {
    Diagnostic::new(Code::MissingStatement, "a wallet amount needs its unit")
        .label(span, "no unit")
        .help(format!("write e.g. `expect {subject} == {value} credit`"))
}

// `allow`s.

/// An `allow` of an error code.
pub(super) fn error_allowed(code: Code, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::UselessAllow,
        format!("`{code}` is an error and cannot be allowed"),
    )
    .label(span, "errors must be fixed")
    .help("only warnings can be allowed; fix what the error reports")
}

/// An `allow` that silences nothing.
pub(super) fn allow_silences_nothing(code: Code, span: Span) -> Diagnostic {
    Diagnostic::new(Code::UselessAllow, format!("nothing here raises `{code}`"))
        .label(span, "this allow silences nothing")
        .help("remove the `allow`, or move it into the item that raises the warning")
}

/// An `allow` of a code that does not exist; `suggestion` is a close code, when there is one.
pub(super) fn unknown_code(code: &str, span: Span, suggestion: Option<&str>) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownReference,
        format!("unknown diagnostic code `{code}`"),
    )
    .label(span, "no such code")
    .help(did_you_mean_or(
        suggestion,
        "the diagnostics catalogue in docs/language.md lists every code",
    ))
}

/// An `allow` with an empty reason.
pub(super) fn allow_without_reason(span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "an `allow` needs a reason")
        .label(span, "empty reason")
        .help("say why the warning does not apply, for the next reader")
}

/// `bill at least|most Q` whose unit is neither the product's measure nor its charge unit.
pub(super) fn bill_bound_unit(
    words: &str,
    product: &str,
    unit: &str,
    base: &str,
    charge_unit: Option<&str>,
    span: Span,
) -> Diagnostic {
    let (msg, help) = match charge_unit {
        Some(c) => (
            format!(
                "`{words}` in `{unit}`: `{product}` is measured in `{base}` and charged in `{c}`"
            ),
            format!("give a quantity (`{words} 2 {base}`) or a charge in `{c}` (`{words} 1 {c}`)"),
        ),
        None => (
            format!("`{words}` in `{unit}`: `{product}` is measured in `{base}` and free"),
            format!("a free product has no charge to bound: give a quantity (`{words} 2 {base}`)"),
        ),
    };
    Diagnostic::new(Code::UnitMismatch, msg)
        .label(span, "neither the measure nor the charge unit")
        .help(help)
}

/// `bill at least ... per period`, or a quantity bound per period.
pub(super) fn bill_bound_per_period(words: &str, is_quantity: bool, span: Span) -> Diagnostic {
    let help = if is_quantity {
        "a quantity is raised or capped per event: drop `per period`, or cap the charge per period"
    } else {
        "a minimum charge is per event: drop `per period` (a minimum spend per period is a plan's `commit`)"
    };
    Diagnostic::new(
        Code::InvalidValue,
        format!("`{words}` cannot count the billing period here"),
    )
    .label(span, "per period")
    .help(help)
}

/// A plan rate for a product whose `bill` bound is a charge in another unit.
pub(super) fn plan_rate_other_bill_unit(
    unit: &str,
    product: &str,
    bound: &str,
    span: Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::UnitMismatch,
        format!("this plan rate charges `{unit}`, but `{product}` bounds its charge at {bound}"),
    )
    .label(span, "different charge unit")
    .help(format!(
        "charge the unit of the product's `bill` bound ({bound}), or give the bound as a quantity"
    ))
}

/// A negative `bill at least|most`.
pub(super) fn negative_bill_bound(span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidValue, "a `bill` bound cannot be negative")
        .label(span, "negative")
        .help("a bound is a quantity or a charge, zero or more")
}

/// A value listed twice in one position of a cell (`720p | 720p`).
pub(super) fn cell_value_twice(value: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::Duplicate,
        format!("`{value}` is listed twice in this cell"),
    )
    .label(span, "listed again")
    .help("list each value of a dimension once per cell")
}

/// `change billing <x>` where x is not a billing cycle.
pub(super) fn not_a_billing_cycle(value: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidValue,
        format!("`{value}` is not a billing cycle"),
    )
    .label(span, "not monthly or annual")
    .help("write `change billing monthly` or `change billing annual`")
}
