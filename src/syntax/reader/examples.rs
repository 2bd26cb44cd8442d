//! Reading worked examples: `test` blocks and their quote statements (bill tests go to pest).

use super::*;

impl Reader<'_> {
    /// `test_block`, after `test`. `bill` examples are left to pest.
    pub(super) fn test_block(&mut self) -> Option<Item> {
        self.skip();
        let name = self.string()?;
        let body = self.block(|r| match r.peek()? {
            b'q' if r.kw(b"quote") => r.quote_test(),
            b'c' if r.kw(b"capacity") => {
                r.skip();
                let target = r.target()?;
                let dims = r.dim_args();
                let at = r.at_date();
                r.skip();
                r.lit(b"==")?;
                r.skip();
                let expect = r.quantity()?;
                Some(TestStmt::Capacity {
                    target,
                    dims,
                    at,
                    expect,
                })
            }
            _ => None,
        })?;
        Some(Item::Test(TestBlock { name, body }))
    }

    pub(super) fn quote_test(&mut self) -> Option<TestStmt> {
        self.skip();
        let target = self.target()?;
        let dims = self.dim_args();
        let attrs = self.attr_args();
        let used = self.attempt(|r| {
            r.skip();
            r.kw_(b"used")?;
            r.skip();
            r.quantity()
        });
        self.skip();
        self.kw_(b"quantity")?;
        self.skip();
        let quantity = self.quantity()?;
        let at = self.at_date();
        self.skip();
        let start = self.pos;
        let expect = if self.lit(b"==").is_some() {
            self.skip();
            let charge = self.quantity()?;
            let money = self.after(b",", |r| {
                r.kw_(b"money")?;
                r.skip();
                r.quantity()
            });
            QuoteExpect::Charge { charge, money }
        } else {
            self.kw_(b"rejects")?;
            let kind = self.attempt(|r| {
                r.skip();
                r.rejection_kind()
            });
            let text = self.attempt(|r| {
                r.skip();
                r.string()
            });
            QuoteExpect::Rejects { kind, text }
        };
        Some(TestStmt::Quote {
            target,
            dims,
            attrs,
            used,
            quantity,
            at,
            expect: Spanned::new(expect, Span::new(start, self.last)),
        })
    }

    /// `rejection_kind`: one of the kinds' names, not followed by an identifier character.
    pub(super) fn rejection_kind(&mut self) -> Option<Name> {
        let start = self.pos;
        for k in crate::base::rejection::RejectionKind::ALL {
            if self.kw(k.name().as_bytes()) {
                return Some(self.text_at(Span::new(start, self.pos)));
            }
        }
        None
    }

    /// `target`: `(plan ident)? product ident`.
    pub(super) fn target(&mut self) -> Option<Target> {
        let plan = self.attempt(|r| {
            r.kw_(b"plan")?;
            r.skip();
            r.name()
        });
        self.skip();
        self.kw_(b"product")?;
        self.skip();
        let product = match self.name() {
            Some(n) => n,
            None => self.string()?,
        };
        Some(Target { plan, product })
    }

    /// `dim_arg*`
    pub(super) fn dim_args(&mut self) -> Vec<Spanned<DimArg>> {
        let mut out = Vec::new();
        while let Some(d) = self.attempt(|r| {
            r.skip();
            let start = r.pos;
            r.kw_(b"dim")?;
            r.skip();
            let dimension = r.attempt(|r| {
                let n = r.name()?;
                r.skip();
                r.eq()?;
                Some(n)
            });
            r.skip();
            let value = r.dim_single()?;
            Some(Spanned::new(
                DimArg { dimension, value },
                Span::new(start, r.last),
            ))
        }) {
            out.push(d);
        }
        out
    }

    /// `attr_arg*`: `attr scenes = 51`.
    pub(super) fn attr_args(&mut self) -> Vec<Spanned<AttrArg>> {
        let mut out = Vec::new();
        while let Some(a) = self.attempt(|r| {
            r.skip();
            let start = r.pos;
            r.kw_(b"attr")?;
            r.skip();
            let name = r.dim_single()?;
            r.skip();
            r.eq()?;
            r.skip();
            let quantity = r.attempt(|r| {
                let q = r.quantity()?;
                (q.unit.node != "quantity" && q.unit.node != "used").then_some(q)
            });
            let value = if let Some(q) = quantity {
                AttrValue::Quantity(q)
            } else {
                AttrValue::Number(r.number()?)
            };
            Some(Spanned::new(
                AttrArg { name, value },
                Span::new(start, r.last),
            ))
        }) {
            out.push(a);
        }
        out
    }

    /// `at_date?`
    pub(super) fn at_date(&mut self) -> Option<Spanned<String>> {
        self.attempt(|r| {
            r.skip();
            r.kw_(b"at")?;
            r.skip();
            r.date()
        })
    }
}
