//! Reading the pricing items: header, units, dimensions, products, plans, grants, limits, packs.

use super::*;

impl Reader<'_> {
    /// An item, or `None` to leave it to pest.
    pub(super) fn item(&mut self) -> Option<Item> {
        self.overflow = false;
        let item = match self.peek()? {
            b'p' if self.kw(b"pricebook") => self.header(),
            b'p' if self.kw(b"product") => self.product(),
            b'p' if self.kw(b"plan") => self.plan(),
            b'p' if self.kw(b"pack") => self.pack(),
            b'u' if self.kw(b"unit") => self.unit_decl(),
            b'd' if self.kw(b"dimension") => self.dimension_decl(),
            b'a' if self.kw(b"attribute") => {
                self.skip();
                self.words()
                    .map(|name| Item::Attribute(AttributeDecl { name }))
            }
            b'f' if self.kw(b"floor") => {
                self.skip();
                self.rate_expr().map(Item::Floor)
            }
            b'a' if self.kw(b"allow") => self.allow().map(Item::Allow),
            b't' if self.kw(b"test") => self.test_block(),
            _ => None,
        }?;
        (!self.overflow).then_some(item)
    }

    pub(super) fn header(&mut self) -> Option<Item> {
        self.skip();
        let vendor = self.name()?;
        let list = self.attempt(|r| {
            r.skip();
            r.kw_(b"list")?;
            r.skip();
            r.name()
        });
        self.skip();
        self.kw_(b"version")?;
        self.skip();
        let version = self.string()?;
        self.skip();
        self.kw_(b"effective")?;
        self.skip();
        let effective = self.date()?;
        self.skip();
        self.kw_(b"currency")?;
        self.skip();
        let currency = self.name()?;
        Some(Item::Header(Header {
            vendor,
            list,
            version,
            effective,
            currency,
        }))
    }

    pub(super) fn unit_decl(&mut self) -> Option<Item> {
        self.skip();
        let name = self.name()?;
        let equals = self.attempt(|r| {
            r.skip();
            r.eq()?;
            r.skip();
            r.quantity()
        });
        let divisible = self.attempt(|r| {
            r.skip();
            let start = r.pos;
            r.kw_(b"divisible")?;
            Some(Spanned::new((), Span::new(start, r.pos)))
        });
        Some(Item::Unit(UnitDecl {
            name,
            equals,
            divisible,
        }))
    }

    pub(super) fn dimension_decl(&mut self) -> Option<Item> {
        self.skip();
        let name = self.name()?;
        self.skip();
        self.lit(b"{")?;
        self.skip();
        let values = self.separated(b",", Self::dim_value)?;
        let _ = self.attempt(|r| {
            r.skip();
            r.lit(b",")
        });
        self.skip();
        self.lit(b"}")?;
        let default = self.attempt(|r| {
            r.skip();
            r.kw_(b"default")?;
            r.skip();
            r.dim_single()
        });
        Some(Item::Dimension(DimensionDecl {
            name,
            values,
            default,
        }))
    }

    /// `string ~ kw_as ~ ident`, the head of a product, plan or pack.
    pub(super) fn display_as(&mut self) -> Option<(Spanned<String>, Name)> {
        self.skip();
        let display = self.string()?;
        self.skip();
        self.kw_(b"as")?;
        self.skip();
        let slug = self.name()?;
        Some((display, slug))
    }

    pub(super) fn product(&mut self) -> Option<Item> {
        let (display, slug) = self.display_as()?;
        let body = self.block(Self::product_stmt)?;
        Some(Item::Product(Product {
            display,
            slug,
            body,
        }))
    }

    pub(super) fn product_stmt(&mut self) -> Option<ProductStmt> {
        match self.peek()? {
            b'm' if self.kw(b"measure") => {
                self.skip();
                self.name().map(ProductStmt::Measure)
            }
            b'r' if self.kw(b"rate") => self.rate_stmt(),
            b't' if self.kw(b"tiers") => self.tiers_stmt(),
            b'f' if self.kw(b"flat") => {
                let (amount, per) = self.amount_per(false)?;
                Some(ProductStmt::Flat { amount, per })
            }
            b'f' if self.kw(b"free") => Some(ProductStmt::Free),
            b'r' if self.kw(b"round") => {
                self.skip();
                let mode = if self.kw(b"up") {
                    RoundMode::Up
                } else if self.kw(b"down") {
                    RoundMode::Down
                } else if self.kw(b"nearest") {
                    RoundMode::Nearest
                } else {
                    return None;
                };
                self.skip();
                self.kw_(b"to")?;
                self.skip();
                let to = self.quantity()?;
                Some(ProductStmt::Round { mode, to })
            }
            b'p' if self.kw(b"prorate") => Some(ProductStmt::Prorate),
            b'f' if self.kw(b"fee") => self.fee().map(ProductStmt::Fee),
            b'm' if self.kw(b"min") => {
                self.skip();
                self.quantity().map(ProductStmt::Min)
            }
            b'm' if self.kw(b"max") => {
                self.skip();
                self.quantity().map(ProductStmt::Max)
            }
            b'o' if self.kw(b"outside") => {
                self.skip();
                self.kw_(b"wallet")?;
                Some(ProductStmt::OutsideWallet)
            }
            b'b' if self.kw(b"bill") => self.bill_bound(),
            b'd' if self.kw(b"dims") => {
                self.skip();
                self.ident_list().map(ProductStmt::Dims)
            }
            b'a' if self.kw(b"aka") => {
                self.skip();
                self.separated(b",", Self::string).map(ProductStmt::Aka)
            }
            b'a' if self.kw(b"allow") => self.allow().map(ProductStmt::Allow),
            _ => None,
        }
    }

    /// `bill_bound_stmt`, after `bill`: `at least|most`, a quantity, then `per event|period`.
    fn bill_bound(&mut self) -> Option<ProductStmt> {
        self.skip();
        self.kw_(b"at")?;
        self.skip();
        let bound = if self.kw(b"least") {
            BillBound::AtLeast
        } else if self.kw(b"most") {
            BillBound::AtMost
        } else {
            return None;
        };
        self.skip();
        let amount = self.quantity()?;
        let scope = self.attempt(Self::per_event_or_period);
        Some(ProductStmt::Bill {
            bound,
            amount,
            scope,
        })
    }

    /// `per event` or `per period` (what tiers count, or what a `bill at most` cap counts).
    fn per_event_or_period(&mut self) -> Option<TierScope> {
        self.skip();
        self.kw_(b"per")?;
        self.skip();
        if self.kw(b"event") {
            Some(TierScope::Event)
        } else if self.kw(b"period") {
            Some(TierScope::Period)
        } else {
            None
        }
    }

    /// Reads `cell_values` without building it: the same matching as [`Self::cell_values`]
    /// (a `Vec<()>` does not allocate).
    fn cell_values_span(&mut self) -> Option<()> {
        self.separated(b"|", |r| r.dim_value_span().map(drop))
            .map(drop)
    }

    /// `cell_values`: `720p`, or `720p | 1080p`.
    fn cell_values(&mut self) -> Option<CellValues> {
        self.separated(b"|", Self::dim_value)
    }

    /// `rate_stmt`, after `rate`: an optional matrix cell key and `=`, then a rate or
    /// `not offered`.
    pub(super) fn rate_stmt(&mut self) -> Option<ProductStmt> {
        self.skip();
        // Most rates have no cell key: find out before building one (reading the values'
        // spans only: building the text of what is not a key and dropping it allocated per rate).
        let start = self.mark();
        let has_key = self
            .attempt(|r| {
                r.separated(b",", Self::cell_values_span)?;
                r.skip();
                r.eq()
            })
            .is_some();
        self.reset(start);
        let mut key = Vec::new();
        if has_key {
            key = self.separated(b",", Self::cell_values)?;
            self.skip();
            self.eq()?;
            self.skip();
        }
        if let Some(rate) = self.rate_expr() {
            return Some(ProductStmt::Rate {
                key,
                rate: Some(rate),
            });
        }
        let not_offered = self.attempt(|r| {
            r.kw_(b"not")?;
            r.skip();
            r.kw_(b"offered")
        });
        if not_offered.is_some() {
            return Some(ProductStmt::Rate { key, rate: None });
        }
        // The grammar's second choice, from just after `rate`.
        self.reset(start);
        self.kw_(b"unpublished")?;
        Some(ProductStmt::Unpublished)
    }

    pub(super) fn tiers_stmt(&mut self) -> Option<ProductStmt> {
        self.skip();
        let mode = if self.kw(b"graduated") {
            TierMode::Graduated
        } else if self.kw(b"volume") {
            TierMode::Volume
        } else {
            return None;
        };
        let scope = self.attempt(Self::per_event_or_period);
        let tiers = self.block(|r| {
            let from = r.quantity()?;
            r.skip();
            r.lit(b"..")?;
            r.skip();
            let to = r.quantity();
            r.skip();
            r.lit(b":")?;
            r.skip();
            let rate = r.rate_expr()?;
            Some(Tier { from, to, rate })
        })?;
        Some(ProductStmt::Tiers { mode, scope, tiers })
    }

    /// `number ~ ident ~ (per ~ ident)?` (`flat`, `cap`), or with the `per` part required
    /// (`commit`), after the keyword.
    pub(super) fn amount_per(&mut self, per_required: bool) -> Option<(Quantity, Option<Name>)> {
        self.skip();
        let value = self.number()?;
        self.skip();
        let unit = self.name()?;
        let per = self.attempt(|r| {
            r.skip();
            r.per()?;
            r.skip();
            r.name()
        });
        if per_required && per.is_none() {
            return None;
        }
        Some((Quantity { value, unit }, per))
    }

    pub(super) fn plan(&mut self) -> Option<Item> {
        let (display, slug) = self.display_as()?;
        let based_on = self.attempt(|r| {
            r.skip();
            r.kw_(b"based")?;
            r.skip();
            r.kw_(b"on")?;
            r.skip();
            r.name()
        });
        let body = self.block(Self::plan_stmt)?;
        Some(Item::Plan(Plan {
            display,
            slug,
            based_on,
            body,
        }))
    }

    pub(super) fn plan_stmt(&mut self) -> Option<PlanStmt> {
        match self.peek()? {
            b'p' if self.kw(b"price") => {
                let (price, minimum) = self.price_stmt()?;
                Some(PlanStmt::Price { price, minimum })
            }
            b'b' if self.kw(b"billing") => {
                self.skip();
                self.ident_list().map(PlanStmt::Billing)
            }
            b'g' if self.kw(b"grant") => self.grant().map(PlanStmt::Grant),
            b'p' if self.kw(b"packs") => {
                self.skip();
                if self.kw(b"allowed") {
                    return Some(PlanStmt::Packs(true));
                }
                self.kw_(b"not")?;
                self.skip();
                self.kw_(b"allowed")?;
                Some(PlanStmt::Packs(false))
            }
            b'p' if self.kw(b"products") => {
                self.skip();
                if self.kw(b"all") {
                    return Some(PlanStmt::Products(None));
                }
                self.ident_list().map(|l| PlanStmt::Products(Some(l)))
            }
            b'd' if self.kw(b"deny") => {
                self.skip();
                self.ident_list().map(PlanStmt::Deny)
            }
            b'l' if self.kw(b"limit") => self.limit().map(PlanStmt::Limit),
            b'a' if self.kw(b"allowance") => self.allowance().map(PlanStmt::Allowance),
            b't' if self.kw(b"top") => self.top_up().map(PlanStmt::TopUp),
            b'f' if self.kw(b"fee") => self.fee().map(PlanStmt::Fee),
            b'f' if self.kw(b"feature") => {
                self.skip();
                let name = self.name()?;
                self.skip();
                self.eq()?;
                self.skip();
                let start = self.pos;
                let value = if let Some(q) = self.quantity() {
                    FeatureValue::Quantity(q)
                } else if let Some(n) = self.number() {
                    FeatureValue::Number(n)
                } else if let Some(s) = self.string() {
                    FeatureValue::Text(s.node)
                } else {
                    FeatureValue::Word(self.name()?.node)
                };
                let value = Spanned::new(value, Span::new(start, self.last));
                Some(PlanStmt::Feature { name, value })
            }
            b'w' if self.kw(b"when") => {
                self.skip();
                self.kw_(b"empty")?;
                self.skip();
                let start = self.pos;
                let rule = if self.kw(b"reject") {
                    EmptyRule::Reject
                } else if self.kw(b"overage") {
                    EmptyRule::Overage(self.attempt(|r| {
                        r.skip();
                        r.rate_expr()
                    }))
                } else {
                    self.kw_(b"auto")?;
                    self.skip();
                    self.kw_(b"recharge")?;
                    EmptyRule::AutoRecharge
                };
                Some(PlanStmt::WhenEmpty(Spanned::new(
                    rule,
                    Span::new(start, self.last),
                )))
            }
            b'c' if self.kw(b"commit") => {
                let (amount, per) = self.amount_per(true)?;
                Some(PlanStmt::Commit { amount, per: per? })
            }
            b'i' if self.kw(b"includes") => {
                self.skip();
                let amount = self.quantity()?;
                let at = self.attempt(|r| {
                    r.skip();
                    r.kw_(b"at")?;
                    r.skip();
                    r.rate_expr()
                });
                Some(PlanStmt::Includes { amount, at })
            }
            b'o' if self.kw(b"overage") => {
                self.skip();
                self.rate_expr().map(PlanStmt::Overage)
            }
            b'r' if self.kw(b"rate") => {
                self.skip();
                let product = self.name()?;
                self.skip();
                self.eq()?;
                self.skip();
                let rate = self.rate_expr()?;
                Some(PlanStmt::RateOverride { product, rate })
            }
            b'a' if self.kw(b"allow") => self.allow().map(PlanStmt::Allow),
            _ => None,
        }
    }

    /// `price_stmt`, after `price`.
    pub(super) fn price_stmt(&mut self) -> Option<(Spanned<Price>, Option<PriceExpr>)> {
        self.skip();
        let start = self.pos;
        let price = if self.kw(b"custom") {
            Price::Custom
        } else if self.kw(b"unpublished") {
            Price::Unpublished
        } else {
            Price::Amount(self.price_expr()?)
        };
        let price = Spanned::new(price, Span::new(start, self.last));
        let minimum = self.after(b",", |r| {
            r.kw_(b"minimum")?;
            r.skip();
            r.price_expr()
        });
        Some((price, minimum))
    }

    /// `grant_stmt`, after `grant`.
    pub(super) fn grant(&mut self) -> Option<Grant> {
        self.skip();
        let custom_at = self.pos;
        let custom = self.attempt(|r| {
            r.kw_(b"custom")?;
            let end = r.last;
            r.hs()?;
            let unit = r.name()?;
            Some((Span::new(custom_at, end), unit))
        });
        let (amount, contract_set) = match custom {
            Some((at, unit)) => (
                Quantity {
                    value: Spanned::new(Decimal::ZERO, at),
                    unit,
                },
                Some(Spanned::new((), at)),
            ),
            None => (self.quantity()?, None),
        };
        let cadence = self.attempt(|r| {
            r.skip();
            let start = r.pos;
            let c = if r.kw(b"once") {
                Cadence::Once
            } else {
                r.kw_(b"every")?;
                r.skip();
                Cadence::Every(r.name()?)
            };
            Some(Spanned::new(c, Span::new(start, r.last)))
        });
        let mut expiry = Vec::new();
        let mut priority = Vec::new();
        loop {
            let m = self.mark();
            self.skip();
            if self.lit(b",").is_none() {
                self.reset(m);
                break;
            }
            self.skip();
            let start = self.pos;
            if let Some(e) = self.expiry() {
                expiry.push(Spanned::new(e, Span::new(start, self.last)));
                continue;
            }
            let n = self.attempt(|r| {
                r.kw_(b"priority")?;
                r.skip();
                r.number()
            });
            match n {
                Some(n) => priority.push(n),
                None => {
                    self.reset(m);
                    break;
                }
            }
        }
        Some(Grant {
            amount,
            contract_set,
            cadence,
            expiry,
            priority,
        })
    }

    /// `expiry`
    pub(super) fn expiry(&mut self) -> Option<Expiry> {
        if self
            .attempt(|r| {
                r.kw_(b"never")?;
                r.skip();
                r.kw_(b"expires")
            })
            .is_some()
        {
            return Some(Expiry::Never);
        }
        for (word, e) in [
            (&b"cycle"[..], Expiry::CycleEnd),
            (&b"contract"[..], Expiry::ContractEnd),
        ] {
            let found = self.attempt(|r| {
                r.kw_(b"expires")?;
                r.skip();
                r.kw_(b"at")?;
                r.skip();
                r.kw_(word)?;
                r.skip();
                r.kw_(b"end")
            });
            if found.is_some() {
                return Some(e);
            }
        }
        self.attempt(|r| {
            r.kw_(b"expires")?;
            r.skip();
            r.kw_(b"after")?;
            r.skip();
            r.quantity().map(Expiry::After)
        })
    }

    /// `ident+`: the words of a limit's or an attribute's name.
    pub(super) fn words(&mut self) -> Option<Vec<Name>> {
        let mut name = vec![self.name()?];
        while let Some(n) = self.attempt(|r| {
            r.skip();
            r.name()
        }) {
            name.push(n);
        }
        Some(name)
    }

    /// `limit_value`
    fn limit_value(&mut self) -> Option<Spanned<LimitValue>> {
        let start = self.pos;
        let value = if let Some(q) = self.quantity() {
            LimitValue::Quantity(q)
        } else if let Some(n) = self.number() {
            LimitValue::Number(n)
        } else {
            LimitValue::DimValue(self.dim_single()?)
        };
        Some(Spanned::new(value, Span::new(start, self.last)))
    }

    /// `limit_stmt`, after `limit`.
    pub(super) fn limit(&mut self) -> Option<Limit> {
        self.skip();
        let name = self.words()?;
        self.skip();
        let (op, value, upper) = if self.kw(b"between") {
            self.skip();
            let low = self.limit_value()?;
            self.skip();
            self.kw_(b"and")?;
            self.skip();
            (LimitOp::Between, low, Some(self.limit_value()?))
        } else {
            // Longest operator first, as the grammar's ordered choice does.
            let (text, op) = [
                (b"<=".as_slice(), LimitOp::Le),
                (b">=", LimitOp::Ge),
                (b"==", LimitOp::Eq),
                (b"<", LimitOp::Lt),
                (b">", LimitOp::Gt),
            ]
            .into_iter()
            .find(|(o, _)| self.s[self.pos..].starts_with(o))?;
            self.lit(text)?;
            self.skip();
            (op, self.limit_value()?, None)
        };
        let window = self.attempt(|r| {
            r.skip();
            r.kw_(b"per")?;
            r.skip();
            r.name()
        });
        let scope = self
            .attempt(|r| {
                r.skip();
                r.kw_(b"on")?;
                r.skip();
                r.ident_list()
            })
            .unwrap_or_default();
        let informational = self
            .attempt(|r| {
                r.skip();
                r.kw_(b"informational")
            })
            .is_some();
        Some(Limit {
            name,
            op,
            value,
            upper,
            window,
            scope,
            informational,
        })
    }

    /// `fee_stmt`, after `fee`.
    pub(super) fn fee(&mut self) -> Option<Fee> {
        self.skip();
        let name = self.string()?;
        self.skip();
        let amount = if self.kw(b"between") {
            self.skip();
            let lo = self.quantity()?;
            self.skip();
            self.kw_(b"and")?;
            self.skip();
            FeeAmount::Between(lo, self.quantity()?)
        } else if self.kw(b"at") {
            self.skip();
            self.kw_(b"least")?;
            self.skip();
            FeeAmount::AtLeast(self.quantity()?)
        } else {
            FeeAmount::Exact(self.quantity()?)
        };
        self.skip();
        let start = self.pos;
        let cadence = if self.kw(b"once") {
            Cadence::Once
        } else {
            self.kw_(b"every")?;
            self.skip();
            Cadence::Every(self.name()?)
        };
        Some(Fee {
            name,
            amount,
            cadence: Spanned::new(cadence, Span::new(start, self.last)),
        })
    }

    /// `topup_stmt`, after `top`.
    pub(super) fn top_up(&mut self) -> Option<TopUp> {
        self.skip();
        self.kw_(b"up")?;
        self.skip();
        let currency = self.name()?;
        let mut minimum = None;
        let mut maximum = None;
        let mut expiry = Vec::new();
        loop {
            let opt = self.after(b",", |r| {
                if r.kw(b"minimum") {
                    r.skip();
                    return Some((0, Some(r.quantity()?), None));
                }
                if r.kw(b"maximum") {
                    r.skip();
                    return Some((1, Some(r.quantity()?), None));
                }
                let start = r.pos;
                let e = r.expiry()?;
                Some((2, None, Some(Spanned::new(e, Span::new(start, r.last)))))
            });
            match opt {
                Some((0, q, _)) => minimum = q,
                Some((1, q, _)) => maximum = q,
                Some((_, _, Some(e))) => expiry.push(e),
                _ => break,
            }
        }
        Some(TopUp {
            currency,
            minimum,
            maximum,
            expiry,
        })
    }

    /// `allowance_stmt`, after `allowance`.
    pub(super) fn allowance(&mut self) -> Option<Allowance> {
        self.skip();
        let amount = self.quantity()?;
        self.skip();
        self.kw_(b"per")?;
        self.skip();
        let window = self.name()?;
        let scope = self
            .attempt(|r| {
                r.skip();
                r.kw_(b"on")?;
                r.skip();
                r.ident_list()
            })
            .unwrap_or_default();
        let beyond = self.after(b",", |r| {
            r.kw_(b"then")?;
            r.skip();
            let start = r.pos;
            let rule = if r.kw(b"reject") {
                Beyond::Reject
            } else if r.kw(b"wallet") {
                Beyond::Wallet
            } else {
                r.kw_(b"overage")?;
                r.skip();
                Beyond::Overage(r.rate_expr()?)
            };
            Some(Spanned::new(rule, Span::new(start, r.last)))
        });
        Some(Allowance {
            amount,
            window,
            scope,
            beyond,
        })
    }

    pub(super) fn pack(&mut self) -> Option<Item> {
        let (display, slug) = self.display_as()?;
        let body = self.block(|r| match r.peek()? {
            b'p' if r.kw(b"price") => {
                let (price, minimum) = r.price_stmt()?;
                Some(PackStmt::Price { price, minimum })
            }
            b'g' if r.kw(b"grant") => r.grant().map(PackStmt::Grant),
            b'f' if r.kw(b"for") => {
                r.skip();
                r.ident_list().map(PackStmt::For)
            }
            b'a' if r.kw(b"allow") => r.allow().map(PackStmt::Allow),
            _ => None,
        })?;
        Some(Item::Pack(Pack {
            display,
            slug,
            body,
        }))
    }
}
