//! The ledger of `bill --explain`: each usage event, its charge, and what each grant gave.

use super::engine::*;
use super::*;

impl Engine<'_, '_> {
    /// Records how a usage event was paid, for `bill --explain` (nothing otherwise): its charge,
    /// and what each grant in `taken` (grant index, base units) gave and had left.
    pub(super) fn note(
        &mut self,
        e: &UsageEvent,
        product: ProductId,
        q: &crate::table::TableQuote,
        paid_by: &'static str,
        taken: Vec<(usize, Decimal)>,
        overage: Option<String>,
    ) {
        if !self.request.explain {
            return;
        }
        let table = self.table;
        let p = &table.products[product as usize];
        let in_unit = |base: Decimal, unit: UnitId| {
            base.checked_div(factor_of(table, unit))
                .map_or(base, |v| v.normalize())
        };
        let draws = taken
            .into_iter()
            .map(|(i, take)| {
                let g = &self.wallet.grants[i];
                LedgerDraw {
                    grant: g.name.clone(),
                    unit: table.unit_name(g.unit).to_string(),
                    amount: in_unit(take, g.unit),
                    left: in_unit(g.remaining(), g.unit),
                }
            })
            .collect();
        self.ledger.push(LedgerEntry {
            line: e.line,
            time: format_instant(e.time),
            product: p.slug.clone(),
            quantity: format!("{} {}", q.quantity.normalize(), table.base_unit(&p.measure)),
            charge: q
                .unit
                .map(|u| format!("{} {}", q.exact.normalize(), table.unit_name(u))),
            paid_by,
            draws,
            overage,
        });
    }
}
