//! Examples for help texts, taken from the book being checked: its currency, its wallet unit, the unit a product is measured in.

use super::prelude::*;

impl Cx<'_> {
    /// The book's currency, for examples in help texts (`USD` when the header gives none).
    pub(super) fn currency_or_usd(&self) -> String {
        self.currency.clone().unwrap_or_else(|| "USD".into())
    }

    /// The unit this book charges in, for examples: its wallet unit (`credit`), else a unit it
    /// declares, else its currency.
    pub(super) fn wallet_or_currency(&self) -> String {
        self.wallet_units
            .iter()
            .min()
            .cloned()
            .or_else(|| {
                self.units
                    .units
                    .iter()
                    .find(|u| u.declared)
                    .map(|u| u.name.clone())
            })
            .unwrap_or_else(|| self.currency_or_usd())
    }

    /// The base unit of a dimension (`second` for time), for examples.
    pub(super) fn base_of(&self, d: &Dimension) -> String {
        self.units
            .units
            .iter()
            .find(|u| &u.dimension == d && u.factor == Decimal::ONE)
            .map_or_else(|| d.describe(), |u| u.name.clone())
    }

    /// An example rate for a product measured in `d`: `1 credit / second`.
    pub(super) fn example_rate(&self, d: &Dimension) -> String {
        format!("1 {} / {}", self.wallet_or_currency(), self.base_of(d))
    }

    /// An example cell key of a product priced by `dims`: the first value of each.
    pub(super) fn example_cell(&self, dims: &[usize]) -> String {
        dims.iter()
            .filter_map(|d| self.dimensions.get(*d).and_then(|d| d.values.first()))
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }
}
