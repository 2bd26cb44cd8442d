//! What a usage costs: a [`QuoteQuestion`] -> a [`QuoteAnswer`], whose JSON is what
//! `pricebook quote --format json` prints.

use super::error::{AnswerError, ErrorKind, plan_or_only};
use super::question::{Attr, Dim, attrs, dims};
use crate::base::quantity::split_quantity_with_unit;
use crate::base::rejection::Rejection;
use crate::load::Opened;
use crate::table::{CellId, EventAttr, PlanId, ProductId, RatingTable};
use serde::{Deserialize, Serialize};

/// What a usage costs on a plan.
///
/// As JSON (`POST /v1/quote`): `{"book"?, "at"?, "plan"?, "product", "dims"?, "attrs"?,
/// "quantity", "used"?, "explain"?}`; unknown fields are refused.
///
/// ```
/// let q: pricebook::answer::QuoteQuestion = serde_json::from_str(
///     r#"{"plan": "creator", "product": "veo-3", "dims": {"audio": "with audio"}, "quantity": "8 second", "explain": true}"#,
/// ).expect("a question");
/// assert_eq!(q.dims[0].name.as_deref(), Some("audio"));
/// assert!(q.explain);
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct QuoteQuestion {
    /// The served book to ask ([`Books`](super::Books)): `hedra`, or `hedra/<list>`; may be left
    /// out when one is served. Not read by [`quote`].
    #[serde(default)]
    pub book: Option<String>,
    /// The day (`YYYY-MM-DD`) the price is asked for: picks the version in force that day. Not
    /// read by [`quote`], which answers with the book it is given.
    #[serde(default)]
    pub at: Option<String>,
    /// Plan slug or display name; may be left out when the book has one plan or none.
    #[serde(default)]
    pub plan: Option<String>,
    /// Product slug or display name.
    pub product: String,
    /// Dimension values: `["4K"]`, `["resolution=4K"]` or `{"resolution": "4K"}`.
    #[serde(default, deserialize_with = "dims")]
    pub dims: Vec<Dim>,
    /// Attributes the usage carries, for the plan's limits on them:
    /// `{"script length": "4500 character", "scenes": 51}`.
    #[serde(default, deserialize_with = "attrs")]
    pub attrs: Vec<Attr>,
    /// The usage with its unit: `"90 second"`, `"20 minutes"`, `"1500 character"`.
    pub quantity: String,
    /// Usage already consumed this billing period (for tiers over the period). Accepted, and
    /// refused with `unsupported` when not empty until the library prices it.
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

/// An amount in a unit of the book: `{"amount": "630", "unit": "credit"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Charge {
    /// An exact decimal, as text.
    pub amount: String,
    pub unit: String,
}

/// An amount of money: `{"amount": "3.50", "currency": "USD"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Money {
    /// An exact decimal, as text, rounded once to the currency's minor unit.
    pub amount: String,
    pub currency: String,
}

/// The quantity as asked, in the unit's own name (`20 minutes` is `{"unit": "minute", "value":
/// "20"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuantityAsked {
    pub unit: String,
    pub value: String,
}

/// One step of the chain of rules that produced a price, with the book's line it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplainLine {
    pub line: Option<u32>,
    pub step: String,
}

/// Why the book refuses a usage: `{"file", "kind", "line", "reason"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteRejection {
    /// The book the rule's line is in, when known.
    pub file: Option<String>,
    /// `limit`, `not-allowed`, `wallet-empty`, ... (see [`RejectionKind`](crate::RejectionKind)).
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
pub struct QuoteAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge: Option<Charge>,
    /// The steps when asked for (`explain`), else empty.
    pub explain: Vec<ExplainLine>,
    /// Present when priced: the money, or `null` when the plan has no published price for the
    /// charge's unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub money: Option<Option<Money>>,
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

/// Answers `question` with `book` (its `book` and `at` are for picking the book, and are not
/// read here).
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
/// assert_eq!((r.kind.as_str(), r.line), ("limit", Some(150)));
/// assert_eq!(r.file.as_deref(), Some("pricebooks/heygen/enterprise.pricebook"));
/// ```
pub fn quote(book: &Opened, question: &QuoteQuestion) -> Result<QuoteAnswer, AnswerError> {
    if question
        .used
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty())
    {
        return Err(AnswerError::new(
            ErrorKind::Unsupported,
            "unsupported",
            "`used` (usage already consumed this billing period) is not priced yet",
        )
        .with_field("used")
        .with_help("leave `used` out; quotes are priced as the period's first usage"));
    }
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
    let (result, steps) = if question.explain {
        table.quote_explained(ids.plan, ids.product, ids.cell, base)
    } else {
        (
            table.quote(ids.plan, ids.product, ids.cell, base),
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
        money: None,
        plan: ids.plan.map(|p| table.plans[p as usize].slug.clone()),
        product: table.products[ids.product as usize].slug.clone(),
        quantity: QuantityAsked {
            unit: unit.to_string(),
            value: value.to_string(),
        },
        rejected: None,
        rules: book.rules_file(),
        source: book.path.display().to_string(),
    };
    match result {
        Ok(q) => {
            answer.charge = Some(Charge {
                amount: q.charge.to_string(),
                unit: q.unit.map_or("", |u| table.unit_name(u)).to_string(),
            });
            answer.money = Some(q.money.map(|m| Money {
                amount: m.to_string(),
                currency: table.currency.clone(),
            }));
        }
        Err(r) => answer.rejected = Some(QuoteRejection::new(&r, book)),
    }
    Ok(answer)
}
