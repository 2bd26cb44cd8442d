//! A CSV export's header: which column holds what.

use crate::base::csv;
use crate::table::RatingTable;

/// Column positions of a CSV export.
#[derive(Debug, Clone)]
pub(super) struct Columns {
    pub(super) account: usize,
    pub(super) plan: Option<usize>,
    pub(super) product: usize,
    pub(super) quantity: usize,
    pub(super) unit: Option<usize>,
    /// The event's time: tiers over the billing period count each calendar month apart.
    pub(super) time: Option<usize>,
    /// (column, dimension name) for dimension columns.
    pub(super) dims: Vec<(usize, String)>,
    /// (column, attribute name) for `attr.NAME` columns.
    pub(super) attrs: Vec<(usize, String)>,
    /// The price list each line is for.
    pub(super) list: Option<usize>,
    /// The columns of account, plan, product and quantity when they are the only ones: lines
    /// of such an export take the worker's fast path.
    pub(super) simple: Option<[usize; 4]>,
}

impl Columns {
    /// `foreign`: columns of other price lists' books (their dimensions and attributes), left
    /// out of this table's lines.
    pub(super) fn from_header(
        header: &str,
        table: &RatingTable,
        foreign: &[String],
    ) -> Result<Columns, String> {
        let names: Vec<String> = csv::split_line(header)
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        let find = |n: &str| names.iter().position(|c| c == n);
        let need = |n: &str| {
            find(n).ok_or_else(|| {
                format!(
                    "the CSV header has no `{n}` column (it needs account, plan, product, quantity)"
                )
            })
        };
        let known_dims: Vec<String> = table
            .dimensions
            .iter()
            .map(|d| d.name.to_ascii_lowercase())
            .collect();
        let mut dims = Vec::new();
        let mut attrs = Vec::new();
        for (i, n) in names.iter().enumerate() {
            match n.as_str() {
                "account" | "plan" | "product" | "quantity" | "unit" | "time" | "list" => {}
                other if known_dims.iter().any(|d| d == other) => dims.push((i, other.to_string())),
                other
                    if foreign.iter().any(|f| f == other)
                        && csv::attr_column(other)
                            .is_none_or(|a| table.find_attribute(a).is_err()) => {}
                other if csv::attr_column(other).is_some() => {
                    let name = csv::attr_column(other).unwrap_or_default();
                    // An attribute the book does not declare is an error, as `quote --attr`'s.
                    table
                        .find_attribute(name)
                        .map_err(|e| format!("CSV column `{other}`: {e}"))?;
                    attrs.push((i, name.to_string()));
                }
                other => {
                    return Err(format!(
                        "unknown CSV column `{other}`; columns are account, plan, product, quantity, unit, time and the book's dimensions ({})",
                        known_dims.join(", ")
                    ));
                }
            }
        }
        let simple = match (names.len(), find("plan")) {
            (4, Some(plan)) => Some([need("account")?, plan, need("product")?, need("quantity")?]),
            _ => None,
        };
        Ok(Columns {
            simple,
            account: need("account")?,
            plan: find("plan"),
            product: need("product")?,
            quantity: need("quantity")?,
            unit: find("unit"),
            time: find("time"),
            dims,
            attrs,
            list: find("list"),
        })
    }
}

/// How many fields a line of the export has.
pub(super) fn cols_len(c: &Columns) -> usize {
    [
        Some(c.account),
        c.plan,
        Some(c.product),
        Some(c.quantity),
        c.unit,
        c.time,
        c.list,
    ]
    .iter()
    .flatten()
    .count()
        + c.dims.len()
        + c.attrs.len()
}
