//! Property tests (proptest).
//!
//! - **Print -> parse**: generated books (every item and statement form of the grammar, in random
//!   layouts: statements on one line or many, `per` or `/`, digit separators, trailing zeros,
//!   comments between statements, escaped strings) parse without diagnostics, `fmt` accepts them,
//!   the formatted text parses to an equal AST (spans excluded), and `fmt` is idempotent.
//! - **Additivity of linear meters**: for a prorated rate `A unit / P` (no rounding step), on the
//!   reference evaluator, the table and the rater alike, `quote(a + b)` is exactly the exact
//!   charge `(a + b) * A / P` rounded once (half away from zero, to the charge unit's minor
//!   digits), and `|quote(a) + quote(b) - quote(a + b)| <= 1` minor unit (each side is rounded
//!   once, so they differ by at most the final rounding), with equality when `a` and `b` each
//!   price to a whole number of minor units.
//! - **Monotonicity**: `q1 <= q2`, both priced, implies `charge(q1) <= charge(q2)` and
//!   `money(q1) <= money(q2)` for rates, matrix cells, plan rates, graduated tiers (with or
//!   without `round up|down|nearest`), flat and free products. Volume tiers are exempt across
//!   their bounds (pricing all usage at the next tier's lower rate makes 1,000 units cheaper
//!   than 999, by design: `volume_tiers_are_not_monotone_across_bounds` pins that down); within
//!   one tier they are monotone and asserted so.
//! - **Block rounding never undercharges**: with `round up to s`, the charge is never below the
//!   same book's prorated charge (`round up` replaced by `prorate`) for rates, matrix cells, plan
//!   rates and graduated tiers; for a single rate it is at least the exact unrounded charge
//!   `q * A / P` less half a minor unit (the one final rounding) and at most the exact charge of
//!   `q + s` rounded once. Volume tiers are exempt: rounding up can cross into a cheaper tier.
//! - **`Divider`**: the rater's multiply-and-shift division equals `/` for random `n` and
//!   `d >= 2`, biased to powers of two, their neighbours, `u64::MAX` and multiples of `d`.
//!
//! Case counts are set per test below; `PROPTEST_CASES` overrides them all.

use pricebook::check::check_source;
use pricebook::compile::compile;
use pricebook::rate::{Divider, Rater};
use pricebook::reference;
use pricebook::table::{PricingEntry, RatingTable};
use proptest::prelude::*;
use rust_decimal::Decimal;

// Bill conservation properties (what is charged, granted, drawn down and carried over balances
// across periods) are in `tests/bill.rs`, next to the billing engine's other tests.

fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        // The default ChaCha generator is most of a case's time in a debug build; these tests
        // need varied inputs, not cryptographic ones.
        rng_algorithm: proptest::test_runner::RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    }
}

// ================================================================================================
// Generated books: text for every item and statement form

fn ident() -> BoxedStrategy<String> {
    // Starts with `x`, so never a reserved word.
    "x[a-z0-9_]{0,5}".boxed()
}

fn unit() -> BoxedStrategy<String> {
    prop_oneof![
        Just("credit".to_string()),
        Just("second".to_string()),
        Just("minute".to_string()),
        Just("USD".to_string()),
        Just("character".to_string()),
        Just("image".to_string()),
        Just("month".to_string()),
        ident(),
    ]
    .boxed()
}

/// A number as written: integers, separators, fractions with trailing zeros, negatives.
fn number() -> BoxedStrategy<String> {
    prop_oneof![
        (0u64..1_000_000).prop_map(|n| n.to_string()),
        (1u64..1000, 0u64..1000).prop_map(|(a, b)| format!("{a}_{b:03}")),
        (0u64..100_000, 0u64..100_000, 0usize..4)
            .prop_map(|(a, b, z)| format!("{a}.{b}{}", "0".repeat(z))),
        (1u64..1000).prop_map(|n| format!("-{n}")),
        (1u64..10_000).prop_map(|n| format!("0.{n:08}")),
        Just("79228162514264337593543950335".to_string()),
    ]
    .boxed()
}

/// Horizontal space (quantities and rates stay on one line).
fn hs() -> BoxedStrategy<String> {
    prop_oneof![Just(" "), Just(" "), Just("  "), Just("\t")]
        .prop_map(String::from)
        .boxed()
}

/// Space between statements and items: blanks, new lines, comments.
fn sep() -> BoxedStrategy<String> {
    prop_oneof![
        Just(" ".to_string()),
        Just("  ".to_string()),
        Just("\n".to_string()),
        Just("\n  ".to_string()),
        Just("\n\n".to_string()),
        Just("\r\n".to_string()),
        Just(" # a comment, with \"quotes\" and # marks\n".to_string()),
        Just("\n# a comment line\n  ".to_string()),
    ]
    .boxed()
}

fn string() -> BoxedStrategy<String> {
    prop::collection::vec(
        prop_oneof![
            Just("a"),
            Just("Z"),
            Just(" "),
            Just("7"),
            Just("#"),
            Just(","),
            Just("="),
            Just("{"),
            Just("}"),
            Just("é"),
            Just("\\\""),
            Just("\\\\"),
        ],
        0..8,
    )
    .prop_map(|v| format!("\"{}\"", v.concat()))
    .boxed()
}

fn date() -> BoxedStrategy<String> {
    (2000u32..2100, 1u32..13, 1u32..29)
        .prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}"))
        .boxed()
}

fn datetime() -> BoxedStrategy<String> {
    prop_oneof![
        date(),
        (date(), 0u32..24, 0u32..60).prop_map(|(d, h, m)| format!("{d}T{h:02}:{m:02}:00Z")),
        (date(), 0u32..24).prop_map(|(d, h)| format!("{d}T{h:02}:30+02:00")),
    ]
    .boxed()
}

fn quantity() -> BoxedStrategy<String> {
    (number(), hs(), unit())
        .prop_map(|(n, h, u)| format!("{n}{h}{u}"))
        .boxed()
}

fn per() -> BoxedStrategy<String> {
    prop_oneof![
        Just(" / ".to_string()),
        Just("/".to_string()),
        Just(" per ".to_string()),
        Just("\t/ ".to_string()),
    ]
    .boxed()
}

fn rate() -> BoxedStrategy<String> {
    (
        number(),
        hs(),
        unit(),
        per(),
        prop::option::of(number()),
        unit(),
    )
        .prop_map(|(n, h, u, p, block, pu)| {
            let block = block.map_or(String::new(), |b| format!("{b} "));
            format!("{n}{h}{u}{p}{block}{pu}")
        })
        .boxed()
}

fn price_expr() -> BoxedStrategy<String> {
    (
        number(),
        unit(),
        prop::option::of((per(), prop::option::of(number()), unit())),
    )
        .prop_map(|(n, u, p)| match p {
            None => format!("{n} {u}"),
            Some((p, block, pu)) => {
                let block = block.map_or(String::new(), |b| format!("{b} "));
                format!("{n} {u}{p}{block}{pu}")
            }
        })
        .boxed()
}

/// A dimension value: a word, several words, or a string.
fn dim_value() -> BoxedStrategy<String> {
    prop_oneof![
        "v[a-z0-9.+_-]{0,4}",
        "v[a-z0-9]{0,3} w[a-z0-9]{0,3}",
        "[0-9]{1,4}p",
        string(),
    ]
    .boxed()
}

fn dim_single() -> BoxedStrategy<String> {
    prop_oneof!["v[a-z0-9.+_-]{0,4}", "[0-9]{1,4}[pK]", string()].boxed()
}

fn list(item: BoxedStrategy<String>, max: usize) -> BoxedStrategy<String> {
    prop::collection::vec(item, 1..=max)
        .prop_map(|v| v.join(", "))
        .boxed()
}

fn allow() -> BoxedStrategy<String> {
    (
        prop_oneof![
            Just("unused-product".to_string()),
            Just("identical-plans".to_string()),
            ident()
        ],
        string(),
    )
        .prop_map(|(c, s)| format!("allow {c} {s}"))
        .boxed()
}

fn block(head: String, stmts: Vec<String>, seps: Vec<String>) -> String {
    let mut out = format!("{head} {{");
    for (i, s) in stmts.iter().enumerate() {
        out.push_str(seps.get(i).map_or(" ", String::as_str));
        out.push_str(s);
    }
    out.push_str(seps.last().map_or(" ", String::as_str));
    out.push('}');
    out
}

fn product_stmt() -> BoxedStrategy<String> {
    let tier = (
        quantity(),
        prop::option::of(quantity()),
        rate(),
        any::<bool>(),
    )
        .prop_map(|(from, to, r, tight)| {
            let to = to.map_or(String::new(), |t| format!("{t} "));
            if tight {
                format!("{from}..{to}: {r}")
            } else {
                format!("{from} .. {to}: {r}")
            }
        });
    prop_oneof![
        unit().prop_map(|u| format!("measure {u}")),
        rate().prop_map(|r| format!("rate {r}")),
        (list(dim_value(), 3), rate()).prop_map(|(k, r)| format!("rate {k} = {r}")),
        (dim_value(), dim_value(), list(dim_value(), 2), rate())
            .prop_map(|(a, b, k, r)| format!("rate {a} | {b}, {k} = {r}")),
        list(dim_value(), 2).prop_map(|k| format!("rate {k} = not offered")),
        (
            prop_oneof![Just("graduated"), Just("volume")],
            prop_oneof![Just(""), Just(" per event"), Just(" per period")],
            prop::collection::vec(tier, 0..4),
            sep()
        )
            .prop_map(|(m, scope, tiers, s)| {
                let body: Vec<String> = tiers.iter().map(|t| format!("{s}{t}")).collect();
                format!("tiers {m}{scope} {{{}{s}}}", body.concat())
            }),
        (number(), unit(), prop::option::of((per(), unit()))).prop_map(|(n, u, p)| match p {
            Some((p, pu)) => format!("flat {n} {u}{p}{pu}"),
            None => format!("flat {n} {u}"),
        }),
        Just("free".to_string()),
        (
            prop_oneof![Just("up"), Just("down"), Just("nearest")],
            quantity()
        )
            .prop_map(|(m, q)| format!("round {m} to {q}")),
        Just("prorate".to_string()),
        quantity().prop_map(|q| format!("min {q}")),
        quantity().prop_map(|q| format!("max {q}")),
        (
            prop_oneof![Just("least"), Just("most")],
            quantity(),
            prop_oneof![Just(""), Just(" per event"), Just(" per period")]
        )
            .prop_map(|(b, q, per)| format!("bill at {b} {q}{per}")),
        Just("outside wallet".to_string()),
        list(ident(), 3).prop_map(|l| format!("dims {l}")),
        Just("rate unpublished".to_string()),
        list(string(), 3).prop_map(|l| format!("aka {l}")),
        allow(),
    ]
    .boxed()
}

fn grant() -> BoxedStrategy<String> {
    let expiry = prop_oneof![
        Just("never expires".to_string()),
        Just("expires at cycle end".to_string()),
        Just("expires at contract end".to_string()),
        quantity().prop_map(|q| format!("expires after {q}")),
        number().prop_map(|n| format!("priority {n}")),
    ];
    (
        quantity(),
        prop_oneof![
            Just(String::new()),
            Just(" once".to_string()),
            unit().prop_map(|u| format!(" every {u}")),
        ],
        prop::collection::vec(expiry, 0..3),
    )
        .prop_map(|(q, c, opts)| {
            let opts: String = opts.iter().map(|o| format!(", {o}")).collect();
            format!("grant {q}{c}{opts}")
        })
        .boxed()
}

fn price_stmt() -> BoxedStrategy<String> {
    (
        prop_oneof![
            Just("custom".to_string()),
            Just("unpublished".to_string()),
            price_expr()
        ],
        prop::option::of(price_expr()),
    )
        .prop_map(|(p, m)| match m {
            Some(m) => format!("price {p}, minimum {m}"),
            None => format!("price {p}"),
        })
        .boxed()
}

fn plan_stmt() -> BoxedStrategy<String> {
    let limit_value = prop_oneof![quantity(), number(), dim_single()];
    prop_oneof![
        price_stmt(),
        list(
            prop_oneof![
                Just("monthly".to_string()),
                Just("annual".to_string()),
                ident()
            ]
            .boxed(),
            2
        )
        .prop_map(|l| format!("billing {l}")),
        grant(),
        prop_oneof![Just("packs allowed"), Just("packs not allowed")].prop_map(String::from),
        prop_oneof![Just("all".to_string()), list(ident(), 3)]
            .prop_map(|l| format!("products {l}")),
        list(ident(), 3).prop_map(|l| format!("deny {l}")),
        (
            prop::collection::vec(ident(), 1..3),
            limit_value,
            prop::option::of(unit()),
            prop::option::of(list(ident(), 2))
        )
            .prop_map(|(name, v, w, on)| {
                let w = w.map_or(String::new(), |w| format!(" per {w}"));
                let on = on.map_or(String::new(), |o| format!(" on {o}"));
                format!("limit {} <= {v}{w}{on}", name.join(" "))
            }),
        (
            quantity(),
            unit(),
            prop::option::of(list(ident(), 2)),
            prop_oneof![
                Just(String::new()),
                Just(", then reject".to_string()),
                Just(", then wallet".to_string()),
                rate().prop_map(|r| format!(", then overage {r}")),
            ]
        )
            .prop_map(|(q, w, on, then)| {
                let on = on.map_or(String::new(), |o| format!(" on {o}"));
                format!("allowance {q} per {w}{on}{then}")
            }),
        (
            ident(),
            prop_oneof![quantity(), number(), string(), ident()]
        )
            .prop_map(|(n, v)| format!("feature {n} = {v}")),
        prop_oneof![
            Just("when empty reject".to_string()),
            Just("when empty overage".to_string()),
            rate().prop_map(|r| format!("when empty overage {r}")),
            Just("when empty auto recharge".to_string()),
        ],
        (number(), unit(), per(), unit())
            .prop_map(|(n, u, p, pu)| format!("commit {n} {u}{p}{pu}")),
        (quantity(), prop::option::of(rate())).prop_map(|(q, r)| match r {
            Some(r) => format!("includes {q} at {r}"),
            None => format!("includes {q}"),
        }),
        rate().prop_map(|r| format!("overage {r}")),
        (ident(), rate()).prop_map(|(p, r)| format!("rate {p} = {r}")),
        allow(),
    ]
    .boxed()
}

fn pack_stmt() -> BoxedStrategy<String> {
    prop_oneof![
        price_stmt(),
        grant(),
        list(ident(), 3).prop_map(|l| format!("for {l}")),
        allow(),
    ]
    .boxed()
}

fn recharge_stmt() -> BoxedStrategy<String> {
    prop_oneof![
        quantity().prop_map(|q| format!("below {q}")),
        quantity().prop_map(|q| format!("refill to {q}")),
        (number(), unit(), prop::option::of(unit())).prop_map(|(n, u, p)| match p {
            Some(p) => format!("cap {n} {u} / {p}"),
            None => format!("cap {n} {u}"),
        }),
        (
            prop_oneof![Just("below"), Just("refill"), Just("cap")],
            quantity()
        )
            .prop_map(|(f, q)| format!("minimum {f} {q}")),
        price_stmt(),
        list(ident(), 3).prop_map(|l| format!("for {l}")),
    ]
    .boxed()
}

fn dim_args() -> BoxedStrategy<String> {
    prop::collection::vec(
        (prop::option::of(ident()), dim_single()).prop_map(|(d, v)| match d {
            Some(d) => format!(" dim {d} = {v}"),
            None => format!(" dim {v}"),
        }),
        0..3,
    )
    .prop_map(|v| v.concat())
    .boxed()
}

fn target() -> BoxedStrategy<String> {
    // A product by slug, or by a display name or alias written as a string.
    (prop::option::of(ident()), prop_oneof![ident(), string()])
        .prop_map(|(p, x)| match p {
            Some(p) => format!("plan {p} product {x}"),
            None => format!("product {x}"),
        })
        .boxed()
}

fn test_stmt() -> BoxedStrategy<String> {
    let expect = prop_oneof![
        (quantity(), prop::option::of(quantity())).prop_map(|(c, m)| match m {
            Some(m) => format!("== {c}, money {m}"),
            None => format!("== {c}"),
        }),
        (
            prop::option::of(prop::sample::select(vec![
                "limit",
                "not-available",
                "minimum",
                "wallet-empty",
                "not-in-force",
            ])),
            prop::option::of(string())
        )
            .prop_map(|(k, s)| {
                let mut out = String::from("rejects");
                if let Some(k) = k {
                    out.push(' ');
                    out.push_str(k);
                }
                if let Some(s) = s {
                    out.push(' ');
                    out.push_str(&s);
                }
                out
            }),
    ];
    let at = prop::option::of(date().prop_map(|d| format!(" at {d}")))
        .prop_map(Option::unwrap_or_default);
    let bill_option = prop_oneof![
        ident().prop_map(|b| format!(" billing {b}")),
        date().prop_map(|d| format!(" from {d}")),
        number().prop_map(|n| format!(" periods {n}")),
        (quantity(), quantity(), prop::option::of((number(), unit()))).prop_map(|(b, t, c)| {
            match c {
                Some((n, u)) => format!(" recharge below {b} to {t} cap {n} {u}"),
                None => format!(" recharge below {b} to {t}"),
            }
        }),
    ];
    let expect_word = prop_oneof![
        Just("total".to_string()),
        Just("remaining".to_string()),
        Just("line".to_string()),
        Just("overage".to_string()),
        Just("credit-pack".to_string()),
        string(),
    ];
    let bill_stmt = prop_oneof![
        (datetime(), ident(), dim_args(), quantity())
            .prop_map(|(t, p, d, q)| format!("{t} use {p}{d} {q}")),
        (datetime(), ident()).prop_map(|(t, p)| format!("{t} buy {p}")),
        (
            datetime(),
            prop_oneof![Just("plan"), Just("billing")],
            ident()
        )
            .prop_map(|(t, what, x)| format!("{t} change {what} {x}")),
        datetime().prop_map(|t| format!("{t} cancel")),
        (
            prop::collection::vec(expect_word, 1..3),
            prop_oneof![quantity(), number()]
        )
            .prop_map(|(w, v)| format!("expect {} == {v}", w.join(" "))),
    ];
    prop_oneof![
        (
            target(),
            dim_args(),
            prop::option::of(quantity()),
            quantity(),
            at.clone(),
            expect
        )
            .prop_map(|(t, d, used, q, at, e)| {
                let used = used.map(|u| format!(" used {u}")).unwrap_or_default();
                format!("quote {t}{d}{used} quantity {q}{at} {e}")
            }),
        (target(), dim_args(), at, quantity())
            .prop_map(|(t, d, at, q)| format!("capacity {t}{d}{at} == {q}")),
        (
            prop::option::of(ident()),
            prop::collection::vec(bill_option, 0..3),
            prop::collection::vec((bill_stmt, sep()), 0..4),
        )
            .prop_map(|(p, opts, body)| {
                let p = p.map_or(String::new(), |p| format!(" plan {p}"));
                let body: String = body.iter().map(|(s, sp)| format!("{sp}{s}")).collect();
                format!("bill{p}{} {{{body}\n}}", opts.concat())
            }),
    ]
    .boxed()
}

fn stmts(s: BoxedStrategy<String>, max: usize) -> BoxedStrategy<(Vec<String>, Vec<String>)> {
    (
        prop::collection::vec(s, 0..=max),
        prop::collection::vec(sep(), max + 1),
    )
        .boxed()
}

fn item() -> BoxedStrategy<String> {
    prop_oneof![
        2 => (ident(), prop::option::of(quantity())).prop_map(|(n, q)| match q {
            Some(q) => format!("unit {n} = {q}"),
            None => format!("unit {n}"),
        }),
        1 => (ident(), list(dim_value(), 4), any::<bool>(), prop::option::of(ident())).prop_map(
            |(n, v, trailing, default)| {
                let default = default.map_or(String::new(), |d| format!(" default {d}"));
                format!("dimension {n} {{ {v}{} }}{default}", if trailing { "," } else { "" })
            }
        ),
        4 => (string(), ident(), stmts(product_stmt(), 6))
            .prop_map(|(d, s, (st, sp))| block(format!("product {d} as {s}"), st, sp)),
        4 => (string(), ident(), prop::option::of(ident()), stmts(plan_stmt(), 7))
            .prop_map(|(d, s, b, (st, sp))| {
                let b = b.map_or(String::new(), |b| format!(" based on {b}"));
                block(format!("plan {d} as {s}{b}"), st, sp)
            }),
        1 => (string(), ident(), stmts(pack_stmt(), 3))
            .prop_map(|(d, s, (st, sp))| block(format!("pack {d} as {s}"), st, sp)),
        1 => (ident(), prop::collection::vec(quantity(), 0..2)).prop_map(|(p, q)| {
            let body: String = q.iter().map(|q| format!(" front-load {q}")).collect();
            format!("billing {p} {{{body} }}")
        }),
        1 => stmts(recharge_stmt(), 4)
            .prop_map(|(st, sp)| block("auto recharge".to_string(), st, sp)),
        1 => rate().prop_map(|r| format!("floor {r}")),
        1 => allow(),
        2 => (string(), stmts(test_stmt(), 3))
            .prop_map(|(n, (st, sp))| block(format!("test {n}"), st, sp)),
        1 => (
            string(),
            ident(),
            ident(),
            prop::option::of(ident()),
            prop::option::of(string()),
            date()
        )
            .prop_map(|(c, s, v, list, ver, d)| {
                let list = list.map_or(String::new(), |l| format!(" list {l}"));
                let ver = ver.map_or(String::new(), |v| format!(" version {v}"));
                format!("contract {c} as {s} for {v}{list}{ver} effective {d}")
            }),
    ]
    .boxed()
}

fn book() -> BoxedStrategy<String> {
    (
        ident(),
        prop::option::of(ident()),
        string(),
        date(),
        prop_oneof![Just("USD"), Just("JPY"), Just("EUR")],
        prop::collection::vec((item(), sep()), 0..8),
    )
        .prop_map(|(v, list, ver, d, cur, items)| {
            let list = list.map_or(String::new(), |l| format!(" list {l}"));
            let mut out = format!("pricebook {v}{list} version {ver} effective {d} currency {cur}");
            for (i, s) in items {
                out.push_str(if s.contains('\n') { &s } else { "\n" });
                out.push_str(&i);
            }
            out.push('\n');
            out
        })
        .boxed()
}

proptest! {
    #![proptest_config(cases(2_000))]

    /// Generated books survive print -> parse.
    #[test]
    fn generated_books_survive_print_then_parse(text in book()) {
        let parsed = pricebook::syntax::parse(&text);
        prop_assert!(
            parsed.diagnostics.is_empty(),
            "the generator wrote a book that does not parse: {:?}\n{text}",
            parsed.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
        let once = pricebook::fmt::format_source(&text)
            .map_err(|d| TestCaseError::fail(format!("fmt refused a book that parses: {d:?}")))?;
        let reparsed = pricebook::syntax::parse(&once);
        prop_assert!(
            reparsed.diagnostics.is_empty(),
            "formatted text does not parse: {:?}\n--- input\n{text}\n--- formatted\n{once}",
            reparsed.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
        prop_assert!(
            reparsed.book == parsed.book,
            "parse(fmt(x)) != parse(x)\n--- input\n{text}\n--- formatted\n{once}"
        );
        let twice = pricebook::fmt::format_source(&once)
            .map_err(|d| TestCaseError::fail(format!("fmt refused its own output: {d:?}")))?;
        prop_assert_eq!(twice, once);
    }
}

// ================================================================================================
// Arithmetic properties on small checked books

/// Minor digits of a charge unit.
fn dp_of(unit: &str) -> u32 {
    pricebook::base::money::charge_dp(unit)
}

/// `num / den` rounded half away from zero to an integer (den > 0, num >= 0).
fn round_half_up(num: i128, den: i128) -> i128 {
    (2 * num + den) / (2 * den)
}

/// `d` as (mantissa, scale).
fn parts(d: Decimal) -> (i128, u32) {
    (d.mantissa(), d.scale())
}

/// A charge as an integer count of minor units (`dp` places).
fn minor(charge: Decimal, dp: u32) -> i128 {
    let mut c = charge;
    c.rescale(dp);
    assert_eq!(c.scale(), dp, "{charge} at {dp} places");
    c.mantissa()
}

/// The exact charge `q * amount / per_base`, scaled to minor units, as the fraction (num, den).
fn exact_minor(q: Decimal, amount: Decimal, per_base: Decimal, dp: u32) -> Option<(i128, i128)> {
    let (qm, qs) = parts(q);
    let (am, asc) = parts(amount);
    let (pm, ps) = parts(per_base);
    let num = qm
        .checked_mul(am)?
        .checked_mul(10i128.checked_pow(ps + dp)?)?;
    let den = 10i128.checked_pow(qs + asc)?.checked_mul(pm)?;
    Some((num, den))
}

#[derive(Debug, Clone)]
struct RateBook {
    measure: &'static str,
    per_unit: &'static str,
    amount: Decimal,
    block: Option<u32>,
    charge: &'static str,
    currency: &'static str,
}

impl RateBook {
    fn text(&self, rounding: &str) -> String {
        let block = self.block.map_or(String::new(), |b| format!("{b} "));
        let outside = if self.charge == self.currency {
            "  outside wallet"
        } else {
            ""
        };
        format!(
            "pricebook prop version \"1\" effective 2026-01-01 currency {cur}\n\
             unit credit\n\
             product \"P\" as p {{ measure {m}  rate {a} {c} / {block}{pu}  {rounding}{outside} }}\n\
             plan \"Pro\" as pro {{ price 30 {cur} / month  grant 5400 credit every month, expires at cycle end }}\n",
            cur = self.currency,
            m = self.measure,
            a = self.amount,
            c = self.charge,
            pu = self.per_unit,
        )
    }
}

fn rate_book() -> impl Strategy<Value = RateBook> {
    (
        prop_oneof![
            Just(("time", "second")),
            Just(("time", "minute")),
            Just(("time", "hour")),
            Just(("text", "character")),
            Just(("image", "image")),
        ],
        (1i64..10_000_000, 0u32..7),
        prop::option::of(prop_oneof![Just(1000u32), Just(3), Just(7), 1u32..5000]),
        prop_oneof![Just("USD"), Just("JPY"), Just("EUR")],
        any::<bool>(),
    )
        .prop_map(
            |((measure, per_unit), (m, s), block, currency, money)| RateBook {
                measure,
                per_unit,
                amount: Decimal::new(m, s),
                block,
                charge: if money { currency } else { "credit" },
                currency,
            },
        )
}

/// A checked, compiled book (the generators only write valid ones).
fn build(text: &str) -> (pricebook::model::Model, RatingTable) {
    let checked = check_source(text);
    let model = checked.model.unwrap_or_else(|| {
        panic!(
            "generated book does not check: {:?}\n{text}",
            checked
                .diagnostics
                .iter()
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        )
    });
    let table = compile(&model, text).expect("a checked model compiles");
    (model, table)
}

/// A quantity in nano-units (the rater's fast path) or with more decimals (its exact path).
fn usage() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        4 => (0i64..10_000_000_000_000).prop_map(|n| Decimal::new(n, 9)),
        2 => (0i64..100_000).prop_map(Decimal::from),
        1 => (0i64..1_000_000_000_000, 10u32..13).prop_map(|(n, s)| Decimal::new(n, s)),
    ]
}

/// The charge of `q` through the reference, the table and the rater, which must agree.
fn charge(
    model: &pricebook::model::Model,
    table: &RatingTable,
    rater: &Rater<'_>,
    q: Decimal,
) -> Option<(Decimal, Option<Decimal>)> {
    let r = reference::quote(model, Some(0), 0, &[], q);
    let t = table.quote(Some(0), 0, 0, q);
    let f = rater.quote(rater.key(Some(0), 0, 0).expect("key"), q);
    match (&r, &t, &f) {
        (Ok(r), Ok(t), Ok(f)) => {
            assert_eq!(
                (r.charge, r.money.as_ref().map(|m| m.0)),
                (t.charge, t.money)
            );
            assert_eq!((t.charge, t.money), (f.charge, f.money));
            Some((t.charge, t.money))
        }
        (Err(_), Err(_), Err(_)) => None,
        _ => panic!("implementations disagree on {q}: {r:?} / {t:?} / {f:?}"),
    }
}

proptest! {
    #![proptest_config(cases(1_000))]

    /// Rating is additive for linear meters, up to the one final rounding.
    #[test]
    fn rating_is_additive_for_linear_meters(
        book in rate_book(),
        prorate in any::<bool>(),
        pairs in prop::collection::vec((usage(), usage()), 50),
    ) {
        let text = book.text(if prorate { "prorate" } else { "" });
        let (model, table) = build(&text);
        let rater = Rater::new(&table);
        let PricingEntry::Cells { cells } = &table.products()[0].pricing else { unreachable!() };
        let cell = cells[0].as_ref().expect("priced");
        let dp = dp_of(book.charge);
        for (a, b) in pairs {
            let sum = a + b;
            let (Some((ca, _)), Some((cb, _)), Some((cs, _))) = (
                charge(&model, &table, &rater, a),
                charge(&model, &table, &rater, b),
                charge(&model, &table, &rater, sum),
            ) else {
                continue;
            };
            let (ma, mb, ms) = (minor(ca, dp), minor(cb, dp), minor(cs, dp));
            // quote(a + b) is the exact charge of a + b, rounded once.
            if let Some((num, den)) = exact_minor(sum, cell.amount, cell.per_base, dp) {
                prop_assert_eq!(ms, round_half_up(num, den), "{} + {} in\n{}", a, b, text);
            }
            // Separately rounded parts differ from the rounded whole by at most one minor unit,
            // and not at all when each part prices to whole minor units.
            prop_assert!((ma + mb - ms).abs() <= 1, "{a} + {b}: {ca} + {cb} vs {cs}\n{text}");
            let whole = |q: Decimal| {
                exact_minor(q, cell.amount, cell.per_base, dp).is_some_and(|(n, d)| n % d == 0)
            };
            if whole(a) && whole(b) {
                prop_assert_eq!(ma + mb, ms);
            }
        }
    }
}

/// One product of any shape but volume tiers, optionally with a rounding step; or volume tiers.
#[derive(Debug, Clone)]
struct ShapeBook {
    /// The product's pricing statement(s), without rounding.
    pricing: String,
    measure: &'static str,
    base: &'static str,
    volume: bool,
    /// Tier bounds in base units (volume tiers: monotone only within one tier).
    bounds: Vec<Decimal>,
    money: bool,
}

impl ShapeBook {
    fn text(&self, rounding: &str, plan_rate: Option<&str>) -> String {
        let outside = if self.money { "  outside wallet" } else { "" };
        let plan_rate = plan_rate.map_or(String::new(), |r| format!("  rate p = {r}"));
        format!(
            "pricebook prop version \"1\" effective 2026-01-01 currency USD\n\
             unit credit\n\
             dimension res {{ low, high }}\n\
             product \"P\" as p {{ measure {m}  {pricing}  {rounding}{outside} }}\n\
             plan \"Pro\" as pro {{ price 30 USD / month  grant 5400 credit every month, expires at cycle end{plan_rate} }}\n",
            m = self.measure,
            pricing = self.pricing,
        )
    }
}

fn amount_text() -> impl Strategy<Value = String> {
    (1i64..1_000_000, 0u32..6).prop_map(|(m, s)| Decimal::new(m, s).to_string())
}

fn shape_book() -> impl Strategy<Value = ShapeBook> {
    let measure = prop_oneof![
        Just(("time", "second", "minute")),
        Just(("text", "character", "character")),
        Just(("image", "image", "image")),
    ];
    let tiers = prop::collection::vec((1i64..5000, amount_text()), 1..5);
    (
        measure,
        0u32..7,
        amount_text(),
        tiers,
        any::<bool>(),
        (amount_text(), amount_text()),
    )
        .prop_map(|((measure, base, other), shape, a, tiers, money, (m1, m2))| {
            let charge = if money { "USD" } else { "credit" };
            let mut bounds = Vec::new();
            let (pricing, volume) = match shape {
                0 => (format!("rate {a} {charge} / {base}"), false),
                1 => (format!("rate {a} {charge} / 1000 {other}"), false),
                2 | 3 => {
                    let mode = if shape == 2 { "graduated" } else { "volume" };
                    let mut from = Decimal::ZERO;
                    let mut lines = Vec::new();
                    for (i, (width, r)) in tiers.iter().enumerate() {
                        bounds.push(from);
                        let to = from + Decimal::from(*width);
                        let upper = if i + 1 == tiers.len() {
                            String::new()
                        } else {
                            format!("{to} {base}")
                        };
                        lines.push(format!("{from} {base} .. {upper} : {r} {charge} / {base}"));
                        from = to;
                    }
                    (format!("tiers {mode} {{ {} }}", lines.join("  ")), shape == 3)
                }
                4 => (
                    format!(
                        "dims res  rate low = {m1} {charge} / {base}  rate high = {m2} {charge} / {other}"
                    ),
                    false,
                ),
                5 => (format!("flat {a} {charge}"), false),
                _ => ("free".to_string(), false),
            };
            ShapeBook {
                money: money && shape != 6,
                pricing,
                measure,
                base,
                volume,
                bounds,
            }
        })
}

/// A rounding mode and step (in the product's base unit).
fn rounding() -> impl Strategy<Value = (&'static str, Decimal)> {
    (
        prop_oneof![Just("up"), Just("down"), Just("nearest")],
        (1i64..1000, 0u32..4),
    )
        .prop_map(|(mode, (m, s))| (mode, Decimal::new(m, s)))
}

/// Which tier (by lower bound) a quantity falls in.
fn tier_of(bounds: &[Decimal], q: Decimal) -> usize {
    bounds.iter().rposition(|b| q >= *b).unwrap_or(0)
}

proptest! {
    #![proptest_config(cases(1_000))]

    /// More usage never costs less (volume tiers: within one tier).
    #[test]
    fn more_usage_never_costs_less(
        book in shape_book(),
        round in prop::option::of(rounding()),
        plan_rate in prop::option::of(amount_text()),
        mut qs in prop::collection::vec(usage(), 2..40),
    ) {
        let plan_rate = plan_rate.filter(|_| !book.pricing.starts_with("flat") && book.pricing != "free").map(|a| {
            format!("{a} {} / {}", if book.money { "USD" } else { "credit" }, book.base)
        });
        let round = round.map_or(String::new(), |(mode, step)| {
            format!("round {mode} to {step} {}", book.base)
        });
        let text = book.text(&round, plan_rate.as_deref());
        let (model, table) = build(&text);
        let rater = Rater::new(&table);
        let cells = match &table.products()[0].pricing {
            PricingEntry::Cells { cells } => cells.len(),
            _ => 1,
        } as u32;
        qs.sort();
        // A rounding step moves the quantity before the tiers: compare tiers of the rounded one.
        let step = table.products()[0].rounding.clone();
        let rounded = |q: Decimal| match &step {
            Some(r) => {
                let blocks = q / r.step;
                let whole = match r.mode {
                    pricebook::table::RoundMode::Up => blocks.ceil(),
                    pricebook::table::RoundMode::Down => blocks.floor(),
                    pricebook::table::RoundMode::Nearest => blocks.round_dp_with_strategy(
                        0,
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                    ),
                };
                whole * r.step
            }
            None => q,
        };
        for cell in 0..cells {
            let key = rater.key(Some(0), 0, cell).expect("key");
            let dims: Vec<usize> = if cells > 1 { vec![cell as usize] } else { vec![] };
            let mut prev: Option<(Decimal, Decimal, Option<Decimal>)> = None;
            for q in &qs {
                let r = reference::quote(&model, Some(0), 0, &dims, *q);
                let t = table.quote(Some(0), 0, cell, *q);
                let f = rater.quote(key, *q);
                let (Ok(r), Ok(t), Ok(f)) = (r, t, f) else { continue };
                prop_assert_eq!((r.charge, t.charge), (f.charge, f.charge));
                if let Some((pq, pc, pm)) = prev {
                    let same_tier = !book.volume
                        || tier_of(&book.bounds, rounded(pq)) == tier_of(&book.bounds, rounded(*q));
                    if same_tier {
                        prop_assert!(pc <= t.charge, "{pq} costs {pc}, {q} costs {}\n{text}", t.charge);
                        if let (Some(pm), Some(m)) = (pm, t.money) {
                            prop_assert!(pm <= m, "money of {pq} {pm} > of {q} {m}\n{text}");
                        }
                    }
                }
                prev = Some((*q, t.charge, t.money));
            }
        }
    }

    /// `round up` never charges less than prorating the same usage.
    #[test]
    fn block_rounding_never_undercharges(
        book in shape_book().prop_filter("volume tiers may get cheaper", |b| !b.volume),
        step in (1i64..1000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s)),
        plan_rate in prop::option::of(amount_text()),
        qs in prop::collection::vec(usage(), 1..40),
    ) {
        let plan_rate = plan_rate.filter(|_| !book.pricing.starts_with("flat") && book.pricing != "free").map(|a| {
            format!("{a} {} / {}", if book.money { "USD" } else { "credit" }, book.base)
        });
        let up_text = book.text(&format!("round up to {step} {}", book.base), plan_rate.as_deref());
        let pro_text = book.text("prorate", plan_rate.as_deref());
        let (up_model, up) = build(&up_text);
        let (_, pro) = build(&pro_text);
        let cells = match &up.products()[0].pricing {
            PricingEntry::Cells { cells } => cells.len(),
            _ => 1,
        } as u32;
        for cell in 0..cells {
            let dims: Vec<usize> = if cells > 1 { vec![cell as usize] } else { vec![] };
            // The single rate that prices this cell, if it is one.
            let rate = match (&up.plans()[0].overrides.first(), &up.products()[0].pricing) {
                (Some((_, r)), _) => Some(r.clone()),
                (None, PricingEntry::Cells { cells }) => cells[cell as usize].clone(),
                _ => None,
            };
            for q in &qs {
                let (Ok(a), Ok(b)) = (up.quote(Some(0), 0, cell, *q), pro.quote(Some(0), 0, cell, *q))
                else { continue };
                let r = reference::quote(&up_model, Some(0), 0, &dims, *q).expect("reference agrees");
                prop_assert_eq!(r.charge, a.charge);
                prop_assert!(
                    a.charge >= b.charge,
                    "{q} rounded up costs {}, prorated {}\n{up_text}", a.charge, b.charge
                );
                let Some(rate) = &rate else { continue };
                let dp = up.units()[rate.unit as usize].charge_dp;
                let c = minor(a.charge, dp);
                // At least the exact charge less half a minor unit (the final rounding)...
                if let Some((num, den)) = exact_minor(*q, rate.amount, rate.per_base, dp) {
                    if let Some(lhs) = c.checked_mul(2).and_then(|x| x.checked_mul(den)) {
                        prop_assert!(lhs >= 2 * num - den, "{q}: {} under exact {num}/{den}\n{up_text}", a.charge);
                    }
                }
                // ...and at most the exact charge of one more step, rounded once.
                let factor = up
                    .units()
                    .iter()
                    .find(|u| u.name == book.base)
                    .map_or(Decimal::ONE, |u| u.factor);
                if let Some((num, den)) =
                    exact_minor(*q + step * factor, rate.amount, rate.per_base, dp)
                {
                    prop_assert!(c <= round_half_up(num, den), "{q}: {} over one step\n{up_text}", a.charge);
                }
            }
        }
    }
}

#[test]
fn volume_tiers_are_not_monotone_across_bounds() {
    // The documented exception: volume pricing makes the 1,000th image cheaper than the 999th.
    let text = "pricebook p version \"1\" effective 2026-01-01 currency USD\n\
                unit credit\n\
                product \"Bulk\" as bulk { measure image  tiers volume { 0 image .. 1000 image : 2 credit / image  1000 image .. : 1 credit / image } }\n\
                plan \"Pro\" as pro { price 30 USD / month  grant 5400 credit every month, expires at cycle end }\n";
    let (_, table) = build(text);
    let q = |n: i64| {
        table
            .quote(Some(0), 0, 0, Decimal::from(n))
            .expect("priced")
            .charge
    };
    assert_eq!(q(999), Decimal::from(1998));
    assert_eq!(q(1000), Decimal::from(1000));
}

// ================================================================================================
// The rater's division

fn divisor() -> impl Strategy<Value = u64> {
    prop_oneof![
        2u64..=u64::MAX,
        2u64..100_000,
        (1u32..64).prop_map(|k| 1u64 << k),
        (1u32..64).prop_map(|k| (1u64 << k) + 1),
        (2u32..64).prop_map(|k| (1u64 << k) - 1),
        (0u64..1000).prop_map(|k| u64::MAX - k),
    ]
}

proptest! {
    #![proptest_config(cases(20_000))]

    /// `Divider::divide(n) == n / d` for every `d >= 2`.
    #[test]
    fn divider_equals_hardware_division(d in divisor(), ns in prop::collection::vec(any::<u64>(), 8), ks in prop::collection::vec(any::<u64>(), 8)) {
        let div = Divider::new(d).expect("d >= 2");
        prop_assert_eq!(div.divisor(), d);
        let mut all = ns;
        // Multiples of d and their neighbours, and the ends of the range.
        for k in ks {
            let m = (k % (u64::MAX / d).max(1)).saturating_mul(d);
            all.extend([m, m.saturating_sub(1), m.saturating_add(1)]);
        }
        all.extend([0, 1, d - 1, d, d.saturating_add(1), u64::MAX, u64::MAX - 1]);
        for n in all {
            prop_assert_eq!(div.divide(n), n / d, "{} / {}", n, d);
        }
    }
}

#[test]
fn divider_refuses_zero_and_one() {
    assert!(Divider::new(0).is_none());
    assert!(Divider::new(1).is_none());
}
