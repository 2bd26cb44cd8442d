//! What a month's usage of N wallet units costs on each plan, and from which usage on another
//! plan is cheaper: the plan's price buys its grant; beyond it the cheapest way the book offers
//! that plan (whole packs it may buy, its overage rate, or auto recharge at the book's recharge
//! price); a plan with none of them cannot be used past its grant. Plans are compared per month
//! (a yearly plan's price and grant divided by 12); a commitment counts as a price that buys its
//! included pool. All of it is exact decimal arithmetic on the table's numbers.

use crate::snapshot::words;
use crate::table::{EmptyEntry, PlanId, PriceEntry, RateCell, RatingTable, UnitId};
use rust_decimal::Decimal;

/// One plan's monthly cost curve.
#[derive(Debug, Clone)]
pub(crate) struct PlanCost {
    pub name: String,
    /// Money per month.
    pub price: Decimal,
    /// Wallet units the price buys per month.
    pub grant: Decimal,
    /// Packs the plan may buy: (wallet units, money).
    pub packs: Vec<(Decimal, Decimal)>,
    /// Money per wallet unit past the grant (overage or auto recharge), the cheapest offered.
    pub rate: Option<Decimal>,
    /// How usage past the grant is paid, in words.
    pub beyond: String,
}

impl PlanCost {
    /// The month's cost of `u` wallet units; `None` past the grant of a plan that offers no way
    /// to pay for more.
    pub(crate) fn cost(&self, u: Decimal) -> Option<Decimal> {
        let x = u - self.grant;
        if x <= Decimal::ZERO {
            return Some(self.price);
        }
        let by_packs = self
            .packs
            .iter()
            .filter_map(|(size, price)| (x / size).ceil().checked_mul(*price));
        let by_rate = self.rate.and_then(|r| x.checked_mul(r));
        by_packs
            .chain(by_rate)
            .min()
            .and_then(|extra| self.price.checked_add(extra))
    }
}

/// The cost curves of a book's plans in one wallet unit.
#[derive(Debug, Clone)]
pub(crate) struct Costs {
    pub unit: String,
    pub currency: String,
    pub plans: Vec<PlanCost>,
    /// Plans left out, with why (no published price, no grant in the wallet unit).
    pub left_out: Vec<(String, String)>,
    /// The usage the chart runs to: twice the largest grant.
    pub max: Decimal,
}

/// `amount` of `unit` in units of `to` (one dimension), when both are known.
fn convert(t: &RatingTable, amount: Decimal, unit: UnitId, to: UnitId) -> Option<Decimal> {
    let (a, b) = (t.units().get(unit as usize)?, t.units().get(to as usize)?);
    if a.dimension != b.dimension || b.factor.is_zero() {
        return None;
    }
    amount.checked_mul(a.factor)?.checked_div(b.factor)
}

/// Money per wallet unit of a rate in the book's currency per some quantity of the wallet's
/// dimension (`0.5 USD / 80 credit`).
fn money_per_unit(t: &RatingTable, r: &RateCell, wallet: UnitId) -> Option<Decimal> {
    if !t.units().get(r.unit as usize)?.is_money {
        return None;
    }
    per_wallet_unit(t, r.amount, r.per, r.per_unit, wallet)
}

/// `money` per `per` of `unit`, per one wallet unit: multiplied before it is divided, so `0.01
/// USD / credit_second` is exactly `0.6 USD` a credit of 60.
fn per_wallet_unit(
    t: &RatingTable,
    money: Decimal,
    per: Decimal,
    unit: UnitId,
    wallet: UnitId,
) -> Option<Decimal> {
    let (a, b) = (
        t.units().get(unit as usize)?,
        t.units().get(wallet as usize)?,
    );
    if a.dimension != b.dimension {
        return None;
    }
    money
        .checked_mul(b.factor)?
        .checked_div(per.checked_mul(a.factor)?)
        .map(|v| v.normalize())
}

/// The curves of every plan with a published monthly or yearly price (or a commitment) and a
/// recurring grant (or included pool) in the book's main wallet unit; `None` when no plan has
/// both.
pub(crate) fn costs(t: &RatingTable) -> Option<Costs> {
    // The wallet unit most plans' prices buy.
    let mut units: Vec<(UnitId, usize)> = Vec::new();
    for w in t.plans().iter().flat_map(|p| &p.wallet_prices) {
        match units.iter_mut().find(|(u, _)| *u == w.unit) {
            Some((_, n)) => *n += 1,
            None => units.push((w.unit, 1)),
        }
    }
    let wallet = units.iter().max_by_key(|(_, n)| *n).map(|(u, _)| *u)?;
    let recharge = t
        .recharge()
        .and_then(|r| r.price)
        .and_then(|(amount, per, unit)| per_wallet_unit(t, amount, per, unit, wallet));
    let mut plans = Vec::new();
    let mut left_out = Vec::new();
    for (id, pl) in t.plans().iter().enumerate() {
        let priced = match (&pl.price, &pl.commit) {
            (PriceEntry::Amount { amount, months }, _) if *months > 0 => {
                pl.wallet_prices.iter().find_map(|w| {
                    let granted = convert(t, w.granted, w.unit, wallet)?;
                    Some((*amount, granted, *months))
                })
            }
            (_, Some(c)) if c.months > 0 => c
                .included
                .and_then(|(n, u)| convert(t, n, u, wallet))
                .map(|n| (c.amount, n, c.months)),
            _ => None,
        };
        let Some((amount, granted, months)) = priced.filter(|p| p.1 > Decimal::ZERO) else {
            let why = match pl.price {
                PriceEntry::Amount { .. } => {
                    format!("no recurring grant in {}", t.unit_name(wallet))
                }
                _ => format!("price {}", words::price(t, &pl.price)),
            };
            left_out.push((pl.display.clone(), why));
            continue;
        };
        let months = Decimal::from(months);
        let packs: Vec<(Decimal, Decimal)> = t
            .packs()
            .iter()
            .filter(|p| pl.packs_allowed && p.plans.contains(&(id as PlanId)))
            .filter_map(|p| {
                let PriceEntry::Amount { amount, .. } = p.price else {
                    return None;
                };
                let size: Decimal = p
                    .grants
                    .iter()
                    .filter_map(|g| convert(t, g.amount, g.unit, wallet))
                    .sum();
                (size > Decimal::ZERO).then_some((size, amount))
            })
            .collect();
        let overage = match &pl.when_empty {
            EmptyEntry::Overage { rate: Some(r) } => money_per_unit(t, r, wallet),
            EmptyEntry::Overage { rate: None } => pl
                .commit
                .as_ref()
                .and_then(|c| c.overage.as_ref())
                .and_then(|r| money_per_unit(t, r, wallet)),
            _ => None,
        };
        let recharges = t.recharge().is_some() || pl.when_empty == EmptyEntry::AutoRecharge;
        let rate = [overage, recharge.filter(|_| recharges)]
            .into_iter()
            .flatten()
            .min();
        let mut ways = Vec::new();
        for (size, price) in &packs {
            ways.push(format!(
                "packs of {} {} at {} {}",
                words::grouped(*size),
                t.unit_name(wallet),
                price,
                t.currency()
            ));
        }
        if let Some(r) = overage {
            ways.push(format!(
                "overage at {} {} per {}",
                shown(r),
                t.currency(),
                t.unit_name(wallet)
            ));
        }
        if let (Some(r), true) = (recharge, recharges) {
            ways.push(format!(
                "auto recharge at {} {} per {}",
                shown(r),
                t.currency(),
                t.unit_name(wallet)
            ));
        }
        plans.push(PlanCost {
            name: pl.display.clone(),
            price: amount / months,
            grant: granted / months,
            packs,
            rate,
            beyond: if ways.is_empty() {
                "nothing: usage past the grant is refused".into()
            } else {
                ways.join(", or ")
            },
        });
    }
    let largest = plans.iter().map(|p| p.grant).max()?;
    Some(Costs {
        unit: t.unit_name(wallet).to_string(),
        currency: t.currency().to_string(),
        plans,
        left_out,
        max: largest * Decimal::TWO,
    })
}

/// A rate as a reader sees it: to 6 decimals (the curves use it exactly).
fn shown(r: Decimal) -> Decimal {
    r.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// The cheapest plan at usage `u` (ties go to the plan the book lists first); `None` when no
/// plan can serve it.
pub(crate) fn cheapest(c: &Costs, u: Decimal) -> Option<usize> {
    let mut best: Option<(usize, Decimal)> = None;
    for (i, p) in c.plans.iter().enumerate() {
        if let Some(v) = p.cost(u) {
            if best.is_none_or(|(_, b)| v < b) {
                best = Some((i, v));
            }
        }
    }
    best.map(|(i, _)| i)
}

/// From which usage each plan is the cheapest, up to the chart's maximum: `(from, plan)`, in
/// order, exact to one wallet unit.
pub(crate) fn crossovers(c: &Costs) -> Vec<(Decimal, Option<usize>)> {
    let step = super::svg::tick_step(c.max, 20_000)
        .max(Decimal::ONE)
        .ceil();
    let mut out: Vec<(Decimal, Option<usize>)> = vec![(Decimal::ZERO, cheapest(c, Decimal::ZERO))];
    let mut u = Decimal::ZERO;
    while u < c.max {
        let next = (u + step).min(c.max);
        let winner = cheapest(c, next);
        let current = out.last().map(|l| l.1).unwrap_or(None);
        if winner != current {
            // The first whole unit in (u, next] where it changes.
            let (mut lo, mut hi) = (u, next);
            while hi - lo > Decimal::ONE {
                let mid = ((lo + hi) / Decimal::TWO).floor();
                if cheapest(c, mid) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push((hi, cheapest(c, hi)));
            if cheapest(c, next) != cheapest(c, hi) {
                // More than one change within a step: take the rest on the next pass.
                u = hi;
                continue;
            }
        }
        u = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hedra_plans_cross_over_where_packs_and_prices_say() {
        let path = std::path::Path::new("pricebooks/hedra/2026-06.pricebook");
        let text = std::fs::read_to_string(path).expect("the book");
        // With the versions beside it: one of its worked examples bills across them.
        let table = crate::load::compile_book_file(path, &text).expect("compiles");
        let c = costs(&table).expect("curves");
        assert_eq!(c.unit, "credit");
        let names: Vec<&str> = c.plans.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Basic", "Creator", "Professional", "Teams"]);
        let creator = &c.plans[1];
        // 8,400 credits: 30 USD, then 3,000 credits more: auto recharge at 100 USD / 16,000
        // credits (18.75 USD) is cheaper than a whole pack (100 USD).
        assert_eq!(
            creator.cost(Decimal::from(8400)),
            Some(Decimal::new(4875, 2))
        );
        let x: Vec<(String, Option<&str>)> = crossovers(&c)
            .into_iter()
            .map(|(u, p)| (u.to_string(), p.map(|i| c.plans[i].name.as_str())))
            .collect();
        // Basic recharges past 1,500 at 0.00625 USD a credit: 30 USD at 3,900 credits.
        assert_eq!(x[0], ("0".to_string(), Some("Basic")));
        assert_eq!(x[1], ("3901".to_string(), Some("Creator")));
    }

    /// The packs path against the billing engine: a month of usage on Creator with the packs
    /// the curve buys bills what the curve says, rejects nothing, and one pack fewer does not do.
    #[test]
    fn packs_cost_what_the_billing_engine_bills() {
        use crate::answer::{BillQuestion, UsageInput, bill};
        let path = std::path::Path::new("pricebooks/hedra/2026-06.pricebook");
        let book = crate::load::open_file(path).expect("the book");
        let c = costs(&book.table).expect("curves");
        let mut creator = c.plans[1].clone();
        creator.rate = None; // the packs alone
        let billed = |u: i64, packs: i64| {
            let mut usage: Vec<serde_json::Value> = (0..packs)
                .map(|_| serde_json::json!({"time": "2026-06-05T09:00:00Z", "buy": "credit-pack"}))
                .collect();
            // Flux Dev is 4 credits a megapixel, prorated: u credits exactly.
            let megapixels = Decimal::from(u) / Decimal::from(4);
            usage.push(serde_json::json!({
                "time": "2026-06-06T09:00:00Z", "product": "flux-dev", "quantity": format!("{megapixels} megapixel")
            }));
            let q = BillQuestion {
                plan: Some("creator".into()),
                from: Some("2026-06-04".into()),
                periods: Some(1),
                usage: UsageInput::Events(usage),
                ..BillQuestion::default()
            };
            let a =
                bill(&q, |_, _| Ok::<_, crate::answer::AnswerError>(book.clone())).expect("a bill");
            (
                a.total.amount.parse::<Decimal>().expect("a total"),
                a.rejected.len(),
            )
        };
        for u in [5400, 8400, 21_400, 21_401] {
            let cost = creator.cost(Decimal::from(u)).expect("a cost");
            let packs = ((cost - creator.price) / Decimal::from(100))
                .to_string()
                .parse::<i64>()
                .expect("whole packs");
            assert_eq!(billed(u, packs), (cost, 0), "{u} credits");
            if packs > 0 {
                assert_eq!(billed(u, packs - 1).1, 1, "{u} credits with a pack fewer");
            }
        }
    }
}
