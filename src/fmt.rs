//! The formatter: one canonical layout for every book.
//!
//! Items are separated by blank lines, block statements go one per line indented by two spaces,
//! and phrases are printed in one spelling (`/` for rates). Comments are not in the AST: they are
//! collected from the source text and re-attached by position, a comment before a node printed
//! above it and a comment after a node on the same line printed after it. Single blank lines the
//! author left between statements are kept.
//!
//! ```
//! let src = "pricebook acme version \"1\" effective 2026-01-01 currency USD\n\
//!            product \"A\" as a { measure time rate 1 USD per second } # cheap\n";
//! let out = pricebook::fmt::format_source(src).expect("no syntax errors");
//! assert_eq!(out, "pricebook acme version \"1\" effective 2026-01-01 currency USD\n\n\
//!                  product \"A\" as a {\n  measure time\n  rate 1 USD / second\n} # cheap\n");
//! ```

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::*;

/// Formats a book's text in the canonical layout `pricebook fmt` writes, or returns its syntax
/// diagnostics (a file that does not parse is left as it is). Comments are kept.
///
/// ```
/// let text = "pricebook acme version \"1\" effective 2026-01-01 currency USD\nunit credit\n\
///             product \"Render\" as render { measure time  rate 2 credit / second }\n";
/// let formatted = pricebook::format_source(text).expect("it parses");
/// assert!(formatted.contains("product \"Render\" as render {\n  measure time\n  rate 2 credit / second\n}"));
/// ```
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = crate::syntax::parse(text);
    if !parsed.diagnostics.is_empty() {
        return Err(parsed.diagnostics);
    }
    Ok(format_book(&parsed.book, text))
}

/// Prints a parsed book; `source` is the text it was parsed from (for comments and blank lines).
pub fn format_book(book: &Book, source: &str) -> String {
    let mut p = Printer {
        src: source,
        comments: collect_comments(source),
        next: 0,
        out: String::new(),
        indent: 0,
        last_end: 0,
    };
    let mut prev: Option<&Spanned<Item>> = None;
    for item in &book.items {
        if let Some(prev) = prev {
            let both_one_line = is_one_line(&prev.node)
                && is_one_line(&item.node)
                && same_kind(&prev.node, &item.node);
            if !both_one_line || p.gap_before(item.span.start) {
                p.out.push('\n');
            }
        }
        p.last_end = p.last_end.max(prev.map_or(0, |i| i.span.end));
        p.leading(item.span.start);
        p.item(item);
        prev = Some(item);
    }
    p.leading(usize::MAX);
    let mut out = p.out;
    while out.ends_with("\n\n") {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

struct Comment {
    start: usize,
    text: String,
}

/// `#` to end of line, outside strings.
fn collect_comments(src: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'#' {
            let end = src[i..].find('\n').map_or(src.len(), |n| i + n);
            out.push(Comment {
                start: i,
                text: src[i..end].trim_end().to_string(),
            });
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

fn is_one_line(item: &Item) -> bool {
    matches!(
        item,
        Item::Header(_)
            | Item::Contract(_)
            | Item::Unit(_)
            | Item::Dimension(_)
            | Item::Attribute(_)
            | Item::Floor(_)
            | Item::Moves(_)
            | Item::Allow(_)
    )
}

fn same_kind(a: &Item, b: &Item) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

struct Printer<'s> {
    src: &'s str,
    comments: Vec<Comment>,
    next: usize,
    out: String,
    indent: usize,
    /// Source offset of the end of the last node or comment printed.
    last_end: usize,
}

impl Printer<'_> {
    fn pad(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }

    fn line(&mut self, text: &str) {
        self.pad();
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Whether the source has an empty line between the last thing printed and `pos`.
    fn blank_between(&self, pos: usize) -> bool {
        let (a, b) = (self.last_end.min(self.src.len()), pos.min(self.src.len()));
        if a >= b {
            return false;
        }
        let gap: Vec<&str> = self.src[a..b].split('\n').collect();
        gap.len() > 2 && gap[1..gap.len() - 1].iter().any(|l| l.trim().is_empty())
    }

    /// Whether the author left a blank line before a node at `pos` (or before the comments that
    /// lead it).
    fn gap_before(&self, pos: usize) -> bool {
        let start = match self.comments.get(self.next) {
            Some(c) if c.start < pos => c.start,
            _ => pos,
        };
        self.blank_between(start)
    }

    /// Prints the comments that come before `pos`, each on its own line, keeping blank lines
    /// between them.
    fn leading(&mut self, pos: usize) {
        let mut first = true;
        while self.next < self.comments.len() && self.comments[self.next].start < pos {
            let (start, text) = (
                self.comments[self.next].start,
                self.comments[self.next].text.clone(),
            );
            if !first && self.blank_between(start) {
                self.out.push('\n');
            }
            first = false;
            self.line(&text);
            self.last_end = start + text.len();
            self.next += 1;
        }
        // A blank line between the last comment and the node it leads is kept too.
        if !first && pos != usize::MAX && self.blank_between(pos) {
            self.out.push('\n');
        }
    }

    /// Appends a comment that follows `end` on the same source line.
    fn trailing(&mut self, end: usize) {
        self.trailing_before(end, usize::MAX);
    }

    /// Like `trailing`, for a comment that starts before `limit`.
    fn trailing_before(&mut self, end: usize, limit: usize) {
        if let Some(c) = self.comments.get(self.next) {
            if c.start >= end && c.start < limit && !self.src[end..c.start].contains('\n') {
                let text = c.text.clone();
                if self.out.ends_with('\n') {
                    self.out.pop();
                }
                self.out.push(' ');
                self.out.push_str(&text);
                self.out.push('\n');
                self.last_end = c.start + text.len();
                self.next += 1;
            }
        }
    }

    /// Prints a block: `head {`, its statements, `}`.
    fn block<T>(
        &mut self,
        head: &str,
        span: Span,
        body: &[Spanned<T>],
        mut stmt: impl FnMut(&mut Self, &Spanned<T>),
    ) {
        self.line(&format!("{head} {{"));
        // A comment after `{` on the head line stays there.
        let head_end = self.src[span.start..span.end]
            .find('{')
            .map_or(span.start, |i| span.start + i + 1);
        self.last_end = self.last_end.max(head_end);
        self.trailing_before(head_end, span.end);
        self.indent += 1;
        for (i, s) in body.iter().enumerate() {
            if i > 0 && self.gap_before(s.span.start) {
                self.out.push('\n');
            }
            self.leading(s.span.start);
            stmt(self, s);
            self.last_end = self.last_end.max(s.span.end);
            self.trailing_before(s.span.end, span.end);
        }
        self.leading(span.end.saturating_sub(1));
        self.indent -= 1;
        self.line("}");
    }

    fn item(&mut self, item: &Spanned<Item>) {
        match &item.node {
            Item::Header(h) => self.line(&format!(
                "pricebook {}{} version {} effective {} currency {}",
                h.vendor.node,
                h.list
                    .as_ref()
                    .map(|l| format!(" list {}", l.node))
                    .unwrap_or_default(),
                quote(&h.version.node),
                h.effective.node,
                h.currency.node
            )),
            Item::Contract(c) => {
                let version = c
                    .version
                    .as_ref()
                    .map(|v| format!(" version {}", quote(&v.node)))
                    .unwrap_or_default();
                let list = c
                    .list
                    .as_ref()
                    .map(|l| format!(" list {}", l.node))
                    .unwrap_or_default();
                self.line(&format!(
                    "contract {} as {} for {}{list}{version} effective {}",
                    quote(&c.display.node),
                    c.slug.node,
                    c.vendor.node,
                    c.effective.node
                ))
            }
            Item::Unit(u) => {
                let divisible = if u.divisible.is_some() {
                    " divisible"
                } else {
                    ""
                };
                match &u.equals {
                    Some(q) => self.line(&format!("unit {} = {}{divisible}", u.name.node, qty(q))),
                    None => self.line(&format!("unit {}{divisible}", u.name.node)),
                }
            }
            Item::Dimension(d) => {
                let values: Vec<String> = d.values.iter().map(|v| dim_value(&v.node)).collect();
                let default = match &d.default {
                    Some(v) => format!(" default {}", dim_single(&v.node)),
                    None => String::new(),
                };
                self.line(&format!(
                    "dimension {} {{ {} }}{default}",
                    d.name.node,
                    values.join(", ")
                ))
            }
            Item::Attribute(a) => self.line(&format!("attribute {}", a.display_name())),
            Item::Product(p) => {
                let head = format!("product {} as {}", quote(&p.display.node), p.slug.node);
                self.block(&head, item.span, &p.body, |pr, s| pr.product_stmt(s));
            }
            Item::Plan(p) => {
                let based = p
                    .based_on
                    .as_ref()
                    .map(|b| format!(" based on {}", b.node))
                    .unwrap_or_default();
                let head = format!("plan {} as {}{based}", quote(&p.display.node), p.slug.node);
                self.block(&head, item.span, &p.body, |pr, s| pr.plan_stmt(s));
            }
            Item::Pack(p) => {
                let head = format!("pack {} as {}", quote(&p.display.node), p.slug.node);
                self.block(&head, item.span, &p.body, |pr, s| {
                    let text = match &s.node {
                        PackStmt::Price { price, minimum } => price_stmt(price, minimum),
                        PackStmt::Grant(g) => grant(g),
                        PackStmt::For(list) => format!("for {}", names(list)),
                        PackStmt::Allow(a) => allow(a),
                        PackStmt::Error(t) => t.clone(),
                    };
                    pr.line(&text);
                });
            }
            Item::Billing(b) => {
                let head = match &b.period {
                    Some(p) => format!("billing {}", p.node),
                    None => "billing".to_string(),
                };
                self.block(&head, item.span, &b.body, |pr, s| {
                    let text = match &s.node {
                        BillingStmt::FrontLoad(q) => format!("front-load {}", qty(q)),
                        BillingStmt::Periods(w) => format!("periods {}", w.node),
                        BillingStmt::FirstPeriod(w) => format!("first period {}", w.node),
                        BillingStmt::PlanChanges(PlanChanges::AtRenewal) => {
                            "plan changes at renewal".to_string()
                        }
                        BillingStmt::PlanChanges(PlanChanges::AtOnce { prorated }) => {
                            format!(
                                "plan changes at once{}",
                                if *prorated { " prorated" } else { "" }
                            )
                        }
                        BillingStmt::Error(t) => t.clone(),
                    };
                    pr.line(&text);
                });
            }
            Item::Recharge(r) => {
                self.block("auto recharge", item.span, &r.body, |pr, s| {
                    let text = match &s.node {
                        RechargeStmt::Below(q) => format!("below {}", qty(q)),
                        RechargeStmt::RefillTo(q) => format!("refill to {}", qty(q)),
                        RechargeStmt::Cap { amount, per } => match per {
                            Some(p) => format!("cap {} / {}", qty(amount), p.node),
                            None => format!("cap {}", qty(amount)),
                        },
                        RechargeStmt::Minimum { field, amount } => {
                            let f = match field {
                                RechargeField::Below => "below",
                                RechargeField::Refill => "refill",
                                RechargeField::Cap => "cap",
                            };
                            format!("minimum {f} {}", qty(amount))
                        }
                        RechargeStmt::Price { price, minimum } => price_stmt(price, minimum),
                        RechargeStmt::For(plans) => format!("for {}", names(plans)),
                        RechargeStmt::Error(t) => t.clone(),
                    };
                    pr.line(&text);
                });
            }
            Item::Floor(r) => self.line(&format!("floor {}", rate(r))),
            Item::Moves(m) => self.line(&format!(
                "existing subscribers move {}",
                match m {
                    ExistingMoves::AtOnce => "at once".to_string(),
                    ExistingMoves::AtRenewal => "at renewal".to_string(),
                    ExistingMoves::On(day) => format!("on {}", day.node),
                }
            )),
            Item::Allow(a) => self.line(&allow(a)),
            Item::Test(t) => {
                let head = format!("test {}", quote(&t.name.node));
                self.block(&head, item.span, &t.body, |pr, s| pr.test_stmt(s));
            }
            Item::Error(t) => self.line(t.trim_end()),
        }
        self.last_end = self.last_end.max(item.span.end);
        self.trailing(item.span.end);
    }

    fn product_stmt(&mut self, s: &Spanned<ProductStmt>) {
        let text = match &s.node {
            ProductStmt::Measure(m) => format!("measure {}", m.node),
            ProductStmt::Rate { key, rate: r } => {
                let key = if key.is_empty() {
                    String::new()
                } else {
                    let k: Vec<String> = key
                        .iter()
                        .map(|vs| {
                            let vs: Vec<String> = vs.iter().map(|v| dim_value(&v.node)).collect();
                            vs.join(" | ")
                        })
                        .collect();
                    format!("{} = ", k.join(", "))
                };
                match r {
                    Some(r) => format!("rate {key}{}", rate(r)),
                    None => format!("rate {key}not offered"),
                }
            }
            ProductStmt::Tiers { mode, scope, tiers } => {
                let m = match mode {
                    TierMode::Graduated => "graduated",
                    TierMode::Volume => "volume",
                };
                let m = match scope {
                    Some(TierScope::Event) => format!("{m} per event"),
                    Some(TierScope::Period) => format!("{m} per period"),
                    None => m.to_string(),
                };
                self.block(&format!("tiers {m}"), s.span, tiers, |pr, t| {
                    let to = t
                        .node
                        .to
                        .as_ref()
                        .map(qty)
                        .map(|q| format!(" {q}"))
                        .unwrap_or_default();
                    pr.line(&format!(
                        "{} ..{to} : {}",
                        qty(&t.node.from),
                        rate(&t.node.rate)
                    ));
                });
                return;
            }
            ProductStmt::Flat { amount, per } => match per {
                Some(p) => format!("flat {} / {}", qty(amount), p.node),
                None => format!("flat {}", qty(amount)),
            },
            ProductStmt::Free => "free".into(),
            ProductStmt::Round { mode, to } => {
                let m = match mode {
                    RoundMode::Up => "up",
                    RoundMode::Down => "down",
                    RoundMode::Nearest => "nearest",
                };
                format!("round {m} to {}", qty(to))
            }
            ProductStmt::Prorate => "prorate".into(),
            ProductStmt::Min(q) => format!("min {}", qty(q)),
            ProductStmt::Max(q) => format!("max {}", qty(q)),
            ProductStmt::Bill {
                bound,
                amount,
                scope,
            } => {
                let b = match bound {
                    BillBound::AtLeast => "least",
                    BillBound::AtMost => "most",
                };
                let per = match scope {
                    None => "",
                    Some(TierScope::Event) => " per event",
                    Some(TierScope::Period) => " per period",
                };
                format!("bill at {b} {}{per}", qty(amount))
            }
            ProductStmt::Fee(f) => fee(f),
            ProductStmt::OutsideWallet => "outside wallet".into(),
            ProductStmt::Dims(d) => format!("dims {}", names(d)),
            ProductStmt::Unpublished => "rate unpublished".into(),
            ProductStmt::Aka(names) => format!(
                "aka {}",
                names
                    .iter()
                    .map(|n| quote(&n.node))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ProductStmt::Allow(a) => allow(a),
            ProductStmt::Error(t) => t.clone(),
        };
        self.line(&text);
    }

    fn plan_stmt(&mut self, s: &Spanned<PlanStmt>) {
        let text = match &s.node {
            PlanStmt::Price { price, minimum } => price_stmt(price, minimum),
            PlanStmt::Billing(list) => format!("billing {}", names(list)),
            PlanStmt::Grant(g) => grant(g),
            PlanStmt::Packs(true) => "packs allowed".into(),
            PlanStmt::Packs(false) => "packs not allowed".into(),
            PlanStmt::Products(None) => "products all".into(),
            PlanStmt::Products(Some(list)) => format!("products {}", names(list)),
            PlanStmt::Deny(list) => format!("deny {}", names(list)),
            PlanStmt::Fee(f) => fee(f),
            PlanStmt::TopUp(t) => {
                let mut s = format!("top up {}", t.currency.node);
                if let Some(m) = &t.minimum {
                    s.push_str(&format!(", minimum {}", qty(m)));
                }
                if let Some(m) = &t.maximum {
                    s.push_str(&format!(", maximum {}", qty(m)));
                }
                for e in &t.expiry {
                    s.push_str(&format!(", {}", expiry(&e.node)));
                }
                s
            }
            PlanStmt::Allowance(a) => {
                let scope = if a.scope.is_empty() {
                    String::new()
                } else {
                    format!(" on {}", names(&a.scope))
                };
                let beyond = match a.beyond.as_ref().map(|b| &b.node) {
                    None => String::new(),
                    Some(Beyond::Reject) => ", then reject".into(),
                    Some(Beyond::Wallet) => ", then wallet".into(),
                    Some(Beyond::Overage(r)) => format!(", then overage {}", rate(r)),
                };
                format!(
                    "allowance {} per {}{scope}{beyond}",
                    qty(&a.amount),
                    a.window.node
                )
            }
            PlanStmt::Limit(l) => {
                let value = |v: &LimitValue| match v {
                    LimitValue::Quantity(q) => qty(q),
                    LimitValue::Number(n) => n.node.to_string(),
                    LimitValue::DimValue(v) => dim_single(&v.node),
                };
                let bound = match &l.upper {
                    Some(upper) => format!(
                        "between {} and {}",
                        value(&l.value.node),
                        value(&upper.node)
                    ),
                    None => format!("{} {}", l.op.as_str(), value(&l.value.node)),
                };
                let window = l
                    .window
                    .as_ref()
                    .map(|w| format!(" per {}", w.node))
                    .unwrap_or_default();
                let scope = if l.scope.is_empty() {
                    String::new()
                } else {
                    format!(" on {}", names(&l.scope))
                };
                let informational = if l.informational {
                    " informational"
                } else {
                    ""
                };
                format!(
                    "limit {} {bound}{window}{scope}{informational}",
                    l.display_name()
                )
            }
            PlanStmt::Feature { name, value } => {
                let v = match &value.node {
                    FeatureValue::Quantity(q) => qty(q),
                    FeatureValue::Number(n) => n.node.to_string(),
                    FeatureValue::Text(t) => quote(t),
                    FeatureValue::Word(w) => w.clone(),
                };
                format!("feature {} = {v}", name.node)
            }
            PlanStmt::WhenEmpty(rule) => match &rule.node {
                EmptyRule::Reject => "when empty reject".into(),
                EmptyRule::Overage(None) => "when empty overage".into(),
                EmptyRule::Overage(Some(r)) => format!("when empty overage {}", rate(r)),
                EmptyRule::AutoRecharge => "when empty auto recharge".into(),
            },
            PlanStmt::Commit { amount, per } => format!("commit {} / {}", qty(amount), per.node),
            PlanStmt::Includes { amount, at } => match at {
                Some(r) => format!("includes {} at {}", qty(amount), rate(r)),
                None => format!("includes {}", qty(amount)),
            },
            PlanStmt::Overage(r) => format!("overage {}", rate(r)),
            PlanStmt::RateOverride { product, rate: r } => {
                format!("rate {} = {}", product.node, rate(r))
            }
            PlanStmt::Allow(a) => allow(a),
            PlanStmt::Error(t) => t.clone(),
        };
        self.line(&text);
    }

    fn test_stmt(&mut self, s: &Spanned<TestStmt>) {
        let text = match &s.node {
            TestStmt::Quote {
                target,
                dims,
                attrs,
                used,
                quantity,
                at,
                expect,
            } => {
                let used = used
                    .as_ref()
                    .map(|u| format!(" used {}", qty(u)))
                    .unwrap_or_default();
                let at = at
                    .as_ref()
                    .map(|d| format!(" at {}", d.node))
                    .unwrap_or_default();
                let expect = match &expect.node {
                    QuoteExpect::Charge { charge, money } => match money {
                        Some(m) => format!("== {}, money {}", qty(charge), qty(m)),
                        None => format!("== {}", qty(charge)),
                    },
                    QuoteExpect::Rejects { kind, text } => {
                        let mut s = String::from("rejects");
                        if let Some(k) = kind {
                            s.push(' ');
                            s.push_str(&k.node);
                        }
                        if let Some(t) = text {
                            s.push(' ');
                            s.push_str(&quote(&t.node));
                        }
                        s
                    }
                };
                format!(
                    "quote {}{}{}{used} quantity {}{at} {expect}",
                    target_text(target),
                    dim_args(dims),
                    attr_args(attrs),
                    qty(quantity)
                )
            }
            TestStmt::Capacity {
                target,
                dims,
                at,
                expect,
            } => {
                let at = at
                    .as_ref()
                    .map(|d| format!(" at {}", d.node))
                    .unwrap_or_default();
                format!(
                    "capacity {}{}{at} == {}",
                    target_text(target),
                    dim_args(dims),
                    qty(expect)
                )
            }
            TestStmt::Bill {
                plan,
                options,
                body,
            } => {
                let mut head = String::from("bill");
                if let Some(p) = plan {
                    head.push_str(&format!(" plan {}", p.node));
                }
                for o in options {
                    head.push(' ');
                    head.push_str(&match &o.node {
                        BillOption::Billing(b) => format!("billing {}", b.node),
                        BillOption::From(d) => format!("from {}", d.node),
                        BillOption::Periods(n) => format!("periods {}", n.node),
                        BillOption::Recharge { below, to, cap } => {
                            let cap = cap
                                .as_ref()
                                .map(|c| format!(" cap {}", qty(c)))
                                .unwrap_or_default();
                            format!("recharge below {} to {}{cap}", qty(below), qty(to))
                        }
                    });
                }
                self.block(&head, s.span, body, |pr, e| {
                    let text = match &e.node {
                        BillStmt::Use {
                            time,
                            product,
                            dims,
                            quantity,
                        } => {
                            format!(
                                "{} use {}{} {}",
                                time.node,
                                product.node,
                                dim_args(dims),
                                qty(quantity)
                            )
                        }
                        BillStmt::Buy { time, pack } => format!("{} buy {}", time.node, pack.node),
                        BillStmt::ChangePlan { time, plan } => {
                            format!("{} change plan {}", time.node, plan.node)
                        }
                        BillStmt::ChangeBilling { time, billing } => {
                            format!("{} change billing {}", time.node, billing.node)
                        }
                        BillStmt::Cancel { time } => format!("{} cancel", time.node),
                        BillStmt::TopUp { time, amount } => {
                            format!("{} top up {}", time.node, qty(amount))
                        }
                        BillStmt::Expect { subject, value } => {
                            let subject: Vec<String> = subject
                                .iter()
                                .map(|w| {
                                    // Any word reads back here, keywords included
                                    // (`expect line overage`).
                                    if is_expect_word(&w.node) {
                                        w.node.clone()
                                    } else {
                                        quote(&w.node)
                                    }
                                })
                                .collect();
                            let value = match value {
                                ExpectValue::Quantity(q) => qty(q),
                                ExpectValue::Number(n) => n.node.to_string(),
                            };
                            format!("expect {} == {value}", subject.join(" "))
                        }
                        BillStmt::Error(t) => t.clone(),
                    };
                    pr.line(&text);
                });
                return;
            }
            TestStmt::Error(t) => t.clone(),
        };
        self.line(&text);
    }
}

fn qty(q: &Quantity) -> String {
    format!("{} {}", q.value.node, q.unit.node)
}

fn rate(r: &Rate) -> String {
    match &r.per {
        Some(n) => format!("{} / {} {}", qty(&r.amount), n.node, r.per_unit.node),
        None => format!("{} / {}", qty(&r.amount), r.per_unit.node),
    }
}

fn price_stmt(price: &Spanned<Price>, minimum: &Option<PriceExpr>) -> String {
    let p = match &price.node {
        Price::Custom => "custom".to_string(),
        Price::Unpublished => "unpublished".to_string(),
        Price::Amount(pe) => price_expr(pe),
    };
    match minimum {
        Some(m) => format!("price {p}, minimum {}", price_expr(m)),
        None => format!("price {p}"),
    }
}

fn price_expr(pe: &PriceExpr) -> String {
    match &pe.per {
        None => qty(&pe.amount),
        Some((Some(n), u)) => format!("{} / {} {}", qty(&pe.amount), n.node, u.node),
        Some((None, u)) => format!("{} / {}", qty(&pe.amount), u.node),
    }
}

fn grant(g: &Grant) -> String {
    let mut s = match g.contract_set {
        Some(_) => format!("grant custom {}", g.amount.unit.node),
        None => format!("grant {}", qty(&g.amount)),
    };
    if let Some(c) = &g.cadence {
        s.push(' ');
        s.push_str(&cadence(&c.node));
    }
    for e in &g.expiry {
        s.push_str(&format!(", {}", expiry(&e.node)));
    }
    for p in &g.priority {
        s.push_str(&format!(", priority {}", p.node));
    }
    s
}

fn fee(f: &Fee) -> String {
    let amount = match &f.amount {
        FeeAmount::Exact(q) => qty(q),
        FeeAmount::Between(lo, hi) => format!("between {} and {}", qty(lo), qty(hi)),
        FeeAmount::AtLeast(q) => format!("at least {}", qty(q)),
    };
    format!(
        "fee {} {amount} {}",
        quote(&f.name.node),
        cadence(&f.cadence.node)
    )
}

/// `once` or `every <period>`.
fn cadence(c: &Cadence) -> String {
    match c {
        Cadence::Once => "once".to_string(),
        Cadence::Every(p) => format!("every {}", p.node),
    }
}

fn expiry(e: &Expiry) -> String {
    match e {
        Expiry::Never => "never expires".to_string(),
        Expiry::CycleEnd => "expires at cycle end".to_string(),
        Expiry::ContractEnd => "expires at contract end".to_string(),
        Expiry::After(q) => format!("expires after {}", qty(q)),
    }
}

fn allow(a: &Allow) -> String {
    format!("allow {} {}", a.code.node, quote(&a.reason.node))
}

fn names(list: &[Name]) -> String {
    list.iter()
        .map(|n| n.node.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn target_text(t: &Target) -> String {
    // A product named by its display name or an alias reads back as the string it was.
    let product = if is_ident(&t.product.node) {
        t.product.node.clone()
    } else {
        quote(&t.product.node)
    };
    match &t.plan {
        Some(p) => format!("plan {} product {product}", p.node),
        None => format!("product {product}"),
    }
}

/// A name that reads back bare: the grammar's `ident` (a letter, then letters, digits, `_` and
/// `-`, and no reserved word).
fn is_ident(w: &str) -> bool {
    is_expect_word(w) && !crate::syntax::is_reserved(w)
}

fn dim_args(dims: &[Spanned<DimArg>]) -> String {
    dims.iter()
        .map(|d| match &d.node.dimension {
            Some(k) => format!(" dim {} = {}", k.node, dim_single(&d.node.value.node)),
            None => format!(" dim {}", dim_single(&d.node.value.node)),
        })
        .collect()
}

fn attr_args(attrs: &[Spanned<AttrArg>]) -> String {
    attrs
        .iter()
        .map(|a| {
            let value = match &a.node.value {
                AttrValue::Quantity(q) => qty(q),
                AttrValue::Number(n) => n.node.to_string(),
            };
            format!(" attr {} = {value}", dim_single(&a.node.name.node))
        })
        .collect()
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn is_word(w: &str) -> bool {
    let mut chars = w.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-.+".contains(c))
}

/// A word of an `expect` subject that reads back bare: the grammar's `expect_word`.
fn is_expect_word(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A dimension value bare when it reads back as the same words, quoted otherwise.
fn dim_value(v: &str) -> String {
    let words: Vec<&str> = v.split(' ').collect();
    let bare = words.iter().all(|w| is_word(w))
        && words.iter().skip(1).all(|w| !crate::syntax::is_reserved(w))
        && !v.contains("  ");
    if bare { v.to_string() } else { quote(v) }
}

/// A single-word dimension value (in `dim` and `limit`), quoted when it has spaces, or when it
/// would read back as a number (`limit x <= "7"` is a value, `limit x <= 7` a number).
fn dim_single(v: &str) -> String {
    if is_word(v) && !reads_as_number(v) {
        v.to_string()
    } else {
        quote(v)
    }
}

/// Whether the grammar's `number` matches at the start of `w` (a digit run, optionally `.` and
/// digits, not followed by a letter or `_`): `7`, `1_000`, `2.5`, `7+`, but not `720p` or `4K`.
fn reads_as_number(w: &str) -> bool {
    let b = w.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let run = |from: usize| {
        b[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'_')
            .count()
    };
    let mut i = run(0);
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1 + run(i + 1);
    }
    !b.get(i)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
}
