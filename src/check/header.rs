//! The header pass: the book's `pricebook` (or `contract`) line, its effective date and currency.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn header(&mut self) -> Option<(String, String, Date, String)> {
        let mut found: Option<(Span, (String, String, Date, String))> = None;
        let mut first_span = None;
        let book = self.book;
        for item in &book.items {
            let (vendor, version, effective, currency, span) = match &item.node {
                Item::Header(h) => (
                    {
                        self.list = crate::model::list_name(h.list.as_ref());
                        h.vendor.node.clone()
                    },
                    h.version.node.clone(),
                    &h.effective,
                    Some(&h.currency),
                    item.span,
                ),
                Item::Contract(c) => {
                    self.is_contract = true;
                    self.list = crate::model::list_name(c.list.as_ref());
                    (
                        c.vendor.node.clone(),
                        c.version
                            .as_ref()
                            .map(|v| v.node.clone())
                            .unwrap_or_default(),
                        &c.effective,
                        None,
                        item.span,
                    )
                }
                _ => continue,
            };
            if let Some((prev, _)) = &found {
                let prev = *prev;
                self.push(diagnostics::second_header(span, prev));
                continue;
            }
            first_span.get_or_insert(span);
            let date = self.date(effective);
            self.effective = date;
            let mut known_currency = true;
            let currency = match currency {
                Some(c) => {
                    if currency_digits(&c.node).is_none() {
                        known_currency = false;
                        let suggestion =
                            did_you_mean(&c.node, units::CURRENCIES.iter().map(|(c, _)| *c));
                        self.push(diagnostics::unknown_currency(&c.node, c.span, suggestion));
                    }
                    c.node.clone()
                }
                None => "USD".into(),
            };
            // An unknown currency is reported once; prices are then not compared against it.
            self.currency = known_currency.then(|| currency.clone());
            if let Some(date) = date {
                found = Some((span, (vendor, version, date, currency)));
            }
        }
        if first_span.is_none() {
            let at = book
                .items
                .first()
                .map(|i| Span::new(i.span.start, i.span.start))
                .unwrap_or_default();
            self.push(diagnostics::no_header(at));
        }
        found.map(|(_, h)| h)
    }

    pub(super) fn date(&mut self, d: &Spanned<String>) -> Option<Date> {
        let parsed = Date::parse(&d.node);
        if parsed.is_none() {
            self.push(diagnostics::invalid_date(&d.node, d.span));
        }
        parsed
    }
}
