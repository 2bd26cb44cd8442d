//! Compiled rating tables: round trip, refusal of tampered tables, agreement with the reference
//! evaluator over every plan x product x cell, and a reviewed quote table per bundled book.

mod common;

use common::rng::Rng;
use pricebook::check::check_source;
use pricebook::pipeline::compile_source;
use pricebook::reference;
use pricebook::table::{LoadError, PricingEntry, RatingTable};
use rust_decimal::Decimal;
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn books() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "pricebook")
                // A contract is priced layered on its book (`bundled_contracts_layer_on_their_books`).
                && pricebook::load::contract_of(&p).is_none()
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("pricebooks"),
        &mut out,
    );
    out.sort();
    out
}

/// Every bundled book and contract as the evaluators see it: its label, checked model and
/// compiled table. A contract is layered on the book it names (found beside it).
fn priced_books() -> Vec<(String, pricebook::model::Model, RatingTable)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("pricebooks");
    let mut out = Vec::new();
    for path in pricebook::load::book_files(&[root]).expect("the bundled books") {
        let text = std::fs::read_to_string(&path).expect("read");
        let label = path.display().to_string();
        if pricebook::load::contract_of(&path).is_some() {
            let book = pricebook::load::contract_book(&path).expect("its book is beside it");
            let book_text = std::fs::read_to_string(&book).expect("read");
            let layered = pricebook::pipeline::check_contract(
                &book.display().to_string(),
                &book_text,
                &label,
                &text,
            );
            assert!(
                !layered.check.has_errors(),
                "{label}: {:?}",
                layered.check.diagnostics
            );
            let model = layered.check.model.expect("a model");
            let table = layered.check.table.expect("a table");
            out.push((label, model, table));
        } else {
            let model = check_source(&text).model.expect("clean book");
            let table = compile_source(&text).expect("compiles");
            out.push((label, model, table));
        }
    }
    out
}

#[test]
fn bundled_contracts_layer_on_their_books() {
    let contracts: Vec<_> = priced_books()
        .into_iter()
        .filter(|(label, ..)| label.contains("contract-"))
        .collect();
    assert!(
        !contracts.is_empty(),
        "pricebooks/ holds an example contract"
    );
    for (label, _, table) in contracts {
        // Opened as a file, a contract finds its book and prices with the contract's plans.
        let opened = pricebook::open_file(Path::new(&label)).expect("the contract opens");
        assert_eq!(opened.table.plans().len(), table.plans().len(), "{label}");
        let json = table.to_json();
        let back = RatingTable::from_json(&json).expect("round trip");
        assert_eq!(back.to_json(), json, "{label}");
    }
}

fn name(p: &Path) -> String {
    let vendor = p
        .parent()
        .and_then(|d| d.file_name())
        .and_then(|s| s.to_str())
        .unwrap_or("");
    let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    format!("{vendor}-{stem}")
}

/// Every cell of a product as (label, value indexes).
fn cells(table: &RatingTable, product: usize) -> Vec<(String, Vec<u32>)> {
    let p = &table.products()[product];
    let mut out = vec![(String::new(), Vec::new())];
    for d in &p.dims {
        let dim = &table.dimensions()[*d as usize];
        let mut next = Vec::new();
        for (label, key) in &out {
            for (i, v) in dim.values.iter().enumerate() {
                let mut k = key.clone();
                k.push(i as u32);
                let l = if label.is_empty() {
                    v.clone()
                } else {
                    format!("{label}, {v}")
                };
                next.push((l, k));
            }
        }
        out = next;
    }
    out
}

/// A standard quantity per measured dimension: a minute, 1,000 characters, a megapixel, one item.
fn standard(table: &RatingTable, product: usize) -> (Decimal, String) {
    let p = &table.products()[product];
    match p.measure.as_str() {
        "time" => (Decimal::from(60), "second".into()),
        "text" => (Decimal::from(1000), "character".into()),
        _ => (Decimal::ONE, table.base_unit(&p.measure).to_string()),
    }
}

#[test]
fn every_book_compiles_and_round_trips() {
    for path in books() {
        let text = std::fs::read_to_string(&path).expect("read");
        let table = compile_source(&text)
            .unwrap_or_else(|e| panic!("{}: {:?}", path.display(), e.diagnostics));
        let json = table.to_json();
        let back =
            RatingTable::from_json(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(back, table, "{}", path.display());
        assert_eq!(back.schema_version(), pricebook::table::SCHEMA_VERSION);
        assert_eq!(
            back.source_hash(),
            pricebook::table::sha256_hex(text.as_bytes())
        );
    }
}

#[test]
fn tampered_tables_are_refused() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("pricebooks/hedra/2026-06.pricebook"),
    )
    .expect("read");
    let json = compile_source(&text).expect("compiles").to_json();

    // A rate edited by hand.
    let edited = json.replacen("\"70\"", "\"7\"", 1);
    assert_ne!(edited, json);
    assert!(matches!(
        RatingTable::from_json(&edited),
        Err(LoadError::Checksum { .. })
    ));

    // Truncated.
    assert!(matches!(
        RatingTable::from_json(&json[..json.len() / 2]),
        Err(LoadError::Json(_))
    ));

    // Another schema version.
    let schema = format!("\"schema_version\": {}", pricebook::table::SCHEMA_VERSION);
    let future = json.replacen(&schema, "\"schema_version\": 99", 1);
    let err = RatingTable::from_json(&future).expect_err("refused");
    assert_eq!(
        err,
        LoadError::Schema {
            found: 99,
            expected: pricebook::table::SCHEMA_VERSION
        }
    );
    assert!(err.to_string().contains("recompile"), "{err}");

    // An old table whose layout no longer reads as this version's: still the schema message.
    assert_eq!(
        RatingTable::from_json(r#"{"schema_version": 0, "rates": []}"#),
        Err(LoadError::Schema {
            found: 0,
            expected: pricebook::table::SCHEMA_VERSION
        })
    );
    // This version's number but a broken layout: a JSON error that names the field.
    let err = RatingTable::from_json(&format!(
        r#"{{"schema_version": {}, "vendor": 7}}"#,
        pricebook::table::SCHEMA_VERSION
    ))
    .expect_err("refused");
    assert!(
        matches!(&err, LoadError::Json(m) if m.contains("expected a string")),
        "{err}"
    );

    // Not JSON at all.
    assert!(matches!(
        RatingTable::from_json("pricebook x"),
        Err(LoadError::Json(_))
    ));
}

#[test]
fn tables_agree_with_the_reference_evaluator_on_every_cell() {
    let quantities = [
        "0",
        "0.4",
        "1",
        "1.5",
        "59.999",
        "60",
        "61",
        "1000",
        "1001",
        "123456.789",
        "1000000000",
    ];
    let mut compared = 0;
    for (path, model, table) in priced_books() {
        for product in 0..table.products().len() {
            let plans: Vec<Option<usize>> = if model.plans.is_empty() {
                vec![None]
            } else {
                (0..model.plans.len()).map(Some).collect()
            };
            for plan in plans {
                for (_, key) in cells(&table, product) {
                    let cell = table.cell_id(product as u32, &key).expect("cell");
                    let dims: Vec<usize> = key.iter().map(|k| *k as usize).collect();
                    for q in quantities {
                        let q: Decimal = q.parse().expect("decimal");
                        let reference = reference::quote(&model, plan, product, &dims, q);
                        let compiled = table.quote(plan.map(|p| p as u32), product as u32, cell, q);
                        match (&reference, &compiled) {
                            (Ok(r), Ok(c)) => {
                                assert_eq!(r.charge, c.charge, "{} {product} {q}", path);
                                assert_eq!(
                                    r.money.as_ref().map(|m| m.0),
                                    c.money,
                                    "{} {product} {q}",
                                    path
                                );
                            }
                            (Err(r), Err(c)) => {
                                assert_eq!(r.reason, c.reason, "{}", path)
                            }
                            _ => panic!("{}: reference {reference:?} vs table {compiled:?}", path),
                        }
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared > 1000, "compared {compared}");
}

#[test]
fn quote_tables_of_every_book() {
    for path in books() {
        let text = std::fs::read_to_string(&path).expect("read");
        let table = compile_source(&text).expect("compiles");
        let mut out = String::new();
        let plans: Vec<Option<u32>> = if table.plans().is_empty() {
            vec![None]
        } else {
            (0..table.plans().len() as u32).map(Some).collect()
        };
        for plan in plans {
            let plan_name = plan.map_or("(no plan)".to_string(), |p| {
                table.plans()[p as usize].slug.clone()
            });
            let _ = writeln!(out, "## {plan_name}");
            for product in 0..table.products().len() {
                let (q, unit) = standard(&table, product);
                let base = table
                    .base_quantity(product as u32, q, &unit)
                    .expect("standard quantity");
                for (label, key) in cells(&table, product) {
                    let cell = table.cell_id(product as u32, &key).expect("cell");
                    let slug = &table.products()[product].slug;
                    let what = if label.is_empty() {
                        slug.clone()
                    } else {
                        format!("{slug} [{label}]")
                    };
                    let result = match table.quote(plan, product as u32, cell, base) {
                        Ok(r) => {
                            let unit_name = r.unit.map_or("", |u| table.unit_name(u));
                            let money = r
                                .money
                                .map_or("-".to_string(), |m| format!("{m} {}", table.currency()));
                            format!("{} {unit_name} | {money}", r.charge)
                        }
                        Err(r) => format!("rejected: {}", r.reason),
                    };
                    let _ = writeln!(out, "{what} | {q} {unit} | {result}");
                }
            }
        }
        insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
            insta::assert_snapshot!(format!("quotes-{}", name(&path)), out);
        });
    }
}

#[test]
fn compiled_table_snapshot() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("pricebooks/hedra/2025-05.pricebook"),
    )
    .expect("read");
    let table = compile_source(&text).expect("compiles");
    insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
        insta::assert_snapshot!("table-hedra-2025-05", table.to_json());
    });
    // Matrix cells are laid out row-major with the declared value order.
    let video = table.product_id("video").expect("video");
    let PricingEntry::Cells { cells } = &table.products()[video as usize].pricing else {
        panic!("cells")
    };
    let rates: Vec<String> = cells
        .iter()
        .map(|c| c.as_ref().map_or("-".into(), |c| c.amount.to_string()))
        .collect();
    assert_eq!(rates, ["3", "6"]);
}

#[test]
fn batch_rater_agrees_with_table_quotes() {
    use pricebook::rate::{Event, Rater, Totals};
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut fast = 0usize;
    let mut checked = 0usize;
    for path in books() {
        let text = std::fs::read_to_string(&path).expect("read");
        let table = compile_source(&text).expect("compiles");
        let rater = Rater::new(&table);
        fast += rater.fast_keys();
        let slots: Vec<Option<u32>> = std::iter::once(None)
            .chain((0..table.plans().len() as u32).map(Some))
            .collect();
        for plan in slots {
            for product in 0..table.products().len() as u32 {
                for (_, key) in cells(&table, product as usize) {
                    let cell = table.cell_id(product, &key).expect("cell");
                    let k = rater.key(plan, product, cell).expect("key");
                    for i in 0..200 {
                        // Quantities around block edges, small fractions and huge values.
                        let nanos: i64 = match i % 5 {
                            0 => (rng.next() % 100_000) as i64 * 1_000_000_000,
                            1 => (rng.next() % 1_000_000_000_000) as i64,
                            2 => {
                                (rng.next() % 1000) as i64 * 60_000_000_000
                                    + (rng.next() % 3) as i64
                                    - 1
                            }
                            3 => (rng.next() >> 2) as i64,
                            _ => -((rng.next() % 1000) as i64),
                        };
                        let e = Event {
                            account: 0,
                            key: k,
                            quantity: nanos,
                        };
                        let expected = table.quote(plan, product, cell, e.decimal_quantity());
                        // The library quote by key gives the table's answer, money included.
                        match (&expected, rater.quote(k, e.decimal_quantity())) {
                            (Ok(a), Ok(b)) => assert_eq!(
                                (
                                    a.charge.to_string(),
                                    a.exact.to_string(),
                                    a.unit,
                                    a.money.map(|m| m.to_string())
                                ),
                                (
                                    b.charge.to_string(),
                                    b.exact.to_string(),
                                    b.unit,
                                    b.money.map(|m| m.to_string())
                                ),
                                "{} key {k} q {nanos}",
                                path.display()
                            ),
                            (Err(a), Err(b)) => assert_eq!(a.reason, b.reason),
                            (a, b) => {
                                panic!("{} key {k} q {nanos}: {a:?} vs {b:?}", path.display())
                            }
                        }
                        let got = rater.rate(&e);
                        match (&expected, &got) {
                            (Ok(q), Ok((charge, unit))) => {
                                assert_eq!(
                                    (q.exact, q.unit),
                                    (*charge, *unit),
                                    "{} key {k} q {nanos}",
                                    path.display()
                                );
                            }
                            (Err(a), Err(b)) => assert_eq!(a.reason, b.reason),
                            _ => panic!(
                                "{} key {k} q {nanos}: {expected:?} vs {got:?}",
                                path.display()
                            ),
                        }
                        checked += 1;
                    }
                    // And as a batch: totals equal the sum of single quotes' exact charges (money
                    // is rounded once, per total).
                    let events: Vec<Event> = (0..50)
                        .map(|i| Event {
                            account: i % 3,
                            key: k,
                            quantity: (rng.next() % 10_000_000_000_000) as i64,
                        })
                        .collect();
                    let mut totals = Totals::new(&table, 3);
                    let _ = rater.rate_batch(&events, &mut totals);
                    let mut sums = [Decimal::ZERO; 3];
                    let mut unit = None;
                    for e in &events {
                        if let Ok(q) = table.quote(plan, product, cell, e.decimal_quantity()) {
                            sums[e.account as usize] += q.exact;
                            unit = q.unit.or(unit);
                        }
                    }
                    if let Some(u) = unit {
                        for a in 0..3 {
                            assert_eq!(
                                totals.exact_amount(a, u),
                                Some(sums[a as usize].normalize()),
                                "{}",
                                path.display()
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(fast > 100, "only {fast} keys on the fast path");
    assert!(checked > 10_000);
}

/// A rater built for some plans only has exactly their keys, and each quotes as the full
/// rater's does (the exact path included), on every bundled book.
#[test]
fn a_rater_for_some_plans_agrees_with_the_full_one() {
    use pricebook::rate::{Rater, Totals};
    let quantities: Vec<rust_decimal::Decimal> = ["0", "1", "59.5", "3600", "0.0000000001", "1e20"]
        .iter()
        .map(|q| {
            q.parse()
                .or_else(|_| rust_decimal::Decimal::from_scientific(q))
                .expect("a decimal")
        })
        .collect();
    let mut compared = 0;
    for path in books() {
        let text = std::fs::read_to_string(&path).expect("read");
        let table = compile_source(&text).expect("compiles");
        let full = Rater::new(&table);
        let plans = table.plans().len() as u32;
        // No plan and the last plan; every other plan is left out.
        let some = Rater::for_plans(&table, [None, plans.checked_sub(1)]);
        let slots = std::iter::once(None).chain((0..plans).map(Some));
        for plan in slots {
            let compiled = plan.is_none() || plan == plans.checked_sub(1);
            assert_eq!(
                some.has_plan(plan),
                compiled,
                "{}: {plan:?}",
                path.display()
            );
            for product in 0..table.products().len() as u32 {
                for (_, key) in cells(&table, product as usize) {
                    let cell = table.cell_id(product, &key).expect("cell");
                    let (Some(a), b) =
                        (full.key(plan, product, cell), some.key(plan, product, cell))
                    else {
                        panic!("the full rater has every key");
                    };
                    let Some(b) = b else {
                        assert!(!compiled, "{}: {plan:?} {product} {cell}", path.display());
                        continue;
                    };
                    for q in &quantities {
                        assert_eq!(full.quote(a, *q), some.quote(b, *q), "{}", path.display());
                        // The exact path finds the key's plan, product and cell again.
                        let (mut ta, mut tb) = (Totals::new(&table, 1), Totals::new(&table, 1));
                        let ra = full.rate_decimal(0, a, *q, &mut ta);
                        let rb = some.rate_decimal(0, b, *q, &mut tb);
                        assert_eq!(ra, rb, "{}", path.display());
                        for u in 0..table.units().len() as u32 {
                            assert_eq!(ta.checked_amount(0, u), tb.checked_amount(0, u));
                        }
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared > 1000, "compared {compared} quotes");
}

/// A rater for some (plan, product) pairs has the keys of those pairs alone, every cell of
/// each, and they quote as the full rater's do.
#[test]
fn a_rater_for_some_usage_has_exactly_its_keys() {
    use pricebook::rate::Rater;
    let mut compared = 0;
    for path in books() {
        let text = std::fs::read_to_string(&path).expect("read");
        let table = compile_source(&text).expect("compiles");
        let full = Rater::new(&table);
        let products = table.products().len() as u32;
        let plan = table.plans().len().checked_sub(1).map(|p| p as u32);
        // The last plan with every other product, and no plan with the first product.
        let pairs: Vec<(Option<u32>, u32)> = (0..products)
            .step_by(2)
            .map(|p| (plan, p))
            .chain([(None, 0)])
            .collect();
        let some = Rater::for_usage(&table, pairs.iter().copied());
        for slot in std::iter::once(None).chain((0..table.plans().len() as u32).map(Some)) {
            for product in 0..products {
                let wanted = pairs.contains(&(slot, product));
                for (_, key) in cells(&table, product as usize) {
                    let cell = table.cell_id(product, &key).expect("cell");
                    let (a, b) = (full.key(slot, product, cell), some.key(slot, product, cell));
                    assert_eq!(
                        b.is_some(),
                        wanted,
                        "{}: {slot:?} {product}",
                        path.display()
                    );
                    if let (Some(a), Some(b)) = (a, b) {
                        let q = rust_decimal::Decimal::from(90);
                        assert_eq!(full.quote(a, q), some.quote(b, q), "{}", path.display());
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared > 50, "compared {compared} quotes");
}

/// A book for names and auto recharge: an aliased product, one whose rate is unpublished, and
/// three plans, with the recharge block's `for` list given or left out.
fn names_book(recharge_for: &str) -> String {
    format!(
        r#"pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Avatar IV" as avatar-iv {{ aka "Video Generation", "AV4"  measure time  rate 2 credit / second }}
product "Premium voice" as premium-voice {{ measure time  rate unpublished }}
plan "Pro" as pro {{ price 20 USD / month  grant 1000 credit every month, expires at cycle end  packs allowed }}
plan "Team" as team {{ price 40 USD / month  grant 2000 credit every month, expires at cycle end  packs allowed }}
plan "Basic" as basic {{ price 10 USD / month  grant 100 credit every month, expires at cycle end  packs not allowed }}
auto recharge {{ {recharge_for} price 10 USD / 1000 credit }}
"#
    )
}

/// Aliases reach the compiled table: a table loaded from JSON answers by alias, as people write
/// it, and a name close to an alias suggests the product's slug.
#[test]
fn a_compiled_table_answers_by_alias() {
    let table = compile_source(&names_book("")).expect("a clean book");
    let table = RatingTable::from_json(&table.to_json()).expect("loads");
    assert_eq!(table.products()[0].aliases, ["Video Generation", "AV4"]);
    let id = table.find_product("video-generation").expect("by alias");
    assert_eq!(table.find_product("Video Generation"), Ok(id));
    assert_eq!(table.find_product("av 4"), Ok(id));
    assert_eq!(table.find_product("avatar-iv"), Ok(id));
    let e = table.find_product("video gen").expect_err("no such name");
    assert_eq!(
        e.to_string(),
        "unknown product `video gen`; did you mean `avatar-iv`?"
    );
    // The reference evaluator resolves the same names.
    let model = check_source(&names_book("")).model.expect("a model");
    assert_eq!(reference::find_product(&model, "video generation"), Ok(0));
}

/// `rate unpublished` compiles to its own pricing kind, and every evaluator rejects a quote or a
/// capacity of it with the `unpublished` kind.
#[test]
fn an_unpublished_rate_is_a_rejection_everywhere() {
    let table = compile_source(&names_book("")).expect("a clean book");
    let product = table.find_product("premium voice").expect("found");
    assert!(matches!(
        table.products()[product as usize].pricing,
        PricingEntry::Unpublished { line: 4 }
    ));
    let plan = table.plan_id("pro").expect("pro");
    let q = table
        .quote(Some(plan), product, 0, Decimal::from(60))
        .expect_err("no price");
    assert_eq!(q.kind, pricebook::RejectionKind::Unpublished);
    assert!(q.reason.contains("publishes no rate"), "{}", q.reason);
    let c = table
        .capacity(plan, product, 0, "second")
        .expect_err("no price");
    assert_eq!(c.kind, pricebook::RejectionKind::Unpublished);
    let model = check_source(&names_book("")).model.expect("a model");
    let r = reference::quote(&model, Some(0), 1, &[], Decimal::from(60)).expect_err("no price");
    assert_eq!(r.kind, pricebook::RejectionKind::Unpublished);
}

/// Who may auto-recharge: the block's `for` list when it has one (and then only those plans,
/// whatever they sell), today's inference (plans that sell top-ups) when it has none.
#[test]
fn the_recharge_for_list_says_who_may_auto_recharge() {
    use pricebook::bill::may_auto_recharge;
    let inferred = compile_source(&names_book("")).expect("a clean book");
    let id = |t: &RatingTable, p: &str| t.plan_id(p).expect("plan");
    assert_eq!(inferred.recharge().and_then(|r| r.plans.clone()), None);
    assert!(may_auto_recharge(&inferred, id(&inferred, "pro")).is_ok());
    assert!(may_auto_recharge(&inferred, id(&inferred, "team")).is_ok());
    let e = may_auto_recharge(&inferred, id(&inferred, "basic")).expect_err("sells no top-ups");
    assert!(e.to_string().contains("sells no top-ups"), "{e}");

    let listed = compile_source(&names_book("for pro, basic")).expect("a clean book");
    let listed = RatingTable::from_json(&listed.to_json()).expect("loads");
    assert!(may_auto_recharge(&listed, id(&listed, "pro")).is_ok());
    assert!(may_auto_recharge(&listed, id(&listed, "basic")).is_ok());
    let e = may_auto_recharge(&listed, id(&listed, "team")).expect_err("not listed");
    assert_eq!(
        e.to_string(),
        "plan `team` may not auto-recharge: the book's `auto recharge` is for `pro` and `basic`; bill without a recharge setting, or on one of those plans"
    );
    assert_eq!(e.code(), pricebook::Code::InvalidValue);
}
