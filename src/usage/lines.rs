//! Usage lines for `diff --usage`: what a usage costs before and after a price change. No times
//! or accounts; a line is a product, a quantity and dimension values.
//!
//! CSV with a header `product,quantity[,unit][,<dimension>...]`, or JSON Lines
//! `{"product", "quantity", "unit"?, "dims"?}`. Lines starting with `#` are comments.

use crate::base::quantity::split_quantity;
use crate::base::{csv, usage_json as json};
use crate::diff::{BadLine, UsageLine};
use rust_decimal::Decimal;

/// `"90 second"`, `"90"` (base units of the product's measure), `"1,000 second"`.
fn quantity(text: &str) -> Result<(Decimal, Option<String>), String> {
    let (value, unit) = split_quantity(text).map_err(|e| e.to_string())?;
    Ok((value, unit.map(str::to_string)))
}

fn bad(line: u64, reason: impl Into<String>) -> BadLine {
    BadLine {
        line,
        reason: reason.into(),
    }
}

/// Reads a usage file into lines; the lines that cannot be read come back with their numbers.
///
/// ```
/// let (lines, bad) = pricebook::usage::read_lines("product,quantity,resolution\nvideo,90 second,720p\nvideo,ninety\n");
/// assert_eq!(lines.len(), 1);
/// assert_eq!(lines[0].dims, [(Some("resolution".to_string()), "720p".to_string())]);
/// assert_eq!(bad[0].line, 3);
/// ```
pub fn read_lines(text: &str) -> (Vec<UsageLine>, Vec<BadLine>) {
    let (mut lines, mut bads) = (Vec::new(), Vec::new());
    let mut rows = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let Some((first_no, first)) = rows.next() else {
        return (lines, bads);
    };
    if first.starts_with('{') {
        for (no, l) in std::iter::once((first_no, first)).chain(rows) {
            match json_line(no, l) {
                Ok(u) => lines.push(u),
                Err(e) => bads.push(bad(no, e)),
            }
        }
        return (lines, bads);
    }
    let header: Vec<String> = csv::split_line(first)
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(pc), Some(qc)) = (col("product"), col("quantity")) else {
        bads.push(bad(
            first_no,
            "the header must name `product` and `quantity` columns (then `unit` and dimensions)",
        ));
        return (lines, bads);
    };
    let uc = col("unit");
    for (no, l) in rows {
        let fields = csv::split_line(l);
        if fields.len() != header.len() {
            bads.push(bad(
                no,
                format!(
                    "{} fields, but the header has {}",
                    fields.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let product = fields[pc].to_string();
        if product.is_empty() {
            bads.push(bad(no, "the product is empty"));
            continue;
        }
        let (value, mut unit) = match quantity(&fields[qc]) {
            Ok(q) => q,
            Err(e) => {
                bads.push(bad(no, e));
                continue;
            }
        };
        if let Some(u) = uc.map(|i| &fields[i]).filter(|u| !u.is_empty()) {
            if unit.as_ref().is_some_and(|x| x != u) {
                bads.push(bad(
                    no,
                    format!(
                        "the quantity says `{}` but the unit column `{u}`",
                        fields[qc]
                    ),
                ));
                continue;
            }
            unit = Some(u.to_string());
        }
        // `attr.NAME` columns are event attributes; the other columns, dimensions.
        let (mut dims, mut attrs) = (Vec::new(), Vec::new());
        for (i, h) in header.iter().enumerate() {
            if i == pc || i == qc || Some(i) == uc || fields[i].is_empty() {
                continue;
            }
            match csv::attr_column(h) {
                Some(name) => attrs.push((name.to_string(), fields[i].to_string())),
                None => dims.push((Some(h.clone()), fields[i].to_string())),
            }
        }
        lines.push(UsageLine {
            line: no,
            product,
            value,
            unit,
            dims,
            attrs,
        });
    }
    (lines, bads)
}

fn json_line(no: u64, l: &str) -> Result<UsageLine, String> {
    let v: serde_json::Value =
        serde_json::from_str(l).map_err(|e| format!("not a JSON object: {e}"))?;
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let product = json::text(&v, "product")?;
    if product.is_empty() {
        return Err("`product` is missing".into());
    }
    let q = json::text(&v, "quantity")?;
    if q.is_empty() {
        return Err("`quantity` is missing; write e.g. \"90 second\"".into());
    }
    let (value, mut unit) = quantity(&q)?;
    let u = json::text(&v, "unit")?;
    if !u.is_empty() {
        if unit.as_deref().is_some_and(|x| x != u) {
            return Err(format!("the quantity says `{q}` but `unit` is `{u}`"));
        }
        unit = Some(u);
    }
    Ok(UsageLine {
        line: no,
        product,
        value,
        unit,
        dims: json::dims(&v)?,
        attrs: json::attrs(&v)?,
    })
}
