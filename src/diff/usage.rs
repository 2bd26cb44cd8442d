//! Usage before and after: a usage file priced on both versions, per plan.

use super::*;

/// One line of a usage file: a product, a quantity and dimension values.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageLine {
    /// The line number in the usage file, for reports.
    pub line: u64,
    /// Slug or display name.
    pub product: String,
    pub value: Decimal,
    /// The quantity's unit; `None` means the base unit of the product's measure.
    pub unit: Option<String>,
    /// `(Some(dimension), value)` or a bare `(None, value)`.
    pub dims: Vec<(Option<String>, String)>,
    /// Event attributes as written (`("scenes", "51")`), for the plans' limits on them.
    pub attrs: Vec<(String, String)>,
}

/// A usage file priced under each plan of both versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageDiff {
    pub lines: usize,
    /// Lines one version cannot price on any plan: a product it does not have, a unit or a
    /// dimension value it does not know.
    pub unpriced_old: Vec<LineIssue>,
    pub unpriced_new: Vec<LineIssue>,
    pub plans: Vec<PlanUsage>,
    /// Lines of the usage file that could not be read (filled in by the reader of the file).
    pub bad_lines: Vec<BadLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadLine {
    pub line: u64,
    pub reason: String,
}

/// The cost of the usage on one plan, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanUsage {
    /// The plan's slug (`-` for a book without plans).
    pub plan: String,
    pub display: String,
    /// `None` when that version has no plan of this slug.
    pub old: Option<UsageTotal>,
    pub new: Option<UsageTotal>,
    /// Percent change of the money totals, when both are known.
    pub money_percent: Option<Decimal>,
    /// Percent change of the charge, when both sides charge one unit of one dimension.
    pub charge_percent: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageTotal {
    /// Charges summed per unit, in the order first seen.
    pub charges: Vec<Amount>,
    /// The money equivalent of the priced lines, when every one of them has one.
    pub money: Option<Amount>,
    /// Lines priced on this plan.
    pub priced: usize,
    /// Priced lines without a money equivalent (a plan with no published price per credit).
    pub without_money: usize,
    pub rejected: Vec<LineIssue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Amount {
    pub amount: Decimal,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineIssue {
    pub line: u64,
    pub product: String,
    pub reason: String,
}

/// A usage line resolved against one table.
struct Resolved {
    line: u64,
    product_name: String,
    product: ProductId,
    cell: CellId,
    quantity: Decimal,
    attrs: Vec<crate::table::EventAttr>,
}

fn resolve_lines(t: &RatingTable, lines: &[UsageLine]) -> (Vec<Resolved>, Vec<LineIssue>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for l in lines {
        let issue = |reason: String| LineIssue {
            line: l.line,
            product: l.product.clone(),
            reason,
        };
        let Some(product) = t.product_id(&l.product) else {
            bad.push(issue(format!(
                "no product `{}` in {} {}",
                l.product, t.vendor, t.version
            )));
            continue;
        };
        let p = &t.products[product as usize];
        let unit = l
            .unit
            .clone()
            .unwrap_or_else(|| t.base_unit(&p.measure).to_string());
        let quantity = match t.base_quantity(product, l.value, &unit) {
            Ok(q) => q,
            Err(e) => {
                bad.push(issue(e.to_string()));
                continue;
            }
        };
        // Only the dimension values this version prices the product by: a usage export written
        // for a matrix product still prices on a version where it had one rate.
        let names: Vec<&str> = p
            .dims
            .iter()
            .filter_map(|d| t.dimensions.get(*d as usize))
            .map(|d| d.name.as_str())
            .collect();
        let belongs = |v: &str| {
            p.dims.iter().any(|d| {
                t.dimensions
                    .get(*d as usize)
                    .is_some_and(|d| d.values.iter().any(|x| name_key(x) == name_key(v)))
            })
        };
        let args: Vec<(Option<&str>, &str)> = l
            .dims
            .iter()
            .filter(|(k, v)| match k {
                Some(k) => names.iter().any(|n| n.eq_ignore_ascii_case(k)),
                None => belongs(v),
            })
            .map(|(k, v)| (k.as_deref(), v.as_str()))
            .collect();
        let attrs = match t.event_attrs(l.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(a) => a,
            Err(e) => {
                bad.push(issue(e));
                continue;
            }
        };
        match t.resolve_cell(product, &args) {
            Ok(cell) => ok.push(Resolved {
                line: l.line,
                product_name: l.product.clone(),
                product,
                cell,
                quantity,
                attrs,
            }),
            Err(e) => bad.push(issue(e.to_string())),
        }
    }
    (ok, bad)
}

fn total(t: &RatingTable, plan: Option<PlanId>, lines: &[Resolved]) -> UsageTotal {
    let mut charges: Vec<Amount> = Vec::new();
    let mut money = Decimal::ZERO;
    let (mut priced, mut without_money) = (0usize, 0usize);
    let mut rejected = Vec::new();
    for l in lines {
        let reject = |reason: String| LineIssue {
            line: l.line,
            product: l.product_name.clone(),
            reason,
        };
        // A plan's limits on the event's attributes, once its price accepts it (as a quote).
        let quote = t
            .quote(plan, l.product, l.cell, l.quantity)
            .and_then(|q| t.check_attributes(plan, l.product, &l.attrs).map(|()| q));
        match quote {
            Ok(q) => {
                let unit = q.unit.map_or("", |u| t.unit_name(u)).to_string();
                let sum = match charges.iter_mut().find(|c| c.unit == unit) {
                    Some(c) => c.amount.checked_add(q.charge).map(|s| c.amount = s),
                    None => {
                        if !unit.is_empty() {
                            charges.push(Amount {
                                amount: q.charge,
                                unit,
                            });
                        }
                        Some(())
                    }
                };
                let m = match (q.money, q.unit) {
                    (Some(m), _) => Some(m),
                    (None, None) => Some(Decimal::ZERO),
                    (None, Some(_)) => None,
                };
                match m {
                    Some(m) => match money.checked_add(m) {
                        Some(s) => money = s,
                        None => {
                            rejected.push(reject("the money total overflows".into()));
                            continue;
                        }
                    },
                    None => without_money += 1,
                }
                if sum.is_none() {
                    rejected.push(reject("the total overflows".into()));
                    continue;
                }
                priced += 1;
            }
            Err(r) => rejected.push(reject(r.reason)),
        }
    }
    // One order on both sides of a diff, whichever unit a usage file charges first: wallet units
    // by name, then money.
    let is_money = |u: &str| t.unit_id(u).is_some_and(|i| t.units[i as usize].is_money);
    charges.sort_by(|a, b| (is_money(&a.unit), &a.unit).cmp(&(is_money(&b.unit), &b.unit)));
    UsageTotal {
        charges,
        money: (priced > 0 && without_money == 0).then(|| Amount {
            amount: money,
            unit: t.currency.clone(),
        }),
        priced,
        without_money,
        rejected,
    }
}

/// Prices every usage line under each plan of the old and of the new version (plans matched by
/// slug), with [`RatingTable::quote`].
pub fn price_usage(old: &RatingTable, new: &RatingTable, lines: &[UsageLine]) -> UsageDiff {
    let (ra, unpriced_old) = resolve_lines(old, lines);
    let (rb, unpriced_new) = resolve_lines(new, lines);
    let plan_names = |t: &RatingTable| -> Vec<(Option<PlanId>, String, String)> {
        if t.plans.is_empty() {
            vec![(None, "-".into(), "no plan".into())]
        } else {
            t.plans
                .iter()
                .enumerate()
                .map(|(i, p)| (Some(i as PlanId), p.slug.clone(), p.display.clone()))
                .collect()
        }
    };
    let (pa, pb) = (plan_names(old), plan_names(new));
    let mut plans = Vec::new();
    for slug in ordered_keys(
        pa.iter().map(|p| p.1.as_str()),
        pb.iter().map(|p| p.1.as_str()),
    ) {
        let x = pa.iter().find(|p| p.1 == slug);
        let y = pb.iter().find(|p| p.1 == slug);
        let display = y.or(x).map_or(String::new(), |p| p.2.clone());
        let to = x.map(|p| total(old, p.0, &ra));
        let tn = y.map(|p| total(new, p.0, &rb));
        let money_percent = match (&to, &tn) {
            (Some(o), Some(n)) => match (&o.money, &n.money) {
                (Some(a), Some(b)) => percent(a.amount, b.amount),
                _ => None,
            },
            _ => None,
        };
        let charge_percent = match (&to, &tn) {
            (Some(o), Some(n)) => match (o.charges.as_slice(), n.charges.as_slice()) {
                ([a], [b]) => {
                    fn base(t: &RatingTable, c: &Amount) -> Option<(Decimal, String)> {
                        let u = t.units.iter().find(|u| u.name == c.unit)?;
                        Some((c.amount.checked_mul(u.factor)?, u.dimension.clone()))
                    }
                    match (base(old, a), base(new, b)) {
                        (Some((x, dx)), Some((y, dy))) if dx == dy => percent(x, y),
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        };
        plans.push(PlanUsage {
            plan: slug.to_string(),
            display,
            old: to,
            new: tn,
            money_percent,
            charge_percent,
        });
    }
    UsageDiff {
        lines: lines.len(),
        unpriced_old,
        unpriced_new,
        plans,
        bad_lines: Vec::new(),
    }
}
