//! Per-account totals of a batch, in integer minor units, one column per charge unit.

use crate::table::{PricingEntry, RatingTable, UnitId};
use rust_decimal::Decimal;

/// The units a table charges in (rates, tiers, flat prices, plan rates), in id order. Totals
/// keep one column per charge unit only, so an account's row stays a few cache lines wide.
pub fn charge_units(table: &RatingTable) -> Vec<UnitId> {
    let mut units: Vec<UnitId> = Vec::new();
    for p in &table.products {
        match &p.pricing {
            PricingEntry::Cells { cells } => units.extend(cells.iter().flatten().map(|c| c.unit)),
            PricingEntry::Tiered { tiers, .. } => units.extend(tiers.iter().map(|t| t.rate.unit)),
            PricingEntry::Flat { unit, .. } => units.push(*unit),
            PricingEntry::Free { .. } | PricingEntry::Unpublished { .. } => {}
        }
    }
    for pl in &table.plans {
        units.extend(pl.overrides.iter().map(|(_, r)| r.unit));
    }
    units.sort_unstable();
    units.dedup();
    units
}

/// Totals per account and charge unit, in minor units of that unit.
#[derive(Debug, Clone)]
pub struct Totals {
    /// Columns per account: one per charge unit.
    width: usize,
    /// Column of each unit id (`usize::MAX` for units nothing is charged in).
    column: Vec<usize>,
    units: Vec<UnitId>,
    dps: Vec<u32>,
    /// For a money column, the minor-unit digits its total is rounded to once.
    money_dp: Vec<Option<u32>>,
    minor: Vec<i128>,
    pub(super) events: Vec<EventCount>,
}

/// An account's rated events, and the columns it was charged zero in or charged through the
/// exact path (bit `min(column, 63)`): with the columns whose total is not zero, those are the
/// columns it was charged in, so an account charged zero still has its rows.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct EventCount {
    pub(super) count: u64,
    columns: u64,
}

impl Totals {
    /// Totals for `accounts` accounts over the table's charge units.
    pub fn new(table: &RatingTable, accounts: usize) -> Totals {
        let units = charge_units(table);
        let mut column = vec![usize::MAX; table.units.len()];
        for (i, u) in units.iter().enumerate() {
            column[*u as usize] = i;
        }
        let width = units.len().max(1);
        Totals {
            width,
            column,
            // Money is summed exact (12 places) and rounded once per total by the caller.
            dps: units.iter().map(|u| table.exact_dp(*u)).collect(),
            money_dp: units
                .iter()
                .map(|u| {
                    let unit = &table.units[*u as usize];
                    unit.is_money.then_some(unit.charge_dp)
                })
                .collect(),
            units,
            minor: vec![0; accounts * width],
            events: vec![EventCount::default(); accounts],
        }
    }

    /// Grows to hold `accounts` accounts.
    pub fn ensure_accounts(&mut self, accounts: usize) {
        if accounts > self.events.len() {
            self.minor.resize(accounts * self.width, 0);
            self.events.resize(accounts, EventCount::default());
        }
    }

    #[inline(always)]
    pub(super) fn add_column(&mut self, account: u32, column: usize, minor: i128) {
        self.minor[account as usize * self.width + column] += minor;
        let e = &mut self.events[account as usize];
        e.count += 1;
        // A non-zero total already shows the column; mark it only for a charge of zero (rare,
        // so the branch costs nothing on the hot path, where an `or` per event cost 10 %).
        if minor == 0 {
            e.columns |= 1 << column.min(63);
        }
    }

    pub(super) fn add_decimal(&mut self, account: u32, unit: UnitId, charge: Decimal) -> bool {
        let Some(&col) = self.column.get(unit as usize).filter(|c| **c != usize::MAX) else {
            return false;
        };
        let dp = self.dps[col];
        let mut c = charge;
        c.rescale(dp);
        if c.scale() != dp {
            return false;
        }
        self.add_column(account, col, c.mantissa());
        // The exact path may charge negative amounts, which can cancel to a zero total.
        self.events[account as usize].columns |= 1 << col.min(63);
        true
    }

    /// The total of `account` in `unit`; `Decimal::MAX` when it is beyond exact decimal range
    /// (use [`checked_amount`](Self::checked_amount) where totals may get that large).
    pub fn amount(&self, account: u32, unit: UnitId) -> Decimal {
        self.checked_amount(account, unit).unwrap_or(Decimal::MAX)
    }

    /// The total of `account` in `unit`, rounded once by the unit's rule (money to its minor
    /// unit, half away from zero), or `None` when it does not fit a 96-bit decimal (the sum of
    /// several charges can exceed what one charge may be).
    pub fn checked_amount(&self, account: u32, unit: UnitId) -> Option<Decimal> {
        let exact = self.exact_amount(account, unit)?;
        let Some(&col) = self.column.get(unit as usize).filter(|c| **c != usize::MAX) else {
            return Some(exact);
        };
        Some(match self.money_dp[col] {
            Some(dp) => {
                let mut d = exact.round_dp_with_strategy(
                    dp,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                d.rescale(dp);
                d
            }
            None => exact,
        })
    }

    /// The exact total of `account` in `unit`, before its one rounding: money keeps the
    /// [`EXACT_MONEY_DP`](crate::base::money::EXACT_MONEY_DP) places of its events' charges (add
    /// exact totals, for instance of parallel workers, then round once).
    pub fn exact_amount(&self, account: u32, unit: UnitId) -> Option<Decimal> {
        let Some(&col) = self.column.get(unit as usize).filter(|c| **c != usize::MAX) else {
            return Some(Decimal::ZERO);
        };
        let v = self
            .minor
            .get(account as usize * self.width + col)
            .copied()
            .unwrap_or(0);
        let d = Decimal::try_from_i128_with_scale(v, self.dps[col]).ok()?;
        Some(d.normalize())
    }

    /// Events rated for `account`.
    pub fn events(&self, account: u32) -> u64 {
        self.events.get(account as usize).map_or(0, |e| e.count)
    }

    /// Units `account` was charged in, zero totals included (a charge rounded to nothing). Past
    /// the 63rd charge unit of a table, only units with a non-zero total.
    pub fn units_of(&self, account: u32) -> impl Iterator<Item = UnitId> + '_ {
        let columns = self.events.get(account as usize).map_or(0, |e| e.columns);
        let base = account as usize * self.width;
        self.units
            .iter()
            .enumerate()
            .filter(move |(c, _)| {
                (*c < 63 && columns & (1 << c) != 0)
                    || self.minor.get(base + c).is_some_and(|v| *v != 0)
            })
            .map(|(_, u)| *u)
    }

    /// Adds account `from` of `other` (totals over the same table, from a parallel worker) to
    /// account `into` of these: its events, its columns' totals, and the columns it was
    /// charged in. `false`, with nothing added, when a total would overflow.
    pub(crate) fn add_account(&mut self, into: u32, other: &Totals, from: u32) -> bool {
        self.ensure_accounts(into as usize + 1);
        let (dst, src) = (into as usize * self.width, from as usize * other.width);
        let (Some(dst_row), Some(src_row)) = (
            self.minor.get(dst..dst + self.width),
            other.minor.get(src..src + other.width),
        ) else {
            return false;
        };
        if dst_row
            .iter()
            .zip(src_row)
            .any(|(a, b)| a.checked_add(*b).is_none())
        {
            return false;
        }
        let mut charged = 0u64;
        for (c, add) in other.minor[src..src + other.width].iter().enumerate() {
            self.minor[dst + c] += add;
            if *add != 0 {
                charged |= 1 << c.min(63);
            }
        }
        let o = other.events.get(from as usize).copied().unwrap_or_default();
        let e = &mut self.events[into as usize];
        e.count += o.count;
        e.columns |= o.columns | charged;
        true
    }

    /// These totals with the accounts in `order`: account `i` of the result is account
    /// `order[i]` of these. A tight loop of independent reads, so that merging sorted runs of
    /// accounts afterwards reads memory in order.
    pub(crate) fn gather(&self, order: &[u32]) -> Totals {
        let mut minor = Vec::with_capacity(order.len() * self.width);
        let mut events = Vec::with_capacity(order.len());
        for &a in order {
            let start = a as usize * self.width;
            match self.minor.get(start..start + self.width) {
                Some(row) => minor.extend_from_slice(row),
                None => minor.extend(std::iter::repeat_n(0, self.width)),
            }
            events.push(self.events.get(a as usize).copied().unwrap_or_default());
        }
        Totals {
            minor,
            events,
            ..self.clone_layout()
        }
    }

    /// The same columns, no accounts.
    fn clone_layout(&self) -> Totals {
        Totals {
            width: self.width,
            column: self.column.clone(),
            units: self.units.clone(),
            dps: self.dps.clone(),
            money_dp: self.money_dp.clone(),
            minor: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Sets `account`'s totals, events and columns back to none.
    pub(crate) fn clear_account(&mut self, account: u32) {
        let start = account as usize * self.width;
        if let Some(row) = self.minor.get_mut(start..start + self.width) {
            row.fill(0);
        }
        if let Some(e) = self.events.get_mut(account as usize) {
            *e = EventCount::default();
        }
    }

    /// Adds another set of totals over the same table (from a parallel worker) into this one.
    pub fn merge(&mut self, other: &Totals) {
        self.ensure_accounts(other.events.len());
        for (a, b) in self.minor.iter_mut().zip(&other.minor) {
            *a += b;
        }
        for (a, b) in self.events.iter_mut().zip(&other.events) {
            a.count += b.count;
            a.columns |= b.columns;
        }
    }
}
