//! What a usage costs: a [`QuoteQuestion`] -> a [`QuoteAnswer`], whose JSON is what
//! `pricebook quote --format json` prints.

use super::error::{AnswerError, plan_or_only};
use super::question::{Attr, Dim, attrs, dims};
use crate::base::quantity::split_quantity_with_unit;
use crate::base::rejection::Rejection;
use crate::load::Opened;
use crate::table::{CellId, EventAttr, PlanId, ProductId, RatingTable};
use serde::{Deserialize, Serialize};

/// What a usage costs on a plan: `{"book"?, "at"?, "plan"?, "product", "dims"?, "attrs"?,
/// "quantity", "used"?, "explain"?}`. Unknown fields are refused.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct QuoteQuestion {
    /// The served book to ask: `hedra`, or `hedra/<list>`; may be left out when one is served.
    #[serde(default)]
    pub book: Option<String>,
    /// The day (`YYYY-MM-DD`) the price is asked for: picks the version in force that day (the
    /// latest version when left out).
    #[serde(default)]
    pub at: Option<String>,
    /// Plan slug or display name; may be left out when the book has one plan or none.
    #[serde(default)]
    pub plan: Option<String>,
    /// Product slug or display name.
    pub product: String,
    /// Dimension values: `["4K"]`, `["resolution=4K"]` or `{"resolution": "4K"}`.
    #[serde(default, deserialize_with = "dims")]
    #[cfg_attr(feature = "serve", schema(schema_with = super::question::dims_schema))]
    pub dims: Vec<Dim>,
    /// Attributes the usage carries, for the plan's limits on them:
    /// `{"script length": "4500 character", "scenes": 51}`.
    #[serde(default, deserialize_with = "attrs")]
    #[cfg_attr(feature = "serve", schema(schema_with = super::question::attrs_schema))]
    pub attrs: Vec<Attr>,
    /// The usage with its unit: `"90 second"`, `"20 minutes"`, `"1500 character"`.
    pub quantity: String,
    /// What the account has already used of the product this billing period, with its unit
    /// (`"1000 item"`): tiers over the period then price the quantity as the next slice.
    #[serde(default)]
    pub used: Option<String>,
    /// Include the chain of rules that produced the price.
    #[serde(default)]
    pub explain: bool,
}

impl QuoteQuestion {
    /// A question about `quantity` of `product`, everything else left out.
    pub fn new(product: impl Into<String>, quantity: impl Into<String>) -> QuoteQuestion {
        QuoteQuestion {
            product: product.into(),
            quantity: quantity.into(),
            ..QuoteQuestion::default()
        }
    }
}

/// An amount in a unit of the book: `{"amount": "4.00", "exact": "4.002", "unit": "USD"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct Charge {
    /// The charge as a decimal, as text, rounded once for display (money to its minor unit).
    pub amount: String,
    /// The charge as bills draw it and rated totals add it: money exact to 12 places (rounded
    /// once per invoice line or total, never per event); `amount` in any other unit.
    pub exact: String,
    pub unit: String,
}

/// An amount of money: `{"amount": "3.50", "currency": "USD"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct Money {
    /// An exact decimal, as text, rounded once to the currency's minor unit.
    pub amount: String,
    pub currency: String,
}

/// A fee of the product that is not in the charge (a setup fee charged at its first use): its
/// name, its amount as the vendor states it, and the amount billed when it is exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct FeeNote {
    pub name: String,
    /// The exact amount billed, or `null` for a range or lower bound (never billed).
    pub amount: Option<Money>,
    /// `between 1000 and 2000 USD`, `at least 1000 USD`, `500 USD`.
    pub stated: String,
    /// `once`.
    pub cadence: String,
    /// The book line of the `fee` statement.
    pub line: u32,
}

/// The quantity as asked, in the unit's own name (`20 minutes` is `{"unit": "minute", "value":
/// "20"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct QuantityAsked {
    pub unit: String,
    pub value: String,
}

/// One step of the chain of rules that produced a price, with the book's line it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct ExplainLine {
    pub line: Option<u32>,
    pub step: String,
}

/// Why the book refuses a usage: `{"file", "kind", "line", "reason"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct QuoteRejection {
    /// The book the rule's line is in, when known.
    pub file: Option<String>,
    /// `limit`, `not-offered`, `wallet-empty`, `negative`, `overflow`, ...
    pub kind: String,
    /// The rule's line in the book.
    pub line: Option<u32>,
    pub reason: String,
}

impl QuoteRejection {
    pub(crate) fn new(r: &Rejection, book: &Opened) -> QuoteRejection {
        QuoteRejection {
            file: r.line.and(book.rules_file()),
            kind: r.kind.name().to_string(),
            line: r.line,
            reason: r.reason.clone(),
        }
    }
}

/// What a usage costs, or why the book refuses it.
///
/// Its JSON is `pricebook quote --format json`'s: priced, `{"charge", "explain", "money",
/// "plan", "product", "quantity", "rules", "source"}` (`money` is `null` when the plan
/// publishes no price for the unit); refused, `{"explain", "plan", "product", "quantity",
/// "rejected", "rules", "source"}` (the command exits 1, the service answers 422). Fields are in
/// that order, so the JSON is the command's, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct QuoteAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge: Option<Charge>,
    /// The steps when asked for (`explain`), else empty.
    pub explain: Vec<ExplainLine>,
    /// The product's fees that are not in the charge (left out when it has none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fees: Vec<FeeNote>,
    /// Present when priced: the money, or `null` when the plan has no published price for the
    /// charge's unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "serve", schema(value_type = Option<Money>))]
    pub money: Option<Option<Money>>,
    /// Present when priced: why `money` is `null` (a grant or price each contract sets, an
    /// unpublished price), or `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "serve", schema(value_type = Option<String>))]
    pub money_note: Option<Option<String>>,
    /// The plan's slug (none when the book has no plans).
    pub plan: Option<String>,
    /// The product's slug.
    pub product: String,
    pub quantity: QuantityAsked,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<QuoteRejection>,
    /// The book the rules' lines point into.
    pub rules: Option<String>,
    /// The file that priced it: the book, the version picked from a directory, or the table.
    pub source: String,
    /// The usage already consumed this period, as asked, when the question gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<QuantityAsked>,
}

impl QuoteAnswer {
    /// Whether the book refuses the usage (`rejected` is set).
    pub fn is_rejected(&self) -> bool {
        self.rejected.is_some()
    }
}

/// The plan, product and cell a question names, as ids of `table`.
pub(crate) struct Target {
    pub plan: Option<PlanId>,
    pub product: ProductId,
    pub cell: CellId,
}

pub(crate) fn target(
    table: &RatingTable,
    plan: Option<&str>,
    product: &str,
    dims: &[Dim],
) -> Result<Target, AnswerError> {
    let plan = plan_or_only(table, plan)?;
    let product = table.find_product(product)?;
    let args: Vec<(Option<&str>, &str)> = dims
        .iter()
        .map(|d| (d.name.as_deref(), d.value.as_str()))
        .collect();
    let cell = table.resolve_cell(product, &args)?;
    Ok(Target {
        plan,
        product,
        cell,
    })
}

/// A declared attribute and its value, with its unit if one is written.
fn event_attr(table: &RatingTable, a: &Attr) -> Result<EventAttr, AnswerError> {
    let attribute = table.find_attribute(a.name.trim())?;
    let (value, unit) = crate::base::quantity::split_quantity(&a.value)?;
    let unit = unit.map(|u| table.find_unit(u)).transpose()?;
    Ok(EventAttr {
        attribute,
        value,
        unit,
    })
}

/// Answers `question` with `book` (the question's `book` and `at` pick the book from a set,
/// [`Books::quote`](super::Books::quote); they are not read here).
///
/// ```
/// let q: pricebook::answer::QuoteQuestion = serde_json::from_str(
///     r#"{"plan": "creator", "product": "veo-3", "dims": {"audio": "with audio"}, "quantity": "8 second", "explain": true}"#,
/// ).expect("a question");
/// assert_eq!(q.dims[0].name.as_deref(), Some("audio"));
/// assert!(q.explain);
/// ```
///
/// ```
/// use pricebook::answer::{Attr, Dim, QuoteQuestion, quote};
/// let book = pricebook::open("pricebooks/heygen/enterprise.pricebook".as_ref(), None)
///     .expect("the bundled book");
/// let mut q = QuoteQuestion::new("Video Generation", "1 minute");
/// q.plan = Some("mmc-1000".into());
/// q.dims = vec![Dim::parse("Digital Twin"), Dim::parse("engine=IV")];
/// q.attrs = vec![Attr { name: "video resource file size megabytes".into(), value: "101".into() }];
/// let a = quote(&book, &q).expect("an answer");
/// let r = a.rejected.as_ref().expect("over the plan's limit");
/// assert_eq!(r.kind, "limit");
/// assert!(r.reason.contains("video resource file size megabytes <= 100"));
/// assert!(r.line.is_some());
/// assert_eq!(r.file.as_deref(), Some("pricebooks/heygen/enterprise.pricebook"));
/// ```
pub fn quote(book: &Opened, question: &QuoteQuestion) -> Result<QuoteAnswer, AnswerError> {
    let table = &book.table;
    let ids = target(
        table,
        question.plan.as_deref(),
        &question.product,
        &question.dims,
    )?;
    let (value, written_unit) = split_quantity_with_unit(&question.quantity)?;
    let base = table.base_quantity(ids.product, value, written_unit)?;
    // The quantity as asked, in the unit's own name (`minutes` is `minute`).
    let unit = table
        .find_unit(written_unit)
        .map_or(written_unit, |u| table.unit_name(u));
    let attrs = question
        .attrs
        .iter()
        .map(|a| event_attr(table, a))
        .collect::<Result<Vec<_>, _>>()?;
    // What the account used earlier this period, in the product's base units.
    let used = match question.used.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => {
            let (v, u) = split_quantity_with_unit(text)
                .map_err(|e| AnswerError::from(e).with_field("used"))?;
            let base = table
                .base_quantity(ids.product, v, u)
                .map_err(|e| AnswerError::from(e).with_field("used"))?;
            let unit = table.find_unit(u).map_or(u, |id| table.unit_name(id));
            Some((
                base,
                QuantityAsked {
                    unit: unit.to_string(),
                    value: v.to_string(),
                },
            ))
        }
        _ => None,
    };
    let used_base = used.as_ref().map_or(rust_decimal::Decimal::ZERO, |u| u.0);
    let (result, steps) = if question.explain {
        table.quote_explained_in_period(ids.plan, ids.product, ids.cell, used_base, base)
    } else {
        (
            table.quote_in_period(ids.plan, ids.product, ids.cell, used_base, base),
            Vec::new(),
        )
    };
    // Attribute limits apply to a usage its price accepts.
    let result = result.and_then(|q| {
        table
            .check_attributes(ids.plan, ids.product, &attrs)
            .map(|()| q)
    });
    let mut answer = QuoteAnswer {
        charge: None,
        explain: steps
            .into_iter()
            .map(|s| ExplainLine {
                line: s.line,
                step: s.step,
            })
            .collect(),
        fees: table.products[ids.product as usize]
            .fees
            .iter()
            .map(|f| FeeNote {
                name: f.name.clone(),
                amount: f.billed().map(|a| Money {
                    amount: a.to_string(),
                    currency: table.currency.clone(),
                }),
                stated: f.stated(&table.currency),
                cadence: f.cadence(),
                line: f.line,
            })
            .collect(),
        money: None,
        money_note: None,
        plan: ids.plan.map(|p| table.plans[p as usize].slug.clone()),
        product: table.products[ids.product as usize].slug.clone(),
        quantity: QuantityAsked {
            unit: unit.to_string(),
            value: value.to_string(),
        },
        rejected: None,
        rules: book.rules_file(),
        source: book.path.display().to_string(),
        used: used.map(|u| u.1),
    };
    match result {
        Ok(q) => {
            answer.charge = Some(Charge {
                amount: q.charge.to_string(),
                exact: q.exact.to_string(),
                unit: q.unit.map_or("", |u| table.unit_name(u)).to_string(),
            });
            answer.money = Some(q.money.map(|m| Money {
                amount: m.to_string(),
                currency: table.currency.clone(),
            }));
            answer.money_note = Some(match (q.money, q.unit) {
                (None, Some(u)) => Some(table.why_no_money(ids.plan, u)),
                _ => None,
            });
        }
        Err(r) => answer.rejected = Some(QuoteRejection::new(&r, book)),
    }
    Ok(answer)
}
