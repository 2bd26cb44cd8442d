//! Batch rating at memory speed.
//!
//! A [`Rater`] turns every (plan, product, cell) of a table into a dense [`RateKey`] and
//! precompiles each linear rate into integer form: with quantities in nano-units of the product's
//! base unit, a charge in minor units of its charge unit is
//!
//! ```text
//! charge = round_half_up(q * A / B)        A / B = amount / per_base * 10^dp / 10^9, reduced
//!        = (2 q A + B) div 2B
//! ```
//!
//! and the division by the invariant `2B` is a multiply and two shifts (Granlund & Montgomery's
//! method). Every event outside that envelope (tiers, a quantity or product too large for 64
//! bits, a limit that rejects it) takes the exact [`RatingTable::quote`] path instead, so results
//! are identical to the reference whatever path an event takes.
//!
//! ```
//! use pricebook::rate::{Event, Rater, Totals};
//! let table = pricebook::pipeline::compile_source(r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 7 credit / second  round up to 1 second }
//! plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
//! "#).unwrap();
//! let rater = Rater::new(&table);
//! let key = rater.key(Some(0), 0, 0).unwrap();
//! let events = [
//!     Event::new(0, key, "1.5".parse().unwrap()).unwrap(), // 2 s after rounding: 14 credits
//!     Event::new(1, key, "10".parse().unwrap()).unwrap(),  // 70 credits
//!     Event::new(0, key, "3".parse().unwrap()).unwrap(),   // 21 credits
//! ];
//! let mut totals = Totals::new(&table, 2);
//! rater.rate_batch(&events, &mut totals).unwrap();
//! let credit = table.unit_id("credit").unwrap();
//! assert_eq!(totals.amount(0, credit).to_string(), "35");
//! assert_eq!(totals.amount(1, credit).to_string(), "70");
//! ```

pub mod batch;
mod divider;
pub mod lists;
pub(crate) mod name_map;
mod period;
mod totals;

pub use divider::{Divider, Reciprocal};
pub use totals::{Totals, charge_units};

use crate::base::rejection::{Rejection, RejectionKind};
use crate::table::{
    CellId, LimitKindEntry, PlanId, PricingEntry, ProductId, RatingTable, RoundMode, UnitId,
};
use rust_decimal::Decimal;

/// Quantities on the fast path are integers in nano-units of the product's base unit.
pub const QUANTITY_SCALE: u32 = 9;
const NANO: u64 = 1_000_000_000;

/// Whether `q` is a multiple of [`NANO`] (a whole base unit), without a division: with
/// `NANO = 2^9 * 1953125`, `q` is a multiple exactly when `q * 1953125^-1 (mod 2^64)`, rotated
/// right by 9, is at most `u64::MAX / NANO` (Granlund and Montgomery's divisibility test). This
/// is that product, rotated; [`Bounds::takes`] compares it with a limit of its key.
#[inline(always)]
fn divisibility(q: u64) -> u64 {
    const ODD_INVERSE: u64 = 0x8e47_ce42_3a2e_9c6d;
    q.wrapping_mul(ODD_INVERSE).rotate_right(9)
}

/// A key this rater has no rate for.
fn unknown_key() -> Rejection {
    Rejection::new(RejectionKind::Unknown, "unknown rate key")
}

/// A dense id for one (plan, product, cell): what an event is rated against.
pub type RateKey = u32;

/// A usage event with its names resolved: 16 bytes, no strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Index into the caller's accounts (totals are kept per account).
    pub account: u32,
    pub key: RateKey,
    /// Quantity in nano-units of the product's base unit (`1.5 second` = 1_500_000_000).
    pub quantity: i64,
}

impl Event {
    /// An event for `quantity` base units; `None` when the quantity has more than 9 decimals
    /// or does not fit in 64 bits at that scale.
    pub fn new(account: u32, key: RateKey, quantity: Decimal) -> Option<Event> {
        let scaled = quantity.checked_mul(Decimal::from(NANO))?;
        if !scaled.fract().is_zero() {
            return None;
        }
        let q: i64 = scaled.trunc().try_into().ok()?;
        Some(Event {
            account,
            key,
            quantity: q,
        })
    }

    /// The quantity as an exact decimal.
    pub fn decimal_quantity(&self) -> Decimal {
        Decimal::new(self.quantity, QUANTITY_SCALE)
    }
}

/// A precompiled rate for one key.
#[derive(Debug, Clone)]
enum FastRate {
    /// `charge_minor = (2 q a + b) div 2b`, after rounding `q` to `step`.
    ///
    /// Rounding the quantity to a step `s` is one division too: `blocks = (2q + bias) div 2s`
    /// with `bias` = `2s - 1` (up), `0` (down) or `s` (nearest, half up); no rounding is `s = 1`.
    Linear(Linear),
    /// Everything else: the exact table path.
    Exact {
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
    },
}

#[derive(Debug, Clone)]
struct Linear {
    a: u64,
    b: u64,
    two_b: Reciprocal,
    /// Rounding step in nano-units (1 when the product does not round).
    step: u64,
    /// `2 * step * a`: a charge is `(steps * two_a_step + b) div 2b`, one multiply fewer per
    /// event than rounding the quantity back to nano-units first.
    two_a_step: u64,
    two_step: Reciprocal,
    bias: u64,
    /// The quantities priced here; outside them the exact path decides.
    bounds: Bounds,
    unit: UnitId,
    /// The charge unit's column in [`Totals`].
    column: usize,
    /// Decimal places a charge is kept to (its minor units here).
    dp: u32,
    /// Decimal places a charge is shown with (a money charge is rounded to them for display).
    display_dp: u32,
    /// The charge is money: it is its own money equivalent.
    is_money: bool,
    /// The plan's money per charge unit.
    money: Money,
}

/// The quantities a key's fast path prices: inclusive bounds in nano-units (min, max, limits,
/// and the reciprocals' limits), and whole base units only when the product counts whole units.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    /// `lo` and `span = hi - lo`: one compare a quantity (see [`Bounds::takes`]).
    lo: u64,
    span: u64,
    /// `u64::MAX / NANO` when quantities are whole base units (see [`divisibility`]),
    /// `u64::MAX` for any quantity: a fractional one of a whole product goes to the exact path,
    /// which rejects it.
    whole_limit: u64,
}

impl Bounds {
    /// Bounds no quantity is within: only `q = 1` is in [1, 1], and 1 is no multiple of 10^9.
    const NONE: Bounds = Bounds {
        lo: 1,
        span: 0,
        whole_limit: u64::MAX / NANO,
    };

    /// `[lo, hi]`, whole units only when `whole`; `lo <= hi < 2^62`.
    fn new(lo: u64, hi: u64, whole: bool) -> Bounds {
        Bounds {
            lo,
            span: hi - lo,
            whole_limit: match whole {
                true => u64::MAX / NANO,
                false => u64::MAX,
            },
        }
    }

    /// Whether the fast path prices `q` (nano-units; a negative quantity arrives as a `u64` of
    /// at least 2^63): within the bounds, and whole when the product counts whole units.
    ///
    /// One branch, not five: which keys are whole varies from event to event, and a mispredicted
    /// `&&` on it cost a third of the fast path. `q - lo <= span` (wrapping) is both bounds in one
    /// compare, and rejects a negative quantity too, as `hi < 2^62`.
    #[inline(always)]
    fn takes(&self, q: u64) -> bool {
        (q.wrapping_sub(self.lo) <= self.span) & (divisibility(q) <= self.whole_limit)
    }
}

/// A key's fast path as rating an event reads it: a [`Linear`]'s bounds and arithmetic in 80
/// bytes, in an array of their own, where the enum of every key's rate is 216 bytes and needs
/// its variant tested. A key the fast path never prices takes no quantity.
#[derive(Debug, Clone, Copy)]
struct HotRate {
    bounds: Bounds,
    bias: u64,
    two_a_step: u64,
    b: u64,
    /// [`Reciprocal`]s of `2 * step` and of `2 * b`, as their multiplier and shift.
    round_magic: u64,
    charge_magic: u64,
    round_shift: u8,
    charge_shift: u8,
    /// The charge unit's cell in an account's row of [`Totals`]: `1 + column`.
    cell: u32,
    unit: UnitId,
}

impl HotRate {
    fn of(rate: &FastRate) -> HotRate {
        match rate {
            FastRate::Linear(l) => HotRate {
                bounds: l.bounds,
                bias: l.bias,
                two_a_step: l.two_a_step,
                b: l.b,
                round_magic: l.two_step.magic(),
                charge_magic: l.two_b.magic(),
                round_shift: l.two_step.shift(),
                charge_shift: l.two_b.shift(),
                cell: u32::try_from(l.column.saturating_add(1)).unwrap_or(u32::MAX),
                unit: l.unit,
            },
            FastRate::Exact { .. } => HotRate {
                bounds: Bounds::NONE,
                bias: 0,
                two_a_step: 0,
                b: 0,
                round_magic: 0,
                charge_magic: 0,
                round_shift: 0,
                charge_shift: 0,
                cell: u32::MAX,
                unit: 0,
            },
        }
    }

    /// The charge in minor units of a quantity within its [`Bounds`]: as [`Linear`]
    /// computes it, each division by its [`Reciprocal`].
    #[inline(always)]
    fn charge(&self, q: u64) -> u64 {
        let steps = Reciprocal::apply(self.round_magic, self.round_shift, 2 * q + self.bias);
        Reciprocal::apply(
            self.charge_magic,
            self.charge_shift,
            steps * self.two_a_step + self.b,
        )
    }
}

#[derive(Debug, Clone)]
enum Money {
    /// The plan gives no money equivalent for this unit.
    None,
    /// `money_minor = (2 c p + g) div 2g`.
    Ratio(MoneyRatio),
    /// Not representable in 64-bit integers: the exact path computes it.
    Exact,
}

/// A plan's price per wallet unit in integer form.
#[derive(Debug, Clone)]
struct MoneyRatio {
    p: u64,
    g: u64,
    two_g: Divider,
    /// Largest charge (minor units) for which `2 c p + g` fits in 64 bits and the reference's
    /// `charge x price` is exact.
    max_charge: u64,
    dp: u32,
}

/// An event the batch could not rate, by its position in the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub index: usize,
    pub rejection: Rejection,
}

/// Rates events against one table.
#[derive(Debug, Clone)]
pub struct Rater<'t> {
    table: &'t RatingTable,
    rates: Vec<FastRate>,
    /// What rating an event on the fast path reads of each key, packed (see [`HotRate`]).
    hot: Vec<HotRate>,
    /// First key of each (compiled plan slot, product).
    offsets: Vec<u32>,
    /// Each plan slot's place among the compiled ones (slot 0 is "no plan", slot p + 1 plan p),
    /// or [`NOT_COMPILED`].
    slots: Vec<u32>,
    /// The plan slot of each compiled one: the inverse of `slots`.
    compiled: Vec<u32>,
}

/// A plan slot whose keys a [`Rater::for_plans`] did not compile.
const NOT_COMPILED: u32 = u32::MAX;

/// A non-negative quantity as nano-units, when it has at most 9 decimals and fits.
#[inline(always)]
fn nanos(q: Decimal) -> Option<u64> {
    let scale = q.scale();
    if q.is_sign_negative() || scale > QUANTITY_SCALE {
        return None;
    }
    let m = u64::try_from(q.mantissa()).ok()?;
    m.checked_mul(POW10[(QUANTITY_SCALE - scale) as usize])
}

const POW10: [u64; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// Minor units as a canonical decimal: money keeps its digits, other units drop trailing zeros.
#[inline(always)]
fn minor_to_decimal(mut v: u64, mut dp: u32, keep_digits: bool) -> Decimal {
    if !keep_digits {
        while dp > 0 && v % 10 == 0 {
            v /= 10;
            dp -= 1;
        }
    }
    Decimal::from_i128_with_scale(i128::from(v), dp)
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `v` as an integer count of `10^-scale` units, if exact.
fn scaled_u64(v: Decimal, scale: u32) -> Option<u64> {
    let s = v.checked_mul(Decimal::from(10u64.checked_pow(scale)?))?;
    (s.fract().is_zero() && s >= Decimal::ZERO)
        .then(|| s.trunc().try_into().ok())
        .flatten()
}

impl<'t> Rater<'t> {
    /// Precompiles every key of `table`: every plan (and no plan) x product x cell, which is what
    /// rating a whole usage export needs. One account's bill or a book's worked examples need
    /// only a few plans: [`Rater::for_plans`] compiles those alone.
    pub fn new(table: &'t RatingTable) -> Rater<'t> {
        Self::compile_slots(table, (0..=table.plans.len() as u32).collect(), |_, _| true)
    }

    /// Precompiles the keys of the given plans (`None`: no plan) only; [`key`](Self::key) is
    /// `None` for any other plan. Building it costs products x cells per plan, not per plan of
    /// the table.
    ///
    /// ```
    /// use pricebook::rate::Rater;
    /// let table = pricebook::pipeline::compile_source(r#"
    /// pricebook acme version "1" effective 2026-01-01 currency USD
    /// unit credit
    /// product "Render" as render { measure time  rate 2 credit / second }
    /// plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
    /// plan "Max" as max { price 90 USD / month  grant 9000 credit every month, expires at cycle end }
    /// "#).expect("a clean book");
    /// let rater = Rater::for_plans(&table, [Some(1)]);
    /// assert!(rater.key(Some(1), 0, 0).is_some());
    /// assert!(rater.key(Some(0), 0, 0).is_none()); // not compiled
    /// assert!(rater.key(None, 0, 0).is_none());
    /// ```
    pub fn for_plans(
        table: &'t RatingTable,
        plans: impl IntoIterator<Item = Option<PlanId>>,
    ) -> Rater<'t> {
        let mut wanted: Vec<u32> = plans
            .into_iter()
            .map(|p| p.map_or(0, |p| p.saturating_add(1)))
            .filter(|s| *s as usize <= table.plans.len())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        Self::compile_slots(table, wanted, |_, _| true)
    }

    /// Precompiles the keys of the given (plan, product) pairs only, every cell of each: what a
    /// known set of usages needs (one account's bill, a book's worked examples). A key of any
    /// other pair is `None`.
    ///
    /// ```
    /// use pricebook::rate::Rater;
    /// let table = pricebook::pipeline::compile_source(r#"
    /// pricebook acme version "1" effective 2026-01-01 currency USD
    /// unit credit
    /// product "Render" as render { measure time  rate 2 credit / second }
    /// product "Paint" as paint { measure image  rate 5 credit / image }
    /// plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
    /// "#).expect("a clean book");
    /// let rater = Rater::for_usage(&table, [(Some(0), 1)]);
    /// assert!(rater.key(Some(0), 1, 0).is_some());
    /// assert!(rater.key(Some(0), 0, 0).is_none()); // not compiled
    /// assert_eq!(rater.len(), 1);
    /// ```
    pub fn for_usage(
        table: &'t RatingTable,
        pairs: impl IntoIterator<Item = (Option<PlanId>, ProductId)>,
    ) -> Rater<'t> {
        let mut pairs: Vec<(u32, ProductId)> = pairs
            .into_iter()
            .map(|(p, product)| (p.map_or(0, |p| p.saturating_add(1)), product))
            .filter(|(s, _)| *s as usize <= table.plans.len())
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut wanted: Vec<u32> = pairs.iter().map(|(s, _)| *s).collect();
        wanted.dedup();
        Self::compile_slots(table, wanted, |slot, product| {
            pairs.binary_search(&(slot, product)).is_ok()
        })
    }

    /// Compiles the keys of the plan slots `wanted` (sorted, distinct, in range), of the
    /// products `include` says yes to.
    fn compile_slots(
        table: &'t RatingTable,
        wanted: Vec<u32>,
        include: impl Fn(u32, ProductId) -> bool,
    ) -> Rater<'t> {
        let products = table.products.len();
        let cells: Vec<u32> = table
            .products
            .iter()
            .map(|p| {
                p.dims
                    .iter()
                    .map(|d| table.dimensions[*d as usize].values.len() as u32)
                    .product::<u32>()
                    .max(1)
            })
            .collect();
        let mut offsets = Vec::with_capacity(wanted.len() * products + 1);
        let mut slots = vec![NOT_COMPILED; table.plans.len() + 1];
        let mut rates = Vec::new();
        // Each charge unit's column in `Totals`, found once rather than per key.
        let mut columns = vec![usize::MAX; table.units.len()];
        for (i, u) in charge_units(table).iter().enumerate() {
            columns[*u as usize] = i;
        }
        for (compiled, &slot) in wanted.iter().enumerate() {
            slots[slot as usize] = compiled as u32;
            let plan = slot.checked_sub(1);
            for (product, n) in cells.iter().enumerate() {
                offsets.push(rates.len() as u32);
                if !include(slot, product as ProductId) {
                    continue;
                }
                for cell in 0..*n {
                    rates.push(Self::compile_key(
                        table,
                        &columns,
                        plan,
                        product as ProductId,
                        cell,
                    ));
                }
            }
        }
        offsets.push(rates.len() as u32);
        Rater {
            table,
            hot: rates.iter().map(HotRate::of).collect(),
            rates,
            offsets,
            slots,
            compiled: wanted,
        }
    }

    /// The key for a plan (or none), product and cell.
    pub fn key(&self, plan: Option<PlanId>, product: ProductId, cell: CellId) -> Option<RateKey> {
        let slot = plan.map_or(0, |p| p as usize + 1);
        let compiled = *self.slots.get(slot)?;
        if compiled == NOT_COMPILED || product as usize >= self.table.products.len() {
            return None;
        }
        let i = compiled as usize * self.table.products.len() + product as usize;
        let (start, end) = (self.offsets[i], self.offsets[i + 1]);
        (start + cell < end).then_some(start + cell)
    }

    /// Whether the keys of `plan` (`None`: no plan) are compiled.
    pub fn has_plan(&self, plan: Option<PlanId>) -> bool {
        let slot = plan.map_or(0, |p| p as usize + 1);
        self.slots.get(slot).is_some_and(|c| *c != NOT_COMPILED)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.rates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    /// How many keys take the integer fast path.
    pub fn fast_keys(&self) -> usize {
        self.rates
            .iter()
            .filter(|r| matches!(r, FastRate::Linear(_)))
            .count()
    }

    fn compile_key(
        table: &RatingTable,
        columns: &[usize],
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
    ) -> FastRate {
        let exact = FastRate::Exact {
            plan,
            product,
            cell,
        };
        let p = &table.products[product as usize];
        let plan_entry = plan.map(|i| &table.plans[i as usize]);
        // `bill at least` / `bill at most` bound the quantity or the charge: the exact path.
        if plan_entry.is_some_and(|pl| !pl.available[product as usize]) || !p.bill.is_empty() {
            return exact;
        }
        let rate = match (
            plan_entry.and_then(|pl| pl.overrides.iter().find(|(i, _)| *i == product)),
            &p.pricing,
        ) {
            (Some((_, r)), _) => r,
            (None, PricingEntry::Cells { cells }) => {
                match cells.get(cell as usize).and_then(|c| c.as_ref()) {
                    Some(r) => r,
                    None => return exact,
                }
            }
            _ => return exact,
        };
        // A charge in money is kept exact to 12 places (rounded once per total), others by the
        // unit's rule.
        let dp = table.exact_dp(rate.unit);
        // A / B = amount * 10^dp / (per_base * 10^9), both as integers.
        let (am, asc) = (rate.amount.mantissa(), rate.amount.scale());
        let (pm, psc) = (rate.per_base.mantissa(), rate.per_base.scale());
        let pow = |e: u32| 10u128.checked_pow(e);
        let (Ok(am), Ok(pm)) = (u128::try_from(am), u128::try_from(pm)) else {
            return exact;
        };
        let a = pow(dp + psc).and_then(|x| x.checked_mul(am));
        let b = pow(QUANTITY_SCALE + asc).and_then(|x| x.checked_mul(pm));
        let (Some(a), Some(b)) = (a, b) else {
            return exact;
        };
        if b == 0 {
            return exact;
        }
        let g = gcd(a, b);
        let (a, b) = (a / g, b / g);
        // Keep 2qA + B inside 64 bits for every quantity the fast path accepts.
        let (Ok(a), Ok(b)) = (u64::try_from(a), u64::try_from(b)) else {
            return exact;
        };
        if a == 0 || a > (1 << 61) || b > (1 << 61) {
            return exact;
        }
        let Some(two_b) = Reciprocal::new(2 * b) else {
            return exact;
        };
        let max_q = ((u64::MAX >> 2) - b) / (2 * a);

        let (step, round) = match &p.rounding {
            Some(r) => match scaled_u64(r.step, QUANTITY_SCALE) {
                Some(s) if s > 0 && s < (1 << 61) => (s, r.mode),
                _ => return exact,
            },
            None => (1, RoundMode::Down),
        };
        let bias = match round {
            RoundMode::Up => 2 * step - 1,
            RoundMode::Down => 0,
            RoundMode::Nearest => step,
        };
        let Some(two_step) = Reciprocal::new(2 * step) else {
            return exact;
        };
        // Bounds: the product's min and max and the plan's per-event limits; outside them, the
        // exact path produces the rejection with its reason.
        let mut lo = 0u64;
        // Leave room for rounding up by a step and for the `2q + bias` of the rounding division.
        let mut hi = max_q.saturating_sub(step).min((u64::MAX >> 2) - 2 * step);
        if let Some(min) = &p.min {
            match scaled_u64(min.base, QUANTITY_SCALE) {
                Some(v) => lo = lo.max(v),
                None => return exact,
            }
        }
        if let Some(max) = &p.max {
            match scaled_u64(max.base, QUANTITY_SCALE) {
                Some(v) => hi = hi.min(v),
                None => return exact,
            }
        }
        if let Some(pl) = plan_entry {
            for l in &pl.limits {
                if !l.scope.is_empty() && !l.scope.contains(&product) {
                    continue;
                }
                match &l.kind {
                    LimitKindEntry::PerEvent { dimension, bound } if *dimension == p.measure => {
                        // In whole nano-units an exclusive end is the inclusive one next to it;
                        // a bound finer than a nano-unit is left to the exact path.
                        if let Some(e) = bound.lo {
                            match scaled_u64(e.value, QUANTITY_SCALE) {
                                Some(v) if e.inclusive => lo = lo.max(v),
                                Some(v) => lo = lo.max(v.saturating_add(1)),
                                None => return exact,
                            }
                        }
                        if let Some(e) = bound.hi {
                            match scaled_u64(e.value, QUANTITY_SCALE) {
                                Some(v) if e.inclusive => hi = hi.min(v),
                                Some(0) => return exact,
                                Some(v) => hi = hi.min(v - 1),
                                None => return exact,
                            }
                        }
                    }
                    LimitKindEntry::DimensionRange {
                        dimension,
                        lo: min,
                        hi: max,
                    } => {
                        if let Some(pos) = p.dims.iter().position(|d| d == dimension) {
                            let n = table.dimensions[*dimension as usize].values.len() as u32;
                            let v = (cell / p.strides[pos]) % n;
                            if v < *min || v > *max {
                                return exact;
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        // The exact path multiplies `q x amount` as decimals, then divides by `per_base` in 128-bit
        // integers (src/eval.rs `div_round`). Answer here only for quantities where both steps
        // are exact, or a huge amount over a huge `per_base` (a small ratio) could be priced here
        // while the exact path overflows or rounds: the rounded quantity's mantissa is at most
        // its nano-units, so bound those (rounding up adds at most one step).
        if asc > 19
            || pow(QUANTITY_SCALE + asc)
                .and_then(|x| x.checked_mul(pm))
                .is_none()
        {
            return exact;
        }
        let Some(scaled_amount) = pow(psc + dp).and_then(|x| x.checked_mul(am)) else {
            return exact;
        };
        let exact_limit = (((1u128 << 96) - 1) / am.max(1))
            .min(i128::MAX as u128 / scaled_amount.max(1))
            .min(u128::from(u64::MAX));
        hi = hi.min((exact_limit as u64).saturating_sub(step));
        if lo > hi {
            return exact;
        }
        // Within 64 bits whenever a quantity of at least one step can be priced here
        // (`2 * rounded * a + b` is kept under 2^62); a key it overflows for prices only 0,
        // which the exact path can do.
        let Some(two_a_step) = step.checked_mul(a).and_then(|x| x.checked_mul(2)) else {
            return exact;
        };
        // Both divisions are one multiply by a reciprocal, exact up to its limit: bound the
        // quantity so that `2q + bias` and `steps * 2as + b` stay within them.
        hi = hi.min(two_step.limit().saturating_sub(bias) / 2);
        let Some(max_steps) = two_b.limit().checked_sub(b).map(|x| x / two_a_step) else {
            return exact;
        };
        // steps = (2q + bias) div 2s <= max_steps while 2q + bias < 2s (max_steps + 1).
        let steps_bound = (2 * step).saturating_mul(max_steps.saturating_add(1));
        hi = hi.min(steps_bound.saturating_sub(bias + 1) / 2);
        if lo > hi {
            return exact;
        }
        FastRate::Linear(Linear {
            a,
            b,
            two_b,
            step,
            two_a_step,
            two_step,
            bias,
            bounds: Bounds::new(lo, hi, p.whole),
            unit: rate.unit,
            column: columns
                .get(rate.unit as usize)
                .copied()
                .unwrap_or(usize::MAX),
            dp,
            display_dp: table.units[rate.unit as usize].charge_dp,
            is_money: table.units[rate.unit as usize].is_money,
            money: match plan_entry {
                Some(pl) if pl.wallet_prices.iter().any(|w| w.unit == rate.unit) => {
                    Self::money_ratio(table, pl, rate.unit, dp).map_or(Money::Exact, Money::Ratio)
                }
                _ => Money::None,
            },
        })
    }

    /// `money = charge * price / granted` as integers over minor units:
    /// `money_minor = charge_minor * pm * 10^(cdp + gs) / (gm * 10^(dp + ps))`, reduced.
    fn money_ratio(
        table: &RatingTable,
        plan: &crate::table::PlanEntry,
        unit: UnitId,
        dp: u32,
    ) -> Option<MoneyRatio> {
        let w = plan.wallet_prices.iter().find(|w| w.unit == unit)?;
        let cdp = crate::base::money::charge_dp(&table.currency);
        let pow = |e: u32| 10u128.checked_pow(e);
        let pm = u128::try_from(w.price.mantissa()).ok()?;
        let gm = u128::try_from(w.granted.mantissa()).ok()?;
        // The reference multiplies `charge x price` as decimals, then divides by `granted` in
        // 128-bit integers. Answer here only where that is exact, so both give one answer: the
        // product keeps every digit (at most 28 decimals, below 2^96, bounded per charge below)
        // and the division's operands fit 128 bits; elsewhere the exact path decides.
        if dp + w.price.scale() > 28
            || w.granted.scale() + cdp > 9
            || gm.checked_mul(pow(dp + w.price.scale())?)? > i128::MAX as u128
        {
            return None;
        }
        let exact_charge = ((1u128 << 96) - 1).checked_div(pm).unwrap_or(u128::MAX);
        let p = pm.checked_mul(pow(cdp + w.granted.scale())?)?;
        let g = gm.checked_mul(pow(dp + w.price.scale())?)?;
        if g == 0 {
            return None;
        }
        let d = gcd(p, g).max(1);
        let (p, g) = (u64::try_from(p / d).ok()?, u64::try_from(g / d).ok()?);
        if g > (1 << 61) || p > (1 << 61) {
            return None;
        }
        let max_charge = if p == 0 {
            u64::MAX >> 2
        } else {
            ((u64::MAX >> 2) - g) / (2 * p)
        };
        let max_charge = max_charge.min(u64::try_from(exact_charge).unwrap_or(u64::MAX));
        Some(MoneyRatio {
            p,
            g,
            two_g: Divider::new(2 * g)?,
            max_charge,
            dp: cdp,
        })
    }

    /// Quotes one usage by key: the same result as [`RatingTable::quote`], through the integer
    /// path when the key and quantity allow it. Allocation-free.
    pub fn quote(
        &self,
        key: RateKey,
        quantity: Decimal,
    ) -> Result<crate::table::TableQuote, Rejection> {
        let rate = self.rates.get(key as usize).ok_or_else(unknown_key)?;
        if let (FastRate::Linear(l), Some(q)) = (rate, nanos(quantity)) {
            if l.bounds.takes(q) {
                let rounded = l.two_step.divide(2 * q + l.bias) * l.step;
                let charge = l.two_b.divide(2 * rounded * l.a + l.b);
                let exact = minor_to_decimal(charge, l.dp, false);
                // Money is kept exact and rounded once, here for display.
                let shown = if l.is_money {
                    let mut d = exact.round_dp_with_strategy(
                        l.display_dp,
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                    );
                    d.rescale(l.display_dp);
                    d
                } else {
                    exact
                };
                let money = if l.is_money {
                    Some(Some(shown))
                } else {
                    match &l.money {
                        Money::Ratio(m) if charge <= m.max_charge => Some(Some(minor_to_decimal(
                            m.two_g.divide(2 * charge * m.p + m.g),
                            m.dp,
                            true,
                        ))),
                        Money::None => Some(None),
                        Money::Ratio(_) | Money::Exact => None,
                    }
                };
                if let Some(money) = money {
                    return Ok(crate::table::TableQuote {
                        charge: shown,
                        exact,
                        quantity: minor_to_decimal(rounded, QUANTITY_SCALE, false),
                        unit: Some(l.unit),
                        money,
                    });
                }
            }
        }
        let (plan, product, cell) = self.target(key, rate);
        self.table.quote(plan, product, cell, quantity)
    }

    /// Quotes one usage by key as the next of an account that has used `used` base units of
    /// the product earlier in the billing period: the same result as
    /// [`RatingTable::quote_in_period`] (and as [`quote`](Self::quote) when nothing was used, or
    /// when the product's price does not depend on the period's usage).
    pub fn quote_in_period(
        &self,
        key: RateKey,
        used: Decimal,
        quantity: Decimal,
    ) -> Result<crate::table::TableQuote, Rejection> {
        if used.is_zero() {
            return self.quote(key, quantity);
        }
        let rate = self.rates.get(key as usize).ok_or_else(unknown_key)?;
        let (plan, product, cell) = self.target(key, rate);
        self.table
            .quote_in_period(plan, product, cell, used, quantity)
    }

    /// Whether a key's charge depends on what the account used earlier in the billing period
    /// (tiers over the period): its events are priced as slices of a running total.
    pub fn prices_by_period(&self, key: RateKey) -> bool {
        match self.rates.get(key as usize) {
            Some(rate @ FastRate::Exact { .. }) => {
                let (plan, product, _) = self.target(key, rate);
                self.table.prices_by_period(plan, product)
            }
            _ => false,
        }
    }

    /// Whether a key's events are summed per account and billing period before they are
    /// priced or capped: tiers over the period, or `bill at most ... per period`.
    /// Called per usage line: a key on the integer path answers at once (neither tiers nor
    /// `bill` bounds compile to it).
    pub fn totals_by_period(&self, key: RateKey) -> bool {
        match self.rates.get(key as usize) {
            Some(rate @ FastRate::Exact { .. }) => {
                let (plan, product, _) = self.target(key, rate);
                self.table.prices_by_period(plan, product)
                    || self
                        .table
                        .products
                        .get(product as usize)
                        .is_some_and(|p| p.bill.cap_period.is_some())
            }
            _ => false,
        }
    }

    /// The (plan, product, cell) a key rates.
    pub fn key_target(&self, key: RateKey) -> Option<(Option<PlanId>, ProductId, CellId)> {
        let rate = self.rates.get(key as usize)?;
        Some(self.target(key, rate))
    }

    /// The charge of one event (any path) as it is kept and summed: the table quote's `exact`
    /// (money exact to 12 places, other units by their rule).
    pub fn rate(&self, event: &Event) -> Result<(Decimal, Option<UnitId>), Rejection> {
        match self.rates.get(event.key as usize) {
            Some(FastRate::Linear(_)) | Some(FastRate::Exact { .. }) => {
                let mut t = Totals::new(self.table, 1);
                let e = Event {
                    account: 0,
                    ..*event
                };
                match self.rate_one(&e, &mut t)? {
                    Some(unit) => Ok((t.exact_amount(0, unit).unwrap_or(Decimal::MAX), Some(unit))),
                    None => Ok((Decimal::ZERO, None)),
                }
            }
            None => Err(unknown_key()),
        }
    }

    /// Rates one event into `totals`; returns the charge unit (none for a free product).
    #[inline(always)]
    fn rate_one(&self, e: &Event, totals: &mut Totals) -> Result<Option<UnitId>, Rejection> {
        let Some(h) = self.hot.get(e.key as usize) else {
            return Err(unknown_key());
        };
        // Bounds apply to the quantity as sent, before rounding; outside them (or when
        // negative, or for a key the fast path never prices) the exact path decides.
        let q = e.quantity as u64;
        if h.bounds.takes(q) {
            totals.add_cell(e.account, h.cell as usize, i128::from(h.charge(q)));
            return Ok(Some(h.unit));
        }
        self.rate_off_fast(e, totals)
    }

    /// Rates an event the fast path did not take: the exact path rates or rejects it.
    fn rate_off_fast(&self, e: &Event, totals: &mut Totals) -> Result<Option<UnitId>, Rejection> {
        match self.rates.get(e.key as usize) {
            Some(rate) => self.rate_exact(e, rate, totals),
            None => Err(unknown_key()),
        }
    }

    #[cold]
    fn rate_exact(
        &self,
        e: &Event,
        rate: &FastRate,
        totals: &mut Totals,
    ) -> Result<Option<UnitId>, Rejection> {
        self.exact_into(e.account, e.key, rate, e.decimal_quantity(), totals)
    }

    /// Prices one usage through the table's exact quote and adds it to `account`'s totals.
    fn exact_into(
        &self,
        account: u32,
        key: RateKey,
        rate: &FastRate,
        quantity: Decimal,
        totals: &mut Totals,
    ) -> Result<Option<UnitId>, Rejection> {
        let (plan, product, cell) = self.target(key, rate);
        let q = self.table.quote(plan, product, cell, quantity)?;
        match q.unit {
            Some(u) => {
                if !totals.add_decimal(account, u, q.exact) {
                    return Err(Rejection::new(
                        RejectionKind::Overflow,
                        "charge does not fit the totals",
                    ));
                }
                Ok(Some(u))
            }
            None => {
                totals.count_event(account);
                Ok(None)
            }
        }
    }

    /// The (plan, product, cell) a key rates.
    fn target(&self, key: RateKey, rate: &FastRate) -> (Option<PlanId>, ProductId, CellId) {
        match rate {
            FastRate::Exact {
                plan,
                product,
                cell,
            } => (*plan, *product, *cell),
            FastRate::Linear(_) => self.locate(key),
        }
    }

    /// The (plan, product, cell) of a key.
    fn locate(&self, key: RateKey) -> (Option<PlanId>, ProductId, CellId) {
        let i = self.offsets.partition_point(|o| *o <= key) - 1;
        let products = self.table.products.len().max(1);
        let (compiled, product) = (i / products, i % products);
        // A key of this rater always lies in one of its compiled slots.
        let slot = self.compiled.get(compiled).copied().unwrap_or(0);
        (
            slot.checked_sub(1),
            product as ProductId,
            key - self.offsets[i],
        )
    }

    /// Rates one usage of any quantity (more than 9 decimals of the base unit, or too large for
    /// a 16-byte [`Event`]) into `totals` through the exact path: the same answer `quote` gives.
    pub fn rate_decimal(
        &self,
        account: u32,
        key: RateKey,
        quantity: Decimal,
        totals: &mut Totals,
    ) -> Result<Option<UnitId>, Rejection> {
        let Some(rate) = self.rates.get(key as usize) else {
            return Err(unknown_key());
        };
        totals.ensure_accounts(account as usize + 1);
        self.exact_into(account, key, rate, quantity, totals)
    }

    /// Rates one event into `totals` (which must cover its account): what
    /// [`rate_batch`](Self::rate_batch) does for each event, for callers that rate events as they
    /// read them.
    #[inline]
    pub fn rate_event(&self, event: &Event, totals: &mut Totals) -> Result<(), Rejection> {
        self.rate_one(event, totals).map(|_| ())
    }

    /// Rates a batch into `totals` (which must cover every account in it). Allocation-free
    /// unless an event is rejected; rejected events are returned and the rest still counted.
    pub fn rate_batch(&self, events: &[Event], totals: &mut Totals) -> Result<(), Vec<Rejected>> {
        let mut rejected = Vec::new();
        let mut index = 0;
        while index < events.len() {
            index = self.rate_fast(events, index, totals);
            // An event off the fast path: the exact path rates or rejects it.
            if let Some(e) = events.get(index) {
                if let Err(rejection) = self.rate_off_fast(e, totals) {
                    rejected.push(Rejected { index, rejection });
                }
                index += 1;
            }
        }
        if rejected.is_empty() {
            Ok(())
        } else {
            Err(rejected)
        }
    }

    /// Rates `events` from `from` on while each takes the fast path; returns the index of the
    /// first that does not (or the end). A loop of its own, with only what the fast path reads
    /// live in it: inside `rate_batch`'s, the registers ran out and four values went to the stack.
    #[inline(never)]
    fn rate_fast(&self, events: &[Event], from: usize, totals: &mut Totals) -> usize {
        for (i, e) in events.iter().enumerate().skip(from) {
            let q = e.quantity as u64;
            match self.hot.get(e.key as usize) {
                Some(h) if h.bounds.takes(q) => {
                    totals.add_cell(e.account, h.cell as usize, i128::from(h.charge(q)))
                }
                _ => return i,
            }
        }
        events.len()
    }

    /// The table rated against.
    pub fn table(&self) -> &RatingTable {
        self.table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_nanos_is_divisibility_by_a_billion() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut values = vec![
            0,
            1,
            NANO - 1,
            NANO,
            NANO + 1,
            u64::MAX,
            u64::MAX / NANO * NANO,
        ];
        for k in 0..200_000u64 {
            crate::base::xorshift(&mut seed);
            values.push(seed);
            values.push((seed % (u64::MAX / NANO)) * NANO);
            values.push(k * NANO + (seed % 3));
        }
        for q in values {
            assert_eq!(divisibility(q) <= u64::MAX / NANO, q % NANO == 0, "{q}");
        }
    }

    #[test]
    fn magic_division_matches_hardware_division() {
        let divisors = [
            2u64,
            3,
            4,
            64,
            1 << 40,
            5,
            7,
            10,
            60,
            300,
            1000,
            3600,
            86_400,
            1_000_000_007,
            u64::MAX / 3,
            u64::MAX - 1,
            u64::MAX,
        ];
        let numerators = [
            0u64,
            1,
            2,
            59,
            60,
            61,
            999,
            1_000_000,
            u64::MAX / 7,
            u64::MAX - 1,
            u64::MAX,
        ];
        for d in divisors {
            let div = Divider::new(d).expect("non-zero");
            for n in numerators {
                assert_eq!(div.divide(n), n / d, "{n} / {d}");
            }
        }
        assert!(Divider::new(0).is_none());
        assert!(Divider::new(1).is_none());
    }

    #[test]
    fn reciprocal_division_is_exact_up_to_its_limit() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut divisors = vec![
            2u64,
            3,
            4,
            6,
            10,
            64,
            1000,
            2 * NANO,
            1 << 40,
            (1 << 61) + 1,
        ];
        divisors.extend([u64::MAX / 3, u64::MAX - 1, u64::MAX, (1 << 63) - 1, 1 << 63]);
        for _ in 0..2_000 {
            crate::base::xorshift(&mut seed);
            divisors.push((seed >> (seed % 62)).max(2));
        }
        for d in divisors {
            let r = Reciprocal::new(d).expect("d >= 2");
            assert!(r.limit() >= 1 << 63, "{d}: limit {}", r.limit());
            assert_eq!(r.divisor(), d);
            let limit = r.limit();
            let mut numerators = vec![0, 1, d - 1, d, d.saturating_add(1), limit, limit - 1];
            numerators.extend([limit / d * d, (limit / d * d).saturating_sub(1), 1 << 62]);
            for _ in 0..50 {
                crate::base::xorshift(&mut seed);
                numerators.push(seed % limit.saturating_add(1).max(1));
                numerators.push((seed % (limit / d).max(1)) * d + d - 1);
            }
            for n in numerators.into_iter().filter(|n| *n <= limit) {
                assert_eq!(r.divide(n), n / d, "{n} / {d}");
            }
        }
        assert!(Reciprocal::new(0).is_none());
        assert!(Reciprocal::new(1).is_none());
    }

    #[test]
    fn a_key_off_the_fast_path_takes_no_quantity() {
        let h = HotRate::of(&FastRate::Exact {
            plan: None,
            product: 0,
            cell: 0,
        });
        for q in [
            0u64,
            1,
            2,
            NANO,
            5 * NANO,
            u64::MAX,
            1 << 63,
            (-1i64) as u64,
        ] {
            assert!(!h.bounds.takes(q), "{q}");
        }
    }

    #[test]
    fn one_compare_holds_both_bounds_and_the_sign() {
        let l = Bounds::new;
        let h = l(3 * NANO, 10 * NANO, false);
        for (q, taken) in [
            (3 * NANO - 1, false),
            (3 * NANO, true),
            (7 * NANO + 5, true),
            (10 * NANO, true),
            (10 * NANO + 1, false),
            ((-1i64) as u64, false),
            (i64::MIN as u64, false),
        ] {
            assert_eq!(h.takes(q), taken, "{q}");
        }
        let whole = l(0, (1 << 62) - 1, true);
        assert!(whole.takes(0) && whole.takes(4 * NANO));
        assert!(!whole.takes(4 * NANO + 1) && !whole.takes((-(NANO as i64)) as u64));
    }

    #[test]
    fn events_keep_nine_decimals() {
        assert_eq!(
            Event::new(0, 0, "1.5".parse().expect("d")).map(|e| e.quantity),
            Some(1_500_000_000)
        );
        assert!(Event::new(0, 0, "0.0000000001".parse().expect("d")).is_none());
        assert!(Event::new(0, 0, Decimal::MAX).is_none());
    }
}
