//! `pricebook test` (the worked examples of books), `pricebook versions` (a vendor's timeline)
//! and `pricebook diff` (what changed between two versions, and what a usage costs before and
//! after).

use super::load::{book_files, read_book, versions};
use super::report::CliError;
use super::{DiffFormat, Format, plural, render_width};
use crate::diagnostic::{self, Code, Diagnostic, SourceFile, SourceMap};
use crate::diff::{self, Change, Diff, ItemChanges, Section, UsageTotal};
use crate::load::run::{RunFile, check_in_run, read_run};
use crate::model::RateDef;
use crate::pipeline::files::{CheckedFile, VersionHeader, cross_file};
use crate::syntax::ast::{Item, Span};
use crate::table::RatingTable;
use rust_decimal::Decimal;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------------------------------------
// pricebook test

struct TestResult {
    name: String,
    line: usize,
    failures: Vec<Diagnostic>,
    /// Why the test was not run (the book has errors).
    not_run: Option<String>,
}

impl TestResult {
    fn passed(&self) -> bool {
        self.failures.is_empty() && self.not_run.is_none()
    }
}

struct BookTests {
    name: String,
    /// The files the diagnostics point into (a contract's may point into its book).
    sources: SourceMap,
    label: String,
    errors: Vec<Diagnostic>,
    tests: Vec<TestResult>,
}

/// The worked examples of one file of the run: each `test` block's outcome, and the book's own
/// errors. A contract runs on the book the run holds for it.
fn test_book(file: &RunFile, run: &[RunFile]) -> (BookTests, Option<VersionHeader>) {
    let name = file.path.display().to_string();
    let text = match &file.text {
        Ok(t) => t,
        Err(msg) => {
            let d =
                Diagnostic::new(Code::Syntax, msg.clone()).help("a pricebook is a UTF-8 text file");
            let book = BookTests {
                sources: SourceMap::from(SourceFile::new(name.clone(), String::new())),
                name: name.clone(),
                label: name,
                errors: vec![d],
                tests: Vec::new(),
            };
            return (book, None);
        }
    };
    let (label, header) = label_of(text);
    let crate::pipeline::files::FileCheck {
        sources,
        check: checked,
        ..
    } = check_in_run(file, text, run);
    // The file's own test blocks, in the position space of `sources`.
    let base = sources.base_of(&name).unwrap_or(0);
    let placed = crate::syntax::parse_placed(text, base);
    let ran = checked.model.is_some();
    let mut tests = Vec::new();
    let mut spans = Vec::new();
    for item in &placed.book.items {
        let Item::Test(t) = &item.node else { continue };
        let outcome = checked.model.as_ref().and_then(|m| {
            checked
                .examples
                .iter()
                .find(|o| m.examples.get(o.index).is_some_and(|e| e.span == item.span))
        });
        spans.push(item.span);
        tests.push(TestResult {
            name: t.name.node.clone(),
            line: sources.locate(t.name.span.start).map_or(0, |(_, l, _)| l),
            failures: outcome.map(|o| o.failures.clone()).unwrap_or_default(),
            not_run: outcome.and_then(|o| o.not_run.clone()),
        });
    }
    let ran_failures: Vec<&Diagnostic> = tests.iter().flat_map(|t| &t.failures).collect();
    // The checker's errors: those inside a test block (an unknown plan, a test name given twice,
    // a date that does not exist) fail that test; the others are the book's.
    let mut errors = Vec::new();
    let mut inside_failures = Vec::new();
    for d in checked.diagnostics.iter().filter(|d| d.is_error()) {
        if ran_failures.contains(&d) {
            continue;
        }
        let inside = d.span().and_then(|s| {
            spans
                .iter()
                .position(|t: &Span| t.start <= s.start && s.start < t.end)
        });
        match (inside, ran) {
            (Some(i), true) => inside_failures.push((i, d.clone())),
            _ => errors.push(d.clone()),
        }
    }
    for (i, d) in inside_failures {
        tests[i].failures.push(d);
    }
    if !ran && errors.is_empty() {
        for t in &mut tests {
            t.not_run = Some("the book could not be checked".into());
        }
    }
    (
        BookTests {
            label: label.unwrap_or_else(|| name.clone()),
            name,
            sources,
            errors,
            tests,
        },
        header,
    )
}

/// A book's label (`hedra/2026-06`) and its header for the rules across files.
fn label_of(text: &str) -> (Option<String>, Option<VersionHeader>) {
    let parsed = crate::syntax::parse(text);
    let mut label = None;
    for i in &parsed.book.items {
        match &i.node {
            Item::Header(h) if label.is_none() => {
                label = Some(format!("{}/{}", h.vendor.node, h.version.node));
            }
            Item::Contract(c) if label.is_none() => {
                label = Some(match &c.version {
                    Some(v) => format!("{}/{}", c.vendor.node, v.node),
                    None => format!("{}/{}", c.vendor.node, c.slug.node),
                });
            }
            _ => {}
        }
    }
    (label, VersionHeader::of(&parsed.book))
}

pub(super) fn run_test(
    paths: &[PathBuf],
    format: Format,
    sink: &mut dyn std::io::Write,
) -> Result<i32, CliError> {
    let files = book_files(paths)?;
    let run = read_run(&files);
    let mut books = Vec::new();
    let mut headers = Vec::new();
    for f in &run {
        let (b, h) = test_book(f, &run);
        headers.push(CheckedFile::header_only(
            b.name.clone(),
            b.sources.clone(),
            h,
        ));
        books.push(b);
    }
    // Versions of one vendor must not share an effective date: an error of both books.
    cross_file(&mut headers);
    for (b, h) in books.iter_mut().zip(headers) {
        b.errors.extend(h.diagnostics);
    }
    for b in &mut books {
        if !b.errors.is_empty() {
            let n = b.errors.len();
            for t in &mut b.tests {
                t.not_run = Some(format!(
                    "the book has {n} error{} outside its worked examples; run `pricebook check` on it",
                    plural(n)
                ));
                t.failures.clear();
            }
        }
    }
    let passed = books
        .iter()
        .flat_map(|b| &b.tests)
        .filter(|t| t.passed())
        .count();
    let failed = books.iter().map(|b| b.tests.len()).sum::<usize>() - passed;
    let book_errors = books.iter().any(|b| !b.errors.is_empty());
    let mut out = String::new();
    match format {
        Format::Human => {
            let width = render_width();
            for b in &books {
                if !b.errors.is_empty() {
                    for d in &b.errors {
                        out.push_str(&diagnostic::render_human_in(d, &b.sources, width));
                        out.push('\n');
                    }
                    let _ = writeln!(
                        out,
                        "error: `{}` has {} error{}; {} count{} as failed",
                        b.name,
                        b.errors.len(),
                        plural(b.errors.len()),
                        match b.tests.len() {
                            1 => "its test".to_string(),
                            n => format!("its {n} tests"),
                        },
                        if b.tests.len() == 1 { "s" } else { "" }
                    );
                }
                for t in &b.tests {
                    if t.passed() {
                        let _ = writeln!(out, "ok    {}: \"{}\"", b.label, t.name);
                    } else if t.not_run.is_some() {
                        let _ = writeln!(
                            out,
                            "FAIL  {}: \"{}\" (not run: the book has errors)",
                            b.label, t.name
                        );
                    } else {
                        let _ = writeln!(out, "FAIL  {}: \"{}\"", b.label, t.name);
                        for d in &t.failures {
                            out.push_str(&diagnostic::render_human_in(d, &b.sources, width));
                            out.push('\n');
                        }
                    }
                }
            }
            let _ = writeln!(out, "{passed} passed, {failed} failed");
        }
        Format::Json => {
            let tests: Vec<serde_json::Value> = books
                .iter()
                .flat_map(|b| {
                    b.tests.iter().map(|t| {
                        serde_json::json!({
                            "file": b.name,
                            "book": b.label,
                            "name": t.name,
                            "line": t.line,
                            "passed": t.passed(),
                            "failures": t.failures.iter().map(|d| diagnostic::to_json_in(d, &b.sources)).collect::<Vec<_>>(),
                            "not_run": t.not_run,
                        })
                    })
                })
                .collect();
            let errors: Vec<serde_json::Value> = books
                .iter()
                .filter(|b| !b.errors.is_empty())
                .map(|b| {
                    serde_json::json!({
                        "file": b.name,
                        "diagnostics": b.errors.iter().map(|d| diagnostic::to_json_in(d, &b.sources)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "tests": tests,
                "book_errors": errors,
                "files": books.len(),
                "passed": passed,
                "failed": failed,
            });
            out = serde_json::to_string_pretty(&doc).unwrap_or_default();
            out.push('\n');
        }
    }
    sink.write_all(out.as_bytes())?;
    Ok(i32::from(failed > 0 || book_errors))
}

// ------------------------------------------------------------------------------------------------
// pricebook versions

pub(super) fn run_versions(
    dir: &Path,
    format: Format,
    sink: &mut dyn std::io::Write,
) -> Result<i32, CliError> {
    if !dir.is_dir() {
        return Err(CliError::usage(format!(
            "`{}` is not a directory; point at one vendor's directory of books",
            dir.display()
        )));
    }
    let all = versions(dir)?;
    let files = book_files(&[dir.to_path_buf()])?;
    let skipped: Vec<&PathBuf> = files
        .iter()
        .filter(|f| !all.iter().any(|v| &v.path == *f))
        .collect();
    // Contracts kept beside the books are layered on them, not versions of the list.
    let (contracts, skipped): (Vec<_>, Vec<_>) = skipped
        .into_iter()
        .partition(|f| crate::load::contract_of(f).is_some());
    let contracts: Vec<crate::load::Version> = contracts
        .iter()
        .filter_map(|f| crate::load::contract_of(f))
        .collect();
    let mut status = 0;
    for f in &skipped {
        eprintln!(
            "error: `{}` has no readable `pricebook` header; it is not in the timeline",
            f.display()
        );
        status = 1;
    }
    let lists = crate::load::lists(&all);
    for list in &lists {
        let of_list: Vec<&crate::load::Version> = all.iter().filter(|v| &v.list == list).collect();
        for w in of_list.windows(2) {
            if w[0].effective == w[1].effective {
                eprintln!(
                    "error: `{}` and `{}` are both effective {}; give each version of a price list its own date",
                    w[0].path.display(),
                    w[1].path.display(),
                    w[0].effective
                );
                status = 1;
            }
        }
    }
    struct Row {
        list: String,
        effective: String,
        version: String,
        until: Option<String>,
        current: bool,
        file: String,
        products: usize,
        plans: usize,
        packs: usize,
    }
    // One timeline per price list: a version is in force until the next of its own list.
    let mut rows = Vec::new();
    for list in &lists {
        let of_list: Vec<&crate::load::Version> = all.iter().filter(|v| &v.list == list).collect();
        for (i, v) in of_list.iter().enumerate() {
            let next = of_list[i + 1..].iter().find(|n| n.effective > v.effective);
            let until = next
                .map(|n| crate::base::date::Date::from_days(n.effective.days() - 1).to_string());
            let (mut products, mut plans, mut packs) = (0, 0, 0);
            if let Ok(text) = read_book(&v.path) {
                for item in crate::syntax::parse(&text).book.items {
                    match item.node {
                        Item::Product(_) => products += 1,
                        Item::Plan(_) => plans += 1,
                        Item::Pack(_) => packs += 1,
                        _ => {}
                    }
                }
            }
            rows.push(Row {
                list: list.clone(),
                effective: v.effective.to_string(),
                version: v.label.clone(),
                current: i + 1 == of_list.len(),
                until,
                file: v.path.display().to_string(),
                products,
                plans,
                packs,
            });
        }
    }
    let vendor = all.first().map_or("", |v| v.vendor.as_str());
    let mut out = String::new();
    match format {
        Format::Human => {
            let vw = rows
                .iter()
                .map(|r| r.version.chars().count())
                .max()
                .unwrap_or(0)
                .max("version".len());
            let in_lists = if lists.len() > 1 {
                format!(" of {} price lists", lists.len())
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{vendor}: {} version{}{in_lists} in {}",
                rows.len(),
                plural(rows.len()),
                dir.display()
            );
            for list in &lists {
                let of_list: Vec<&Row> = rows.iter().filter(|r| &r.list == list).collect();
                if lists.len() > 1 {
                    let _ = writeln!(
                        out,
                        "\nlist {list}: {} version{}",
                        of_list.len(),
                        plural(of_list.len())
                    );
                }
                let _ = writeln!(
                    out,
                    "{:<10}  {:<vw$}  {:<26}  {:>8}  {:>5}  {:>5}  file",
                    "effective", "version", "in force", "products", "plans", "packs"
                );
                for r in of_list {
                    let span = match (&r.until, r.current) {
                        (_, true) => format!("from {} (current)", r.effective),
                        (Some(u), false) => format!("{} to {u}", r.effective),
                        (None, false) => format!("from {}", r.effective),
                    };
                    let _ = writeln!(
                        out,
                        "{:<10}  {:<vw$}  {:<26}  {:>8}  {:>5}  {:>5}  {}",
                        r.effective, r.version, span, r.products, r.plans, r.packs, r.file
                    );
                }
            }
            if lists.len() > 1 && !contracts.is_empty() {
                let _ = writeln!(out);
            }
            for c in &contracts {
                let on = if lists.len() > 1 {
                    format!(" of list {}", c.list)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "contract `{}` from {}, layered on the version{on} in force then: {}",
                    c.label,
                    c.effective,
                    c.path.display()
                );
            }
        }
        Format::Json => {
            let row_json = |r: &Row| {
                serde_json::json!({
                    "list": r.list,
                    "effective": r.effective,
                    "version": r.version,
                    "until": r.until,
                    "current": r.current,
                    "file": r.file,
                    "products": r.products,
                    "plans": r.plans,
                    "packs": r.packs,
                })
            };
            let versions: Vec<serde_json::Value> = rows.iter().map(row_json).collect();
            let timelines: Vec<serde_json::Value> = lists
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "list": l,
                        "versions": rows.iter().filter(|r| &r.list == l).map(row_json).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "vendor": vendor,
                "directory": dir.display().to_string(),
                "versions": versions,
                "lists": timelines,
                "contracts": contracts.iter().map(|c| serde_json::json!({
                    "contract": c.label,
                    "list": c.list,
                    "effective": c.effective.to_string(),
                    "file": c.path.display().to_string(),
                })).collect::<Vec<_>>(),
            });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
    }
    sink.write_all(out.as_bytes())?;
    Ok(status)
}

// ------------------------------------------------------------------------------------------------
// pricebook diff

/// A side of a diff: a book (checked and compiled in memory; its worked examples do not matter
/// here) or a compiled table.
struct DiffSource {
    table: RatingTable,
    /// Known for books only.
    floor: Option<Option<RateDef>>,
    source: String,
}

fn load_side(path: &Path) -> Result<DiffSource, CliError> {
    if path.is_dir() {
        return Err(CliError::usage(format!(
            "`{}` is a directory; `diff` compares two books (or compiled tables)",
            path.display()
        )));
    }
    if let Err(e) = std::fs::metadata(path) {
        return Err(CliError::unreadable(path, &e));
    }
    let source = path.display().to_string();
    if let Some(bytes) = std::fs::read(path)
        .ok()
        .filter(|b| crate::table::is_binary(b))
    {
        let table = RatingTable::from_binary(&bytes)
            .map_err(|e| CliError::input_code("table-invalid", format!("`{source}`: {e}")))?;
        return Ok(DiffSource {
            table,
            floor: None,
            source,
        });
    }
    let text = read_book(path).map_err(|m| CliError::input_code("io-error", m))?;
    if text.trim_start().starts_with('{') {
        let table = RatingTable::from_json(&text)
            .map_err(|e| CliError::input_code("table-invalid", format!("`{source}`: {e}")))?;
        return Ok(DiffSource {
            table,
            floor: None,
            source,
        });
    }
    let checked = crate::pipeline::check_book_from(&text, &source);
    match (checked.model, checked.table) {
        (Some(model), Some(table)) => Ok(DiffSource {
            table,
            floor: Some(model.floor.clone()),
            source,
        }),
        _ => Err(CliError::book_errors(
            &SourceFile::new(source.clone(), text.clone()),
            &checked.diagnostics,
        )),
    }
}

pub(super) fn run_diff(
    old: &Path,
    new: &Path,
    usage: Option<&Path>,
    format: DiffFormat,
    sink: &mut dyn std::io::Write,
) -> Result<i32, CliError> {
    let a = load_side(old)?;
    let b = load_side(new)?;
    fn side(l: &DiffSource) -> diff::Side<'_> {
        diff::Side {
            table: &l.table,
            floor: l.floor.as_ref().map(|f| f.as_ref()),
            source: &l.source,
        }
    }
    let mut d = diff::diff(&side(&a), &side(&b));
    let mut status = 0;
    if let Some(path) = usage {
        let text = std::fs::read_to_string(path).map_err(|e| CliError::unreadable(path, &e))?;
        let (lines, bad) = crate::usage::read_lines(&text);
        for b in &bad {
            eprintln!("{}:{}: bad line: {}", path.display(), b.line, b.reason);
        }
        if !bad.is_empty() {
            status = 1;
        }
        let mut u = diff::price_usage(&a.table, &b.table, &lines);
        u.bad_lines = bad;
        d.usage = Some(u);
    }
    match format {
        DiffFormat::Human => sink.write_all(render_diff(&d).as_bytes())?,
        DiffFormat::Json => sink
            .write_all((serde_json::to_string_pretty(&d).unwrap_or_default() + "\n").as_bytes())?,
        DiffFormat::Markdown => sink.write_all(crate::page::diff_markdown(&d).as_bytes())?,
    }
    Ok(status)
}

fn pct(p: Decimal) -> String {
    if p > Decimal::ZERO {
        format!("+{p}%")
    } else {
        format!("{p}%")
    }
}

fn change_line(out: &mut String, indent: &str, c: &Change) {
    let _ = write!(
        out,
        "{indent}{}: {} -> {}",
        c.what,
        c.old.as_deref().unwrap_or("none"),
        c.new.as_deref().unwrap_or("none")
    );
    let mut tail = Vec::new();
    if let Some(p) = c.percent {
        tail.push(pct(p));
    }
    if let Some(n) = &c.note {
        tail.push(n.clone());
    }
    if !tail.is_empty() {
        let _ = write!(out, "  ({})", tail.join("; "));
    }
    out.push('\n');
}

fn render_section(out: &mut String, title: &str, s: &Section) {
    if s.is_empty() {
        return;
    }
    let mut counts = Vec::new();
    for (n, what) in [
        (s.added.len(), "added"),
        (s.removed.len(), "removed"),
        (s.changed.len(), "changed"),
    ] {
        if n > 0 {
            counts.push(format!("{n} {what}"));
        }
    }
    let _ = writeln!(out, "\n{title} ({})", counts.join(", "));
    for n in &s.added {
        let _ = writeln!(out, "  + {} \"{}\"", n.slug, n.display);
    }
    for n in &s.removed {
        let _ = writeln!(out, "  - {} \"{}\"", n.slug, n.display);
    }
    for ItemChanges {
        slug,
        display,
        changes,
    } in &s.changed
    {
        let _ = writeln!(out, "  ~ {slug} \"{display}\"");
        for c in changes {
            change_line(out, "      ", c);
        }
    }
}

fn total_text(t: &UsageTotal) -> String {
    let charges = if t.charges.is_empty() {
        "nothing".to_string()
    } else {
        t.charges
            .iter()
            .map(|c| format!("{} {}", c.amount, c.unit))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let money = match &t.money {
        Some(m) => format!("{} {}", m.amount, m.unit),
        None if t.priced == 0 => "no money".into(),
        None => "no money equivalent".into(),
    };
    let mut s = format!(
        "{charges}, {money} ({} line{} priced",
        t.priced,
        plural(t.priced)
    );
    if !t.rejected.is_empty() {
        let _ = write!(s, ", {} rejected", t.rejected.len());
    }
    s.push(')');
    s
}

fn render_diff(d: &Diff) -> String {
    let mut out = String::new();
    let v = |v: &diff::VersionInfo| {
        format!(
            "{} {} (effective {}, {})",
            v.vendor, v.version, v.effective, v.source
        )
    };
    let _ = writeln!(out, "old  {}", v(&d.old));
    let _ = writeln!(out, "new  {}", v(&d.new));
    if d.is_empty() {
        out.push_str("\nno differences in products, plans, packs or book rules\n");
    }
    render_section(&mut out, "products", &d.products);
    render_section(&mut out, "plans", &d.plans);
    render_section(&mut out, "packs", &d.packs);
    if !d.book.is_empty() {
        out.push_str("\nbook\n");
        for c in &d.book {
            change_line(&mut out, "  ", c);
        }
    }
    if let Some(u) = &d.usage {
        let _ = writeln!(
            out,
            "\nusage ({} line{}), before -> after",
            u.lines,
            plural(u.lines)
        );
        for p in &u.plans {
            let _ = writeln!(out, "  {} \"{}\"", p.plan, p.display);
            let side = |t: &Option<UsageTotal>, version: &str| match t {
                Some(t) => total_text(t),
                None => format!("no plan `{}` in {version}", p.plan),
            };
            let _ = writeln!(out, "    before  {}", side(&p.old, &d.old.version));
            let _ = writeln!(out, "    after   {}", side(&p.new, &d.new.version));
            let mut changes = Vec::new();
            if let Some(c) = p.charge_percent {
                changes.push(format!("charge {}", pct(c)));
            }
            if let Some(m) = p.money_percent {
                changes.push(format!("money {}", pct(m)));
            }
            if !changes.is_empty() {
                let _ = writeln!(out, "    change  {}", changes.join(", "));
            }
            for (when, t) in [("before", &p.old), ("after", &p.new)] {
                for r in t.iter().flat_map(|t| &t.rejected) {
                    let _ = writeln!(
                        out,
                        "    rejected {when}: line {} ({}): {}",
                        r.line, r.product, r.reason
                    );
                }
            }
        }
        for (when, list) in [("before", &u.unpriced_old), ("after", &u.unpriced_new)] {
            for r in list {
                let _ = writeln!(
                    out,
                    "  not priced {when}: line {} ({}): {}",
                    r.line, r.product, r.reason
                );
            }
        }
    }
    if !d.notes.is_empty() {
        out.push_str("\nnotes\n");
        for n in &d.notes {
            let _ = writeln!(out, "  {n}");
        }
    }
    out
}
