//! Syntax errors in words.
//!
//! pest reports the grammar rules it expected; users should never see those names. Each rule
//! maps to a phrase ("a unit such as `second` or `credit`"), and a line the recovery rules
//! swallowed is re-parsed with the rule it was meant to match, so the message is as precise as if
//! the parser had stopped there.

use super::{PricebookParser, Rule};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::ast::Span;
use pest::Parser;
use pest::error::{Error, ErrorVariant, InputLocation};

/// Explains why `text` (found at byte `offset` of the file) does not match `entry`.
pub(super) fn explain_bad(text: &str, offset: usize, entry: Rule, context: &str) -> Diagnostic {
    // `rate 7 credit second` also reads as the start of a matrix cell (`rate 4K, 30 fps = ..`);
    // without an `=` it can only be a plain rate, so explain it as one.
    let entry = if matches!(entry, Rule::product_stmt_entry)
        && text.trim_start().starts_with("rate ")
        && !text.contains('=')
    {
        Rule::plain_rate_entry
    } else {
        entry
    };
    match PricebookParser::parse(entry, text) {
        Err(e) => {
            let mut d = from_pest_error(&e, offset, text);
            // A block that never closes: point at its `{`.
            if entry == Rule::item_entry && d.message.contains("`}`") {
                if let Some(i) = text.find('{') {
                    d = d.label(
                        Span::new(offset + i, offset + i + 1),
                        "this `{` is never closed",
                    );
                }
            }
            d
        }
        // The text is a valid statement, just not in this block.
        Ok(_) => {
            let first = text.split_whitespace().next().unwrap_or(text);
            Diagnostic::new(Code::Syntax, format!("`{first}` is not allowed {context}"))
                .label(Span::new(offset, offset + first.len()), "not allowed here")
                .help("move this statement to where it belongs; the language reference (docs/language.md) lists what each block may hold")
        }
    }
}

/// Converts a pest error on `text` (which starts at byte `offset` of the file) to a diagnostic.
pub(super) fn from_pest_error(e: &Error<Rule>, offset: usize, text: &str) -> Diagnostic {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((a, _)) => a,
    };
    let pos = pos.min(text.len());
    let found = found_token(&text[pos..]);
    let line_rest = text[pos..].split('\n').next().unwrap_or("");
    if found.starts_with('"') && line_rest.matches('"').count() == 1 {
        let start = offset + pos;
        return Diagnostic::new(Code::Syntax, "this quoted name is not closed")
            .label(
                Span::new(start, start + line_rest.trim_end().len()),
                "opened here",
            )
            .help("add the closing `\"` on the same line");
    }
    let before = text[..pos].trim_end();
    let expected: Vec<String> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut out: Vec<String> = Vec::new();
            for rule in positives {
                if let Some(d) = describe(*rule, before) {
                    if !out.contains(&d) {
                        out.push(d);
                    }
                }
            }
            // `rate 7 credit` fails both as a rate and as a matrix key (`rate 4K, 30 fps = ..`);
            // the rate reading is the one to explain.
            if out.iter().any(|d| {
                d == "`/` or `per`" || d.starts_with("a unit") || d.starts_with("a quantity")
            }) {
                out.retain(|d| d != "`=`" && d != "`,`" && !d.starts_with("a dimension value"));
            }
            out
        }
        ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    let found_text = if found.is_empty() {
        "the end of the line".to_string()
    } else {
        format!("`{found}`")
    };
    let message = if expected.is_empty() {
        format!("unexpected {found_text}")
    } else {
        format!("expected {}, found {found_text}", join_or(&expected))
    };
    let start = offset + pos;
    // Labels stay short: the message carries the full list.
    let label_text = if expected.is_empty() {
        "not understood".to_string()
    } else if expected.iter().any(|e| e == "`}`") && expected.len() > 1 {
        "expected `}` or another statement".to_string()
    } else {
        let short: Vec<String> = expected
            .iter()
            .take(3)
            .map(|e| e.split(" (").next().unwrap_or(e).to_string())
            .collect();
        format!("expected {}", join_or(&short))
    };
    // A misspelt keyword: suggest the closest one that was expected.
    let keywords: Vec<&str> = expected
        .iter()
        .flat_map(|e| e.split('`').skip(1).step_by(2))
        .filter(|k| {
            k.chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c == ' ')
        })
        .collect();
    let help = match crate::base::names::did_you_mean(found, keywords.iter().copied()) {
        Some(k)
            if !found.is_empty()
                && found != k
                && found.chars().all(|c| c.is_ascii_alphabetic()) =>
        {
            format!("did you mean `{k}`?")
        }
        _ => help_for(&expected, before),
    };
    Diagnostic::new(Code::Syntax, message)
        .label(Span::new(start, start + found.len()), label_text)
        .help(help)
}

/// The token at the start of `rest`: up to whitespace, at most one line.
fn found_token(rest: &str) -> &str {
    let end = rest
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let token = &rest[..end];
    // A punctuation character is its own token: `=` in `=0.10`.
    match token.chars().next() {
        Some(c) if !c.is_alphanumeric() && c != '"' && c != '-' => &token[..c.len_utf8()],
        _ => token,
    }
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => {
            let shown: Vec<&str> = init.iter().take(7).map(String::as_str).collect();
            let more = if init.len() > 7 { ", ..." } else { "" };
            format!("{}{more} or {last}", shown.join(", "))
        }
    }
}

fn ends_with_number(before: &str) -> bool {
    before
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .is_some_and(|w| {
            !w.is_empty()
                && w.replace(['_', '.', '-'], "")
                    .chars()
                    .all(|c| c.is_ascii_digit())
        })
}

fn help_for(expected: &[String], before: &str) -> String {
    if (ends_with_number(before) && expected.iter().any(|e| e.starts_with("a unit")))
        || expected.iter().any(|e| e.starts_with("a quantity"))
    {
        return "every quantity carries its unit: write `20 minute`, `5400 credit`, `30 USD`"
            .into();
    }
    if expected.iter().any(|e| e == "`}`") {
        return "close the block with `}`, or check the statement before this point".into();
    }
    if expected.iter().any(|e| e.contains("`/`")) {
        return "a rate is `amount unit / [N] unit`, for example `7 credit / second` or `15 credit / 1000 character`".into();
    }
    "see the language reference in docs/language.md for the form of each statement".into()
}

/// A phrase for what a rule expects, or `None` for rules users need not hear about.
fn describe(rule: Rule, before: &str) -> Option<String> {
    let name = format!("{rule:?}");
    if rule == Rule::kw_per {
        return Some("`/` or `per`".into());
    }
    if let Some(kw) = name.strip_prefix("kw_") {
        return Some(format!("`{}`", kw.replace('_', "-")));
    }
    let phrase = match rule {
        Rule::ident | Rule::ident_list => {
            if ends_with_number(before) {
                "a unit such as `second` or `credit`"
            } else {
                "a name such as `hedra-avatar` or `credit`"
            }
        }
        Rule::code => "a diagnostic code such as `unused-product`",
        Rule::number => "a number",
        Rule::string | Rule::string_inner => "a quoted name such as \"Hedra Avatar\"",
        Rule::date | Rule::at_date => "a date such as 2026-06-04",
        Rule::datetime => "a time such as 2026-06-02T10:00:00Z",
        Rule::word | Rule::words | Rule::dim_value | Rule::dim_single | Rule::cell_key => {
            "a dimension value such as `720p`"
        }
        Rule::per => "`/` or `per`",
        Rule::quantity | Rule::attr_quantity => "a quantity with its unit, such as `20 minute`",
        Rule::rate_expr => "a rate such as `7 credit / second`",
        Rule::price_expr => "a price such as `30 USD / month`",
        Rule::block_open => "`{`",
        Rule::block_close => "`}`",
        Rule::eq => "`=`",
        Rule::eqeq => "`==`",
        Rule::comma => "`,`",
        Rule::dotdot => "`..`",
        Rule::colon => "`:`",
        Rule::le => "`<=`",
        Rule::EOI => "the end of the statement",
        Rule::item | Rule::top_start | Rule::item_entry => {
            "a declaration (`pricebook`, `unit`, `dimension`, `attribute`, `product`, `plan`, `pack`, `billing`, `auto recharge`, `floor`, `allow` or `test`)"
        }
        Rule::product_stmt_entry => {
            "a product statement (`measure`, `rate`, `tiers`, `flat`, `free`, `round`, `prorate`, `min`, `max`, `dims`, `outside wallet` or `allow`)"
        }
        Rule::plan_stmt_entry => {
            "a plan statement (`price`, `billing`, `grant`, `packs`, `products`, `deny`, `limit`, `allowance`, `top up`, `feature`, `when empty`, `commit`, `includes`, `overage`, `rate` or `allow`)"
        }
        Rule::pack_stmt_entry => "a pack statement (`price`, `grant`, `for` or `allow`)",
        Rule::tier_entry => "a tier such as `0 second .. 1000 second : 0.01 USD / second`",
        Rule::billing_stmt_entry => {
            "a billing rule (`front-load`, `periods`, `first period` or `plan changes`)"
        }
        Rule::recharge_stmt_entry => {
            "an auto recharge setting (`below`, `refill to`, `cap`, `minimum` or `price`)"
        }
        Rule::test_stmt_entry => "a worked example (`quote`, `capacity` or `bill`)",
        Rule::plain_rate_entry => "`rate`",
        Rule::bill_stmt_entry => {
            "an event such as `2026-06-02 use hedra-avatar 20 minute`, `buy credit-pack` or `top up 50 USD`, or an `expect`"
        }
        Rule::header => "`pricebook`",
        Rule::tier => "a tier such as `0 second .. 1000 second : 0.01 USD / second`",
        Rule::expiry => "an expiry such as `expires at cycle end` or `never expires`",
        Rule::cadence => "a cadence such as `every month` or `once`",
        Rule::dim_arg => "`dim`",
        Rule::limit_value => "a limit such as `5 minute` or `1080p`",
        Rule::limit_bound | Rule::limit_op => {
            "a comparison (`<`, `<=`, `>`, `>=`, `==`) or `between ... and ...`"
        }
        Rule::attr_arg => "`attr`",
        Rule::feature_value => "a value such as `yes` or `no`",
        Rule::tier_mode => "`graduated` or `volume`",
        Rule::round_dir => "`up`, `down` or `nearest`",
        Rule::empty_rule => "`reject`, `overage` or `auto recharge`",
        Rule::beyond_rule => "`reject`, `wallet` or `overage <rate>`",
        Rule::expect_subject => "what to check, such as `total`",
        Rule::expect_value => "a number or a quantity",
        Rule::rejection_kind => "a kind of rejection such as `limit` or `not-available`",
        _ => return statement_phrase(rule),
    };
    Some(phrase.to_string())
}

/// Statement rules are described by their leading keyword.
fn statement_phrase(rule: Rule) -> Option<String> {
    let kw = match rule {
        Rule::measure_stmt => "measure",
        Rule::rate_stmt | Rule::plan_rate_stmt => "rate",
        Rule::tiers_stmt => "tiers",
        Rule::flat_stmt => "flat",
        Rule::free_stmt => "free",
        Rule::round_stmt => "round",
        Rule::prorate_stmt => "prorate",
        Rule::min_stmt => "min",
        Rule::max_stmt => "max",
        Rule::outside_stmt => "outside",
        Rule::dims_stmt => "dims",
        Rule::price_stmt => "price",
        Rule::billing_stmt => "billing",
        Rule::grant_stmt => "grant",
        Rule::packs_stmt => "packs",
        Rule::products_stmt => "products",
        Rule::deny_stmt => "deny",
        Rule::limit_stmt => "limit",
        Rule::allowance_stmt => "allowance",
        Rule::topup_stmt => "top up",
        Rule::feature_stmt => "feature",
        Rule::when_empty_stmt => "when",
        Rule::commit_stmt => "commit",
        Rule::includes_stmt => "includes",
        Rule::overage_stmt => "overage",
        Rule::pack_for_stmt | Rule::recharge_for => "for",
        Rule::aka_stmt => "aka",
        Rule::allow_decl => "allow",
        Rule::frontload_stmt => "front-load",
        Rule::periods_stmt => "periods",
        Rule::first_period_stmt => "first period",
        Rule::plan_changes_stmt => "plan changes",
        Rule::changes_at_renewal => "renewal",
        Rule::changes_at_once => "once",
        Rule::below_stmt => "below",
        Rule::refill_stmt => "refill",
        Rule::cap_stmt => "cap",
        Rule::recharge_minimum => "minimum",
        Rule::quote_test => "quote",
        Rule::capacity_test => "capacity",
        Rule::bill_test => "bill",
        Rule::bill_bound_stmt => "bill",
        Rule::use_event | Rule::buy_event | Rule::change_event | Rule::cancel_event => {
            return Some("an event such as `2026-06-02 use hedra-avatar 20 minute`".into());
        }
        Rule::expect_stmt => "expect",
        Rule::unit_decl => "unit",
        Rule::dimension_decl => "dimension",
        Rule::product => "product",
        Rule::plan => "plan",
        Rule::pack => "pack",
        Rule::billing_block => "billing",
        Rule::recharge_block => "auto",
        Rule::floor_decl => "floor",
        Rule::moves_decl => "existing subscribers move",
        Rule::test_block => "test",
        Rule::contract_header => "contract",
        _ => return None,
    };
    Some(format!("`{kw}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rule_names_leak() {
        let d = explain_bad("rate 7 credit", 0, Rule::product_stmt_entry, "in a product");
        assert!(d.message.contains("`/` or `per`"), "{}", d.message);
        assert!(!d.message.contains("rate_expr"), "{}", d.message);
    }

    #[test]
    fn missing_unit_is_named_as_such() {
        let d = explain_bad("min 4", 0, Rule::product_stmt_entry, "in a product");
        assert!(
            d.message.contains("a quantity with its unit"),
            "{}",
            d.message
        );
        assert!(
            d.help
                .as_deref()
                .is_some_and(|h| h.contains("every quantity carries its unit"))
        );
    }
}
