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
///
/// An account's row is one run of `width + 1` cells: its events and the columns it was charged
/// in, packed in the first cell, then one total per column. Rating an event touches one row, so
/// one cache line for most tables (a million accounts' totals do not fit in cache). A rating
/// worker's rows also start with a tag cell, the account's name packed, so that finding the
/// account reads the row it is rated into ([`Totals::tagged`]).
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
    /// Cells a row starts with that rating never reads: one, an account table's key for the
    /// row ([`Totals::tagged`]), or none.
    tag: usize,
    /// Cells before the first row, so that a tagged table's rows start on 64-byte lines.
    offset: usize,
    /// Cells a row: `tag + width + 1`, kept so that rating an event reads one field for it.
    stride: usize,
    /// Where the first row's count cell is: `offset + tag`.
    lead: usize,
    /// Rows of `tag + width + 1` cells: the tag, [`EventCount`] packed, then the columns'
    /// totals.
    cells: Vec<i128>,
}

/// An account's rated events, and the columns it was charged zero in or charged through the
/// exact path (bit `min(column, 63)`): with the columns whose total is not zero, those are the
/// columns it was charged in, so an account charged zero still has its rows. Kept in a row's
/// first cell: the count in the high 64 bits, the columns in the low 64, so that counting an
/// event adds to one word of memory (adding 2^64 carries nothing out of the low word), not two.
#[derive(Debug, Clone, Copy, Default)]
struct EventCount {
    count: u64,
    columns: u64,
}

impl EventCount {
    fn of(cell: i128) -> EventCount {
        let bits = cell as u128;
        EventCount {
            count: (bits >> 64) as u64,
            columns: bits as u64,
        }
    }

    fn cell(self) -> i128 {
        ((u128::from(self.count) << 64) | u128::from(self.columns)) as i128
    }
}

/// Cells (of 16 bytes) in a 64-byte cache line.
const LINE_CELLS: usize = 4;

/// One event in a row's first cell ([`EventCount`]).
const ONE_EVENT: i128 = 1 << 64;

/// Column `column`'s bit in a row's first cell ([`EventCount`]).
#[inline(always)]
fn column_bit(column: usize) -> i128 {
    1 << column.min(63)
}

/// Marks `column` in a row's first cell: a charge of zero, rare on the hot path.
#[cold]
#[inline(never)]
fn mark_column(header: &mut i128, column: usize) {
    *header |= column_bit(column);
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
            tag: 0,
            offset: 0,
            stride: width + 1,
            lead: 0,
            cells: vec![0; accounts * (width + 1)],
        }
    }

    /// Totals for no accounts yet whose rows start with a tag cell of the caller's (an
    /// account's key, kept in its row so that finding the account and rating it read one place
    /// in memory).
    pub(crate) fn tagged(table: &RatingTable) -> Totals {
        let plain = Totals::new(table, 0);
        Totals {
            tag: 1,
            stride: plain.width + 2,
            lead: 1,
            ..plain
        }
    }

    /// Whether rows start with a tag cell ([`Totals::tagged`]).
    #[inline(always)]
    pub(crate) fn is_tagged(&self) -> bool {
        self.tag > 0
    }

    /// The tag cell of `account`'s row (zero when there is none).
    #[inline(always)]
    pub(crate) fn tag_of(&self, account: u32) -> i128 {
        match self.is_tagged() {
            true => self.cells.get(self.start(account)).copied().unwrap_or(0),
            false => 0,
        }
    }

    /// Sets the tag cell of `account`'s row, which must exist.
    pub(crate) fn set_tag(&mut self, account: u32, tag: i128) {
        let at = self.start(account);
        let tagged = self.is_tagged();
        if let Some(cell) = self.cells.get_mut(at).filter(|_| tagged) {
            *cell = tag;
        }
    }

    /// Cells kept past the last row: room to move the rows to a line boundary when tagged.
    fn spare(&self) -> usize {
        match self.is_tagged() {
            true => LINE_CELLS,
            false => 0,
        }
    }

    #[inline(always)]
    fn stride(&self) -> usize {
        self.stride
    }

    /// Where `account`'s row starts.
    #[inline(always)]
    fn start(&self, account: u32) -> usize {
        self.offset + account as usize * self.stride()
    }

    /// Where `account`'s row's count cell is.
    #[inline(always)]
    fn base(&self, account: u32) -> usize {
        self.lead + account as usize * self.stride
    }

    fn accounts(&self) -> usize {
        self.cells.len().saturating_sub(self.spare()) / self.stride()
    }

    fn header(&self, account: u32) -> EventCount {
        self.cells
            .get(self.base(account))
            .map_or_else(EventCount::default, |c| EventCount::of(*c))
    }

    /// The account's column totals.
    fn row(&self, account: u32) -> Option<&[i128]> {
        let start = self.base(account) + 1;
        self.cells.get(start..start + self.width)
    }

    /// Grows to hold `accounts` accounts.
    pub fn ensure_accounts(&mut self, accounts: usize) {
        if accounts > self.accounts() {
            let stride = self.stride();
            let kept = self.accounts() * stride;
            self.cells.resize(accounts * stride + self.spare(), 0);
            if self.is_tagged() {
                // Cells (16 bytes each) the buffer starts past a 64-byte line.
                let past = (self.cells.as_ptr() as usize / 16) % LINE_CELLS;
                let offset = (LINE_CELLS - past) % LINE_CELLS;
                if offset != self.offset {
                    self.cells
                        .copy_within(self.offset..self.offset + kept, offset);
                    self.offset = offset;
                    self.lead = offset + self.tag;
                }
                let from = self.offset + kept;
                if let Some(rest) = self.cells.get_mut(from..) {
                    rest.fill(0);
                }
            }
        }
    }

    /// Reads `account`'s row, to have it in cache when its event is rated: rating a batch reads
    /// every row first, so that the memory loads of different rows overlap.
    #[inline]
    pub(crate) fn warm(&self, account: u32) -> i128 {
        // Both ends: a row of more than one cell may cross into the next cache line, and an
        // event adds to its count (the first cell) and to one of its columns.
        let first = self.base(account);
        let last = first + self.width;
        self.cells.get(first).copied().unwrap_or(0) ^ self.cells.get(last).copied().unwrap_or(0)
    }

    #[inline(always)]
    pub(super) fn add_column(&mut self, account: u32, column: usize, minor: i128) {
        self.add_cell(account, column + 1, minor);
    }

    /// [`Totals::add_column`] by the column's cell in a row (`1 + column`), which the rater's
    /// fast path keeps per key: one add fewer an event.
    #[inline(always)]
    pub(super) fn add_cell(&mut self, account: u32, cell: usize, minor: i128) {
        let base = self.base(account);
        self.cells[base + cell] += minor;
        let header = &mut self.cells[base];
        *header += ONE_EVENT;
        // A non-zero total already shows the column; mark it only for a charge of zero (rare,
        // so the branch costs nothing on the hot path, where an `or` per event cost 10 %). Out
        // of line, so that the count stays one add to the high word of memory.
        if minor == 0 {
            mark_column(header, cell.wrapping_sub(1));
        }
    }

    /// Counts an event of `account` charged nothing (a free product).
    pub(super) fn count_event(&mut self, account: u32) {
        let base = self.base(account);
        if let Some(header) = self.cells.get_mut(base) {
            *header += ONE_EVENT;
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
        let base = self.base(account);
        self.cells[base] |= column_bit(col);
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
        let v = self.row(account).map_or(0, |r| r[col]);
        crate::base::money::normalized(v, self.dps[col])
    }

    /// Events rated for `account`.
    pub fn events(&self, account: u32) -> u64 {
        self.header(account).count
    }

    /// Units `account` was charged in, zero totals included (a charge rounded to nothing). Past
    /// the 63rd charge unit of a table, only units with a non-zero total.
    pub fn units_of(&self, account: u32) -> impl Iterator<Item = UnitId> + '_ {
        let columns = self.header(account).columns;
        let row = self.row(account).unwrap_or_default();
        self.units
            .iter()
            .enumerate()
            .filter(move |(c, _)| {
                (*c < 63 && columns & (1 << c) != 0) || row.get(*c).is_some_and(|v| *v != 0)
            })
            .map(|(_, u)| *u)
    }

    /// Adds account `from` of `other` (totals over the same table, from a parallel worker) to
    /// account `into` of these: its events, its columns' totals, and the columns it was
    /// charged in. `false`, with nothing added, when a total would overflow.
    pub(crate) fn add_account(&mut self, into: u32, other: &Totals, from: u32) -> bool {
        self.ensure_accounts(into as usize + 1);
        let (Some(dst), Some(src)) = (self.row(into), other.row(from)) else {
            return false;
        };
        if dst.len() != src.len()
            || dst
                .iter()
                .zip(src)
                .any(|(a, b)| a.checked_add(*b).is_none())
        {
            return false;
        }
        let mut charged = 0u64;
        let base = self.base(into);
        for (c, add) in src.iter().enumerate() {
            self.cells[base + 1 + c] += add;
            if *add != 0 {
                charged |= 1 << c.min(63);
            }
        }
        let o = other.header(from);
        let e = self.header(into);
        self.cells[base] = EventCount {
            count: e.count + o.count,
            columns: e.columns | o.columns | charged,
        }
        .cell();
        true
    }

    /// Sets `account`'s totals, events and columns back to none.
    pub(crate) fn clear_account(&mut self, account: u32) {
        // From the count on: a tag is the caller's, not a total.
        let start = self.base(account);
        let end = start + 1 + self.width;
        if let Some(row) = self.cells.get_mut(start..end) {
            row.fill(0);
        }
    }

    /// Adds another set of totals over the same table (from a parallel worker) into this one.
    pub fn merge(&mut self, other: &Totals) {
        self.ensure_accounts(other.accounts());
        let (stride, other_stride) = (self.stride(), other.stride());
        let (tag, other_tag) = (self.tag, other.tag);
        let mine = self.cells.get_mut(self.offset..).unwrap_or_default();
        let theirs = other.cells.get(other.offset..).unwrap_or_default();
        for (mine, theirs) in mine
            .chunks_exact_mut(stride)
            .zip(theirs.chunks_exact(other_stride))
        {
            let (Some(mine), Some(theirs)) = (mine.get_mut(tag..), theirs.get(other_tag..)) else {
                continue;
            };
            let (e, o) = (EventCount::of(mine[0]), EventCount::of(theirs[0]));
            mine[0] = EventCount {
                count: e.count + o.count,
                columns: e.columns | o.columns,
            }
            .cell();
            for (x, y) in mine[1..].iter_mut().zip(&theirs[1..]) {
                *x += y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Totals;

    /// Rows with a tag cell keep their tags, events and totals through every growth of the
    /// buffer (which moves the rows to start on a 64-byte line again), start on a line when
    /// four cells wide, and add, clear and merge as rows without a tag do.
    #[test]
    fn tagged_rows_total_as_plain_ones() {
        let table = crate::pipeline::compile_source(
            r#"
pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Render" as render { measure time  rate 2 credit / second }
product "Store" as store { measure time  rate 3 USD / second }
"#,
        )
        .expect("a clean book");
        let mut tagged = Totals::tagged(&table);
        let mut plain = Totals::new(&table, 0);
        assert_eq!(tagged.stride(), 4, "two charge units, a count and a tag");
        let tag = |a: u32| i128::from(a) | (1 << 120);
        let accounts = 40_000u32;
        for a in 0..accounts {
            tagged.ensure_accounts(a as usize + 1);
            plain.ensure_accounts(a as usize + 1);
            tagged.set_tag(a, tag(a));
            for t in [&mut tagged, &mut plain] {
                t.add_column(a, (a % 2) as usize, i128::from(a) + 1);
                // An earlier account again, and a charge of zero now and then.
                t.add_column(a / 3, 0, i128::from(a % 5));
            }
            let line = (tagged.cells.as_ptr() as usize + 16 * tagged.start(a)) % 64;
            assert_eq!(line, 0, "account {a}'s row starts on a line");
        }
        tagged.clear_account(7);
        plain.clear_account(7);
        let same = |x: &Totals, y: &Totals, a: u32| {
            assert_eq!(x.events(a), y.events(a), "{a}");
            assert_eq!(
                x.units_of(a).collect::<Vec<_>>(),
                y.units_of(a).collect::<Vec<_>>(),
                "{a}"
            );
            for u in 0..table.units.len() as u32 {
                assert_eq!(x.exact_amount(a, u), y.exact_amount(a, u), "{a}");
            }
        };
        for a in 0..accounts {
            same(&tagged, &plain, a);
            assert_eq!(tagged.tag_of(a), tag(a), "{a}: kept, clear or not");
        }
        // Merged either way, and one account added to another: as without tags.
        let mut into_plain = Totals::new(&table, 0);
        into_plain.merge(&tagged);
        let mut into_tagged = Totals::tagged(&table);
        into_tagged.merge(&plain);
        for a in 0..accounts {
            same(&into_plain, &plain, a);
            same(&into_tagged, &plain, a);
        }
        let other = plain.clone();
        assert!(tagged.add_account(1, &other, 2));
        assert!(plain.add_account(1, &other, 2));
        assert!(plain.events(1) > other.events(1));
        for a in 0..accounts {
            same(&tagged, &plain, a);
        }
    }
}
