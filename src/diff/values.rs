//! Values as the diff shows them: a number with its unit, the percent change, and table fields in words.

use super::*;

/// A value as written, and when it is a number, its value in base units with what it measures.
pub(super) struct Val {
    pub(super) text: String,
    /// (value in base units, comparison key, units as written for notes)
    pub(super) num: Option<(Decimal, String, String)>,
}

impl Val {
    pub(super) fn text(text: impl Into<String>) -> Val {
        Val {
            text: text.into(),
            num: None,
        }
    }
    pub(super) fn num(
        text: impl Into<String>,
        base: Option<Decimal>,
        key: String,
        units: String,
    ) -> Val {
        Val {
            text: text.into(),
            num: base.map(|b| (b, key, units)),
        }
    }
}

/// `(new - old) / old x 100`, rounded half away from zero to 2 decimals.
pub fn percent(old: Decimal, new: Decimal) -> Option<Decimal> {
    if old.is_zero() {
        return None;
    }
    let p = new
        .checked_sub(old)?
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(old)?;
    Some(
        p.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            .normalize(),
    )
}

pub(super) fn change(
    what: impl Into<String>,
    old: Option<Val>,
    new: Option<Val>,
) -> Option<Change> {
    let same = match (&old, &new) {
        (Some(a), Some(b)) => a.text == b.text,
        (None, None) => true,
        _ => false,
    };
    if same {
        return None;
    }
    let (mut pct, mut note) = (None, None);
    if let (Some(Val { num: Some(a), .. }), Some(Val { num: Some(b), .. })) = (&old, &new) {
        if a.1 == b.1 {
            pct = percent(a.0, b.0);
            if pct.is_none() && a.0.is_zero() {
                note = Some("no percent change from zero".to_string());
            }
        } else {
            note = Some(format!("units differ: {} -> {}", a.2, b.2));
        }
    }
    Some(Change {
        what: what.into(),
        old: old.map(|v| v.text),
        new: new.map(|v| v.text),
        percent: pct,
        note,
    })
}

pub(super) fn push(out: &mut Vec<Change>, c: Option<Change>) {
    out.extend(c);
}

/// A decimal as written in the book (`0.50` stays `0.50`).
pub(super) fn dec(d: Decimal) -> String {
    d.to_string()
}

/// A computed decimal, without trailing zeros.
pub(super) fn norm(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The table helpers a comparison needs.
pub(super) struct T<'a>(pub(super) &'a RatingTable);

impl<'a> T<'a> {
    pub(super) fn unit(&self, id: UnitId) -> Option<&'a UnitEntry> {
        self.0.units.get(id as usize)
    }
    pub(super) fn unit_name(&self, id: UnitId) -> &'a str {
        self.unit(id).map_or("", |u| u.name.as_str())
    }
    pub(super) fn unit_dim(&self, id: UnitId) -> &'a str {
        self.unit(id).map_or("", |u| u.dimension.as_str())
    }
    pub(super) fn factor(&self, id: UnitId) -> Decimal {
        self.unit(id).map_or(Decimal::ONE, |u| u.factor)
    }
    pub(super) fn product_slug(&self, id: ProductId) -> &'a str {
        self.0
            .products
            .get(id as usize)
            .map_or("?", |p| p.slug.as_str())
    }
    pub(super) fn plan_slug(&self, id: PlanId) -> &'a str {
        self.0
            .plans
            .get(id as usize)
            .map_or("?", |p| p.slug.as_str())
    }

    /// `7 credit / second`, `15 credit / 1000 character`.
    pub(super) fn rate_text(&self, r: &RateCell) -> String {
        let (unit, per_unit) = (self.unit_name(r.unit), self.unit_name(r.per_unit));
        if r.per == Decimal::ONE {
            format!("{} {unit} / {per_unit}", dec(r.amount))
        } else {
            format!("{} {unit} / {} {per_unit}", dec(r.amount), dec(r.per))
        }
    }

    /// A rate, compared per base unit of what it charges and of what it is per.
    pub(super) fn rate(&self, r: &RateCell) -> Val {
        let base = r
            .amount
            .checked_mul(self.factor(r.unit))
            .and_then(|a| a.checked_div(r.per_base));
        Val::num(
            self.rate_text(r),
            base,
            format!("{}/{}", self.unit_dim(r.unit), self.unit_dim(r.per_unit)),
            format!(
                "{} / {}",
                self.unit_name(r.unit),
                self.unit_name(r.per_unit)
            ),
        )
    }

    /// An amount of a unit: `5400 credit`, `1 hour`.
    pub(super) fn amount(&self, amount: Decimal, unit: UnitId) -> Val {
        Val::num(
            format!("{} {}", dec(amount), self.unit_name(unit)),
            amount.checked_mul(self.factor(unit)),
            self.unit_dim(unit).to_string(),
            self.unit_name(unit).to_string(),
        )
    }

    /// An amount of the book's currency.
    pub(super) fn money(&self, amount: Decimal) -> Val {
        let c = &self.0.currency;
        Val::num(
            format!("{} {c}", dec(amount)),
            Some(amount),
            format!("money:{c}"),
            c.clone(),
        )
    }

    /// The largest unit of a dimension that every value (in base units) is a whole number of;
    /// the base unit when all are zero or none fits.
    pub(super) fn unit_for(&self, dimension: &str, values: &[Decimal]) -> (String, Decimal) {
        let base = (self.0.base_unit(dimension).to_string(), Decimal::ONE);
        if values.iter().all(|v| v.is_zero()) {
            return base;
        }
        self.0
            .units
            .iter()
            .filter(|u| u.dimension == dimension && !u.factor.is_zero())
            .filter(|u| {
                values
                    .iter()
                    .all(|v| v.checked_div(u.factor).is_some_and(|n| n.fract().is_zero()))
            })
            .max_by_key(|u| u.factor)
            .map_or(base, |u| (u.name.clone(), u.factor))
    }

    /// A quantity given in base units of a dimension, written in the largest unit of that
    /// dimension it is a whole number of (`60` seconds -> `1 minute`).
    pub(super) fn base_qty(&self, dimension: &str, base: Decimal) -> String {
        let (name, factor) = self.unit_for(dimension, &[base]);
        format!("{} {name}", norm(base / factor))
    }

    pub(super) fn base_val(&self, dimension: &str, base: Decimal) -> Val {
        Val::num(
            self.base_qty(dimension, base),
            Some(base),
            dimension.to_string(),
            self.0.base_unit(dimension).to_string(),
        )
    }

    pub(super) fn price(&self, p: &PriceEntry) -> Val {
        match p {
            PriceEntry::Custom => Val::text("custom"),
            PriceEntry::Unpublished => Val::text("unpublished"),
            PriceEntry::Amount { amount, months } => {
                let c = &self.0.currency;
                let period = period(*months);
                let text = match &period {
                    Some(p) => format!("{} {c} / {p}", dec(*amount)),
                    None => format!("{} {c}", dec(*amount)),
                };
                let units = match &period {
                    Some(p) => format!("{c} / {p}"),
                    None => format!("{c} once"),
                };
                Val::num(text, Some(*amount), format!("money:{c}/{months}"), units)
            }
        }
    }

    pub(super) fn grant_text(&self, g: &GrantEntry) -> String {
        let amount = if g.contract_set {
            "custom".to_string()
        } else {
            dec(g.amount)
        };
        format!(
            "{} {} {}, {}, priority {}",
            amount,
            self.unit_name(g.unit),
            cadence(g.every_months, g.every_days),
            expiry(&g.expiry),
            g.priority
        )
    }
}

pub(super) fn period(months: u32) -> Option<String> {
    match months {
        0 => None,
        1 => Some("month".into()),
        12 => Some("year".into()),
        n => Some(format!("{n} month")),
    }
}

pub(super) fn cadence(every: Option<u32>, every_days: Option<u32>) -> String {
    match every {
        None => match every_days {
            Some(1) => "every day".into(),
            Some(7) => "every week".into(),
            Some(n) => format!("every {n} days"),
            None => "once".into(),
        },
        Some(1) => "every month".into(),
        Some(12) => "every year".into(),
        Some(n) => format!("every {n} months"),
    }
}

pub(super) fn expiry(e: &str) -> String {
    match e.split_once(':') {
        Some(("months", n)) => format!("expires after {n} month"),
        Some(("days", n)) => format!("expires after {n} day"),
        _ => match e {
            "never" => "never expires".into(),
            "cycle-end" => "expires at cycle end".into(),
            "contract-end" => "expires at contract end".into(),
            other => other.into(),
        },
    }
}

/// `time`, `character`, `USD`: a dimension name as a reader knows it.
pub(super) fn measure_name(dimension: &str) -> String {
    match dimension.split_once(':') {
        Some((_, u)) => u.to_string(),
        None => dimension.to_string(),
    }
}

pub(super) fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
