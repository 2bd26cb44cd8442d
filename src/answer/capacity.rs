//! What a plan's recurring grant buys: a [`CapacityQuestion`] -> a [`CapacityAnswer`], whose
//! JSON is what `pricebook capacity --format json` prints.

use super::error::AnswerError;
use super::question::{Dim, dims};
use super::quote::{QuoteRejection, target};
use crate::diagnostic::Code;
use crate::load::Opened;
use crate::table::PricingEntry;
use serde::{Deserialize, Serialize};

/// How many whole units of a product a plan's recurring grant buys: `{"book"?, "at"?, "plan"?,
/// "product", "dims"?, "unit"?}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct CapacityQuestion {
    /// The served book to ask: `hedra`, or `hedra/<list>`; may be left out when one is served.
    #[serde(default)]
    pub book: Option<String>,
    /// The day (`YYYY-MM-DD`) whose version is asked (the latest version when left out).
    #[serde(default)]
    pub at: Option<String>,
    /// Plan slug or display name; may be left out when the book has one plan.
    #[serde(default)]
    pub plan: Option<String>,
    pub product: String,
    /// Dimension values, as in a quote.
    #[serde(default, deserialize_with = "dims")]
    #[cfg_attr(feature = "serve", schema(schema_with = super::question::dims_schema))]
    pub dims: Vec<Dim>,
    /// The unit to count in (default: the unit the product is rated per).
    #[serde(default)]
    pub unit: Option<String>,
}

impl CapacityQuestion {
    /// A question about `product`, everything else left out.
    pub fn new(product: impl Into<String>) -> CapacityQuestion {
        CapacityQuestion {
            product: product.into(),
            ..CapacityQuestion::default()
        }
    }
}

/// A count of whole units: `{"unit": "second", "value": "571"}` (`value` is `null` when refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct CapacityQuantity {
    pub unit: String,
    pub value: Option<String>,
}

/// What a plan's grant buys per billing period, or why it buys none.
///
/// Its JSON is `pricebook capacity --format json`'s: `{"plan", "product", "quantity"}`, with
/// `"rejected"` (and a `null` value) when the plan refuses the product (the command exits 1, the
/// service answers 422).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct CapacityAnswer {
    pub plan: String,
    pub product: String,
    pub quantity: CapacityQuantity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<QuoteRejection>,
}

impl CapacityAnswer {
    /// Whether the plan refuses the product (`rejected` is set).
    pub fn is_rejected(&self) -> bool {
        self.rejected.is_some()
    }
}

/// Answers `question` with `book`.
///
/// ```
/// use pricebook::answer::{CapacityQuestion, capacity};
/// let book = pricebook::open("pricebooks/hedra".as_ref(), None).expect("the bundled book");
/// let mut q = CapacityQuestion::new("Hedra Avatar");
/// q.plan = Some("creator".into());
/// q.unit = Some("minute".into());
/// let a = capacity(&book, &q).expect("an answer");
/// assert_eq!((a.quantity.value.as_deref(), a.quantity.unit.as_str()), (Some("12"), "minute"));
/// ```
pub fn capacity(book: &Opened, question: &CapacityQuestion) -> Result<CapacityAnswer, AnswerError> {
    let table = &book.table;
    let ids = target(
        table,
        question.plan.as_deref(),
        &question.product,
        &question.dims,
    )?;
    let Some(plan) = ids.plan else {
        return Err(AnswerError::invalid(
            Code::MissingStatement,
            "capacity sizes a plan's recurring grant, and the book has no plans",
        )
        .with_help("give a book with a plan"));
    };
    let product = &table.products[ids.product as usize];
    let rated_per = match &product.pricing {
        // A cell that is not offered is counted in its product's unit, and refused below.
        PricingEntry::Cells { cells } => cells
            .get(ids.cell as usize)
            .and_then(|c| c.as_ref())
            .or_else(|| cells.iter().flatten().next())
            .map(|c| table.unit_name(c.per_unit).to_string()),
        PricingEntry::Tiered { tiers, .. } => tiers
            .first()
            .map(|t| table.unit_name(t.rate.per_unit).to_string()),
        PricingEntry::Flat { per, .. } => {
            Some(per.map_or("event".to_string(), |u| table.unit_name(u).to_string()))
        }
        // Sized in its base unit, so the table's capacity says why it cannot be sized.
        PricingEntry::Unpublished { .. } => Some(table.base_unit(&product.measure).to_string()),
        PricingEntry::Free { .. } => None,
    };
    // A unit is part of the question: one the book does not know is the asker's mistake, not a
    // rule that rejects.
    let unit = match &question.unit {
        Some(u) => table.units[table.find_unit(u)? as usize].name.clone(),
        None => rated_per.ok_or_else(|| {
            AnswerError::invalid(
                Code::InvalidValue,
                format!("`{}` is free: a grant buys any amount of it", product.slug),
            )
        })?,
    };
    let plan_slug = table.plans[plan as usize].slug.clone();
    let (value, rejected) = match table.capacity(plan, ids.product, ids.cell, &unit) {
        Ok(n) => (Some(n.to_string()), None),
        Err(r) => (None, Some(QuoteRejection::new(&r, book))),
    };
    Ok(CapacityAnswer {
        plan: plan_slug,
        product: product.slug.clone(),
        quantity: CapacityQuantity { unit, value },
        rejected,
    })
}
