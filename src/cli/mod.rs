//! The `pricebook` command line.
//!
//! Exit status: 0 success (warnings allowed), 1 the input is wrong (diagnostics, unformatted
//! files), 2 the command line is wrong (clap's own usage errors, paths that do not exist).

use crate::diagnostic::{self, Code, Diagnostic, Severity, SourceFile};
use crate::eval::Rejection;
use crate::syntax::ast::{Item, Span};
use crate::table::{CellId, PlanId, ProductId, RatingTable};
use clap::{Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;
pub mod bill_cmd;
pub mod rate_cmd;
pub mod versions_cmd;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "pricebook",
    version,
    about = "Check, format and evaluate pricebook files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check books: syntax, names, units, plans, packs and worked examples.
    Check {
        /// Files or directories (searched recursively for `*.pricebook`).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// `--deny warnings` makes warnings fail the check.
        #[arg(long, value_enum)]
        deny: Option<Deny>,
    },
    /// Compile a book to a rating table (JSON).
    Compile {
        book: PathBuf,
        /// Where to write the table; standard output when left out.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Price one usage on a plan.
    Quote {
        #[command(flatten)]
        target: Target,
        /// The usage, with its unit: "20 minute", "1500 character".
        // A negative quantity ("-5 second") is a value to reject with its reason, not an option.
        #[arg(long, allow_hyphen_values = true)]
        quantity: String,
        /// Show the chain of rules that produced the price.
        #[arg(long)]
        explain: bool,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// How many whole units of a product a plan's recurring grant buys.
    Capacity {
        #[command(flatten)]
        target: Target,
        /// The unit to count in (default: the unit the product is rated per).
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Bill one account's usage over whole billing periods.
    Bill(BillArgs),
    /// Rate a usage export (CSV or JSON Lines) into totals per account, plan or product.
    Rate {
        /// A book or a compiled table.
        source: PathBuf,
        /// The usage file: CSV with header `account,plan,product,quantity[,unit][,<dimension>...]`,
        /// or JSON Lines; `-` reads standard input.
        #[arg(long)]
        events: PathBuf,
        #[arg(long, value_enum, default_value_t = rate_cmd::GroupBy::Account)]
        by: rate_cmd::GroupBy,
        /// Where to write the totals; standard output when left out.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// `csv` (default) or `json`.
        #[arg(long, value_enum, default_value_t = RateFormat::Csv)]
        format: RateFormat,
    },
    /// Run the worked examples (`test` blocks) of books; ends with `N passed, M failed`.
    Test {
        /// Files or directories (searched recursively for `*.pricebook`).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List the timeline of one vendor's books: effective date, version, file, what is in force.
    Versions {
        /// A directory of one vendor's books.
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Compare two versions: products, rates, plans, grants, limits, packs and book rules.
    Diff {
        /// The old book (or compiled table).
        old: PathBuf,
        /// The new book (or compiled table).
        new: PathBuf,
        /// A usage file (CSV `product,quantity[,unit][,<dimension>...]` or JSON Lines) to price
        /// under each plan before and after.
        #[arg(long)]
        usage: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Rewrite books in the canonical layout.
    Fmt {
        /// Files or directories; `-` reads standard input and writes standard output.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 and name the files that are not formatted.
        #[arg(long)]
        check: bool,
    },
}

/// What a quote or capacity is about.
#[derive(clap::Args, Debug)]
struct Target {
    /// A book, a compiled table (`.json`), or a directory of one vendor's books.
    source: PathBuf,
    /// Plan slug or display name (may be left out when the book has one plan or none).
    #[arg(long)]
    plan: Option<String>,
    /// Product slug or display name.
    #[arg(long)]
    product: String,
    /// A dimension value: `resolution=4K`, or just `4K` when that names its dimension.
    #[arg(long = "dim")]
    dims: Vec<String>,
    /// Use the version in force on this date (YYYY-MM-DD) when SOURCE is a directory.
    #[arg(long)]
    at: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum BillingArg {
    Monthly,
    Annual,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum RateFormat {
    Csv,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CheckFormat {
    Human,
    Json,
    Github,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Deny {
    Warnings,
}

/// Runs the CLI on the process arguments and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let result = match cli.command {
        Command::Check {
            paths,
            format,
            deny,
        } => run_check(&paths, format, deny.is_some()),
        Command::Fmt { paths, check } => run_fmt(&paths, check),
        Command::Compile { book, output } => run_compile(&book, output.as_deref()),
        Command::Quote {
            target,
            quantity,
            explain,
            format,
        } => run_quote(&target, &quantity, explain, format),
        Command::Capacity {
            target,
            unit,
            format,
        } => run_capacity(&target, unit.as_deref(), format),
        Command::Bill(args) => run_bill(args),
        Command::Rate {
            source,
            events,
            by,
            output,
            format,
        } => run_rate(&source, &events, by, output.as_deref(), format),
        Command::Test { paths, format } => versions_cmd::run_test(&paths, format),
        Command::Versions { dir, format } => versions_cmd::run_versions(&dir, format),
        Command::Diff {
            old,
            new,
            usage,
            format,
        } => versions_cmd::run_diff(&old, &new, usage.as_deref(), format),
    };
    match result {
        Ok(code) => code,
        Err(CliError::Usage(msg)) => {
            eprintln!("error: {msg}");
            2
        }
        Err(CliError::Input(msg)) => {
            eprintln!("error: {msg}");
            1
        }
    }
}

enum CliError {
    /// The command line points at something wrong: exit 2.
    Usage(String),
    /// The input is wrong: exit 1.
    Input(String),
}

/// Expands files and directories into the `*.pricebook` files they hold, sorted.
fn book_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| {
            CliError::Usage(format!("cannot read `{}`: {}", p.display(), io_reason(&e)))
        })?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, &mut out).map_err(|e| {
                CliError::Usage(format!(
                    "cannot read directory `{}`: {}",
                    p.display(),
                    io_reason(&e)
                ))
            })?;
            if out.len() == before {
                return Err(CliError::Usage(format!(
                    "no `*.pricebook` files under `{}`",
                    p.display()
                )));
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            walk(&e, out)?;
        } else if e.extension().is_some_and(|x| x == "pricebook") {
            out.push(e);
        }
    }
    Ok(())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Reads a book as UTF-8; anything else is a diagnostic, not a crash.
fn read_book(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read `{}`: {}", path.display(), io_reason(&e)))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{}` is not valid UTF-8 (invalid byte at offset {}); save it as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// One checked file: its source and diagnostics, and its header for cross-file rules.
struct Checked {
    file: SourceFile,
    diagnostics: Vec<Diagnostic>,
    header: Option<(String, String, Span)>,
}

fn check_file(path: &Path) -> Checked {
    let name = path.display().to_string();
    match read_book(path) {
        Ok(text) => {
            let parsed = crate::syntax::parse(&text);
            let header = parsed.book.items.iter().find_map(|i| match &i.node {
                Item::Header(h) => Some((
                    h.vendor.node.clone(),
                    h.effective.node.clone(),
                    h.effective.span,
                )),
                _ => None,
            });
            let diagnostics = crate::pipeline::check_book(&text).diagnostics;
            Checked {
                file: SourceFile::new(name, text),
                diagnostics,
                header,
            }
        }
        Err(msg) => Checked {
            file: SourceFile::new(name, String::new()),
            diagnostics: vec![
                Diagnostic::new(Code::Syntax, msg).help("a pricebook is a UTF-8 text file"),
            ],
            header: None,
        },
    }
}

/// Versions of one vendor must not share an effective date.
fn cross_file(files: &mut [Checked]) {
    let mut seen: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for i in 0..files.len() {
        let Some((vendor, date, span)) = files[i].header.clone() else {
            continue;
        };
        match seen.get(&(vendor.clone(), date.clone())) {
            Some(&j) => {
                let other = files[j].file.name.clone();
                let this = files[i].file.name.clone();
                files[i].diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateEffectiveDate,
                        format!("`{vendor}` already has a version in force from {date}: `{other}`"),
                    )
                    .label(span, "same effective date")
                    .help("give each version of a vendor its own effective date"),
                );
                let other_span = files[j].header.as_ref().map(|h| h.2).unwrap_or_default();
                files[j].diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateEffectiveDate,
                        format!("`{vendor}` already has a version in force from {date}: `{this}`"),
                    )
                    .label(other_span, "same effective date")
                    .help("give each version of a vendor its own effective date"),
                );
            }
            None => {
                seen.insert((vendor, date), i);
            }
        }
    }
}

fn render_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn run_check(paths: &[PathBuf], format: CheckFormat, deny_warnings: bool) -> Result<i32, CliError> {
    let files = book_files(paths)?;
    let mut checked: Vec<Checked> = files.iter().map(|p| check_file(p)).collect();
    cross_file(&mut checked);
    let (mut errors, mut warnings) = (0usize, 0usize);
    for c in &checked {
        for d in &c.diagnostics {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        CheckFormat::Human => {
            let width = render_width();
            for c in &checked {
                for d in &c.diagnostics {
                    let _ = write!(out, "{}", diagnostic::render_human(d, &c.file, width));
                    let _ = writeln!(out);
                }
            }
            let _ = writeln!(
                out,
                "checked {} file{}: {} error{}, {} warning{}",
                checked.len(),
                plural(checked.len()),
                errors,
                plural(errors),
                warnings,
                plural(warnings)
            );
        }
        CheckFormat::Json => {
            let all: Vec<diagnostic::JsonDiagnostic> = checked
                .iter()
                .flat_map(|c| {
                    c.diagnostics
                        .iter()
                        .map(|d| diagnostic::to_json(d, &c.file))
                })
                .collect();
            let doc = serde_json::json!({
                "diagnostics": all,
                "files": checked.len(),
                "errors": errors,
                "warnings": warnings,
            });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
        CheckFormat::Github => {
            for c in &checked {
                for d in &c.diagnostics {
                    let _ = writeln!(out, "{}", diagnostic::render_github(d, &c.file));
                }
            }
        }
    }
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    Ok(i32::from(failed))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn run_fmt(paths: &[PathBuf], check_only: bool) -> Result<i32, CliError> {
    if paths.len() == 1 && paths[0] == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::Input(format!("cannot read standard input as UTF-8: {e}")))?;
        return match crate::fmt::format_source(&text) {
            Ok(out) => {
                if check_only {
                    if out != text {
                        eprintln!("<stdin> is not formatted");
                        return Ok(1);
                    }
                    return Ok(0);
                }
                print!("{out}");
                Ok(0)
            }
            Err(diags) => {
                report_syntax(&SourceFile::new("<stdin>", text), &diags);
                Ok(1)
            }
        };
    }
    let files = book_files(paths)?;
    let mut status = 0;
    let color = std::io::stderr().is_terminal();
    let _ = color;
    for path in files {
        let text = match read_book(&path) {
            Ok(t) => t,
            Err(msg) => {
                eprintln!("error: {msg}");
                status = 1;
                continue;
            }
        };
        match crate::fmt::format_source(&text) {
            Ok(out) if out == text => {}
            Ok(out) => {
                if check_only {
                    println!("{}", path.display());
                    status = 1;
                } else if let Err(e) = std::fs::write(&path, out) {
                    eprintln!(
                        "error: cannot write `{}`: {}",
                        path.display(),
                        io_reason(&e)
                    );
                    status = 1;
                }
            }
            Err(diags) => {
                report_syntax(&SourceFile::new(path.display().to_string(), text), &diags);
                eprintln!(
                    "error: `{}` has syntax errors; it was left unchanged",
                    path.display()
                );
                status = 1;
            }
        }
    }
    Ok(status)
}

fn report_syntax(file: &SourceFile, diags: &[Diagnostic]) {
    let width = render_width();
    for d in diags {
        eprint!("{}", diagnostic::render_human(d, file, width));
    }
}

// ------------------------------------------------------------------------------------------------
// Loading books and tables

/// A book's header, read without checking the rest of it.
struct Version {
    path: PathBuf,
    vendor: String,
    /// The version label (`"2026-06"`).
    label: String,
    effective: crate::base::date::Date,
}

fn version_of(path: &Path) -> Option<Version> {
    let text = read_book(path).ok()?;
    let parsed = crate::syntax::parse(&text);
    parsed.book.items.iter().find_map(|i| match &i.node {
        Item::Header(h) => Some(Version {
            path: path.to_path_buf(),
            vendor: h.vendor.node.clone(),
            label: h.version.node.clone(),
            effective: crate::base::date::Date::parse(&h.effective.node)?,
        }),
        _ => None,
    })
}

/// The versions of one vendor in a directory, oldest first.
fn versions(dir: &Path) -> Result<Vec<Version>, CliError> {
    let files = book_files(&[dir.to_path_buf()])?;
    let mut out: Vec<Version> = files.iter().filter_map(|f| version_of(f)).collect();
    out.sort_by_key(|v| v.effective);
    let vendors: std::collections::BTreeSet<&str> = out.iter().map(|v| v.vendor.as_str()).collect();
    if vendors.len() > 1 {
        return Err(CliError::Usage(format!(
            "`{}` holds books of several vendors ({}); point at one vendor's directory",
            dir.display(),
            vendors.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(out)
}

fn parse_date_arg(at: &str) -> Result<crate::base::date::Date, CliError> {
    crate::base::date::Date::parse(at)
        .ok_or_else(|| CliError::Usage(format!("`{at}` is not a date; write YYYY-MM-DD")))
}

/// Picks the book in force on `at` (the latest when no date is given).
fn pick_version(dir: &Path, at: Option<&str>) -> Result<PathBuf, CliError> {
    let all = versions(dir)?;
    let chosen =
        match at {
            Some(at) => {
                let day = parse_date_arg(at)?;
                all.iter().rev().find(|v| v.effective <= day).ok_or_else(|| {
                CliError::Input(format!(
                    "no version in `{}` was in force on {day}; the earliest is effective {}",
                    dir.display(),
                    all.first().map_or("-".to_string(), |v| v.effective.to_string())
                ))
            })?
            }
            None => all
                .last()
                .ok_or_else(|| CliError::Usage(format!("no books under `{}`", dir.display())))?,
        };
    Ok(chosen.path.clone())
}

/// Loads a rating table from a compiled table, a book (compiled in memory), or a directory of
/// versions (the one in force on `at`).
fn load_table(source: &Path, at: Option<&str>) -> Result<(RatingTable, PathBuf), CliError> {
    let path = if source.is_dir() {
        pick_version(source, at)?
    } else {
        if !source.exists() {
            return Err(CliError::Usage(format!(
                "cannot read `{}`: no such file or directory",
                source.display()
            )));
        }
        if let Some(at) = at {
            parse_date_arg(at)?;
        }
        source.to_path_buf()
    };
    let text = read_book(&path).map_err(CliError::Input)?;
    if text.trim_start().starts_with('{') {
        let table = RatingTable::from_json(&text)
            .map_err(|e| CliError::Input(format!("`{}`: {e}", path.display())))?;
        return Ok((table, path));
    }
    match crate::pipeline::compile_source(&text) {
        Ok(t) => Ok((t, path)),
        Err(e) => {
            let file = SourceFile::new(path.display().to_string(), text);
            let width = render_width();
            for d in e.diagnostics.iter().filter(|d| d.is_error()) {
                eprint!("{}", diagnostic::render_human(d, &file, width));
            }
            Err(CliError::Input(format!(
                "`{}` has errors; run `pricebook check` on it",
                path.display()
            )))
        }
    }
}

fn run_compile(book: &Path, output: Option<&Path>) -> Result<i32, CliError> {
    let (table, path) = load_table(book, None)?;
    let json = table.to_json();
    match output {
        Some(out) => {
            std::fs::write(out, json + "\n").map_err(|e| {
                CliError::Input(format!(
                    "cannot write `{}`: {}",
                    out.display(),
                    io_reason(&e)
                ))
            })?;
            eprintln!(
                "compiled `{}` ({} products, {} plans) to `{}`",
                path.display(),
                table.products.len(),
                table.plans.len(),
                out.display()
            );
        }
        None => println!("{json}"),
    }
    Ok(0)
}

/// Splits `"20 minute"` into an exact decimal and a unit.
fn parse_quantity(text: &str) -> Result<(Decimal, String), CliError> {
    let mut parts = text.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CliError::Input(format!(
            "`{text}` is not a quantity; write a number and a unit, such as \"20 minute\""
        )));
    };
    let v = crate::base::money::parse_decimal(value).ok_or_else(|| {
        CliError::Input(format!(
            "`{value}` is not a decimal number that fits in 28 digits; write e.g. `20` or `1.5`"
        ))
    })?;
    Ok((v, unit.to_string()))
}

/// The table's plan slugs, for a message that asks to name one.
fn plan_slugs(table: &RatingTable) -> String {
    let slugs: Vec<&str> = table.plans.iter().map(|p| p.slug.as_str()).collect();
    slugs.join(", ")
}

/// Names resolved to ids.
struct Resolved {
    plan: Option<PlanId>,
    product: ProductId,
    cell: CellId,
}

fn resolve(table: &RatingTable, t: &Target) -> Result<Resolved, CliError> {
    let plan = match &t.plan {
        Some(name) => Some(table.plan_id(name).ok_or_else(|| {
            CliError::Input(unknown_name(
                "plan",
                name,
                table.plans.iter().map(|p| p.slug.as_str()),
            ))
        })?),
        None => match table.plans.len() {
            0 => None,
            1 => Some(0),
            n => {
                return Err(CliError::Input(format!(
                    "the book has {n} plans; name one with --plan ({})",
                    plan_slugs(table)
                )));
            }
        },
    };
    let product = table.product_id(&t.product).ok_or_else(|| {
        CliError::Input(unknown_name(
            "product",
            &t.product,
            table.products.iter().map(|p| p.slug.as_str()),
        ))
    })?;
    let args: Vec<(Option<&str>, &str)> = t
        .dims
        .iter()
        .map(|d| match d.split_once('=') {
            Some((k, v)) => (Some(k.trim()), v.trim()),
            None => (None, d.trim()),
        })
        .collect();
    let cell = table
        .resolve_cell(product, &args)
        .map_err(CliError::Input)?;
    Ok(Resolved {
        plan,
        product,
        cell,
    })
}

fn unknown_name<'a>(
    what: &'static str,
    name: &str,
    known: impl Iterator<Item = &'a str> + Clone,
) -> String {
    crate::base::names::NameError::unknown(what, name, known).to_string()
}

fn rejection_text(r: &Rejection, path: &Path) -> String {
    match r.line {
        Some(line) => format!("{} (rule at {}:{line})", r.reason, path.display()),
        None => r.reason.clone(),
    }
}

fn run_quote(t: &Target, quantity: &str, explain: bool, format: Format) -> Result<i32, CliError> {
    let (table, path) = load_table(&t.source, t.at.as_deref())?;
    let ids = resolve(&table, t)?;
    let (value, unit) = parse_quantity(quantity)?;
    let base = table
        .base_quantity(ids.product, value, &unit)
        .map_err(CliError::Input)?;
    let (result, steps) = table.quote_explained(ids.plan, ids.product, ids.cell, base);
    let plan_slug = ids.plan.map(|p| table.plans[p as usize].slug.clone());
    let product = &table.products[ids.product as usize];
    let steps_json: Vec<serde_json::Value> = steps
        .iter()
        .map(|s| serde_json::json!({"step": s.step, "line": s.line}))
        .collect();
    match (result, format) {
        (Ok(q), Format::Json) => {
            let unit_name = q.unit.map_or("", |u| table.unit_name(u));
            let doc = serde_json::json!({
                "plan": plan_slug,
                "product": product.slug,
                "quantity": {"value": value.to_string(), "unit": unit},
                "charge": {"amount": q.charge.to_string(), "unit": unit_name},
                "money": q.money.map(|m| serde_json::json!({"amount": m.to_string(), "currency": table.currency})),
                "explain": if explain { steps_json } else { Vec::new() },
                "source": path.display().to_string(),
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            Ok(0)
        }
        (Ok(q), Format::Human) => {
            let unit_name = q.unit.map_or("", |u| table.unit_name(u));
            if let Some(p) = ids.plan {
                let p = &table.plans[p as usize];
                println!("plan      {} ({})", p.display, p.slug);
            }
            println!("product   {} ({})", product.display, product.slug);
            println!("quantity  {value} {unit}");
            println!("charge    {} {unit_name}", q.charge);
            match q.money {
                Some(m) => println!("money     {m} {}", table.currency),
                None => println!("money     - (the plan has no published price per {unit_name})"),
            }
            if explain {
                println!("explain");
                for (i, s) in steps.iter().enumerate() {
                    match s.line {
                        Some(l) => println!("  {}. {} ({}:{l})", i + 1, s.step, path.display()),
                        None => println!("  {}. {}", i + 1, s.step),
                    }
                }
            }
            Ok(0)
        }
        (Err(r), Format::Json) => {
            let doc = serde_json::json!({
                "plan": plan_slug,
                "product": product.slug,
                "quantity": {"value": value.to_string(), "unit": unit},
                "rejected": {"reason": r.reason, "line": r.line},
                "explain": if explain { steps_json } else { Vec::new() },
                "source": path.display().to_string(),
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            Ok(1)
        }
        (Err(r), Format::Human) => {
            println!("rejected: {}", rejection_text(&r, &path));
            Ok(1)
        }
    }
}

fn run_capacity(t: &Target, unit: Option<&str>, format: Format) -> Result<i32, CliError> {
    let (table, path) = load_table(&t.source, t.at.as_deref())?;
    let ids = resolve(&table, t)?;
    let Some(plan) = ids.plan else {
        return Err(CliError::Input(
            "capacity needs a plan with a recurring grant; the book has no plans".into(),
        ));
    };
    let product = &table.products[ids.product as usize];
    let default_unit = match &product.pricing {
        crate::table::PricingEntry::Cells { cells } => cells
            .get(ids.cell as usize)
            .and_then(|c| c.as_ref())
            .map(|c| table.unit_name(c.per_unit).to_string()),
        crate::table::PricingEntry::Tiered { tiers, .. } => tiers
            .first()
            .map(|t| table.unit_name(t.rate.per_unit).to_string()),
        crate::table::PricingEntry::Flat { per, .. } => {
            Some(per.map_or("event".to_string(), |u| table.unit_name(u).to_string()))
        }
        crate::table::PricingEntry::Free { .. } => None,
    };
    let unit = match unit.map(String::from).or(default_unit) {
        Some(u) => u,
        None => {
            return Err(CliError::Input(format!(
                "`{}` is free: a grant buys any amount of it",
                product.slug
            )));
        }
    };
    match table.capacity(plan, ids.product, ids.cell, &unit) {
        Ok(n) => {
            match format {
                Format::Json => {
                    let doc = serde_json::json!({
                        "plan": table.plans[plan as usize].slug,
                        "product": product.slug,
                        "quantity": {"value": n.to_string(), "unit": unit},
                    });
                    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
                }
                Format::Human => println!(
                    "{n} {unit} of {} on {} per billing period",
                    product.display, table.plans[plan as usize].display
                ),
            }
            Ok(0)
        }
        Err(r) => {
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"rejected": {"reason": r.reason, "line": r.line}})
                    )
                    .unwrap_or_default()
                ),
                Format::Human => println!("rejected: {}", rejection_text(&r, &path)),
            }
            Ok(1)
        }
    }
}

fn run_rate(
    source: &Path,
    events: &Path,
    by: rate_cmd::GroupBy,
    output: Option<&Path>,
    format: RateFormat,
) -> Result<i32, CliError> {
    let (table, _) = load_table(source, None)?;
    let mut input: Box<dyn std::io::BufRead> = if events == Path::new("-") {
        Box::new(std::io::BufReader::with_capacity(1 << 20, std::io::stdin()))
    } else {
        let f = std::fs::File::open(events).map_err(|e| {
            CliError::Usage(format!(
                "cannot read `{}`: {}",
                events.display(),
                io_reason(&e)
            ))
        })?;
        Box::new(std::io::BufReader::with_capacity(1 << 20, f))
    };
    let report = rate_cmd::rate_input(&table, &mut input, by, rate_cmd::progress_wanted())
        .map_err(CliError::Input)?;
    let stderr = std::io::stderr();
    let mut err = std::io::BufWriter::new(stderr.lock());
    let name = events.display();
    for (line, reason) in &report.bad {
        let _ = writeln!(err, "{name}:{line}: bad line: {reason}");
    }
    for (line, reason) in &report.rejected {
        let _ = writeln!(err, "{name}:{line}: rejected: {reason}");
    }
    let _ = writeln!(
        err,
        "rated {} events from {} lines; {} bad line{}, {} rejected",
        report.rated,
        report.lines,
        report.bad.len(),
        plural(report.bad.len()),
        report.rejected.len()
    );
    drop(err);
    let write = |out: &mut dyn Write| match format {
        RateFormat::Csv => rate_cmd::write_csv(&report, by, out),
        RateFormat::Json => rate_cmd::write_json(&report, by, out),
    };
    match output {
        Some(path) => {
            let f = std::fs::File::create(path).map_err(|e| {
                CliError::Input(format!(
                    "cannot write `{}`: {}",
                    path.display(),
                    io_reason(&e)
                ))
            })?;
            let mut w = std::io::BufWriter::new(f);
            write(&mut w)
                .and_then(|_| w.flush())
                .map_err(|e| CliError::Input(format!("cannot write `{}`: {e}", path.display())))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            let _ = write(&mut w).and_then(|_| w.flush());
        }
    }
    Ok(i32::from(!report.bad.is_empty()))
}

/// The `bill` command's arguments, passed whole to `run_bill`.
#[derive(clap::Args, Debug)]
struct BillArgs {
    /// A book, a compiled table, or a directory of one vendor's books.
    source: PathBuf,
    #[arg(long)]
    plan: Option<String>,
    /// Usage events: JSON Lines or CSV (`time,product,quantity[,unit][,buy][,<dimension>...]`).
    #[arg(long)]
    usage: PathBuf,
    #[arg(long, value_enum, default_value_t = BillingArg::Monthly)]
    billing: BillingArg,
    /// First day of the first period (default: the first event's month).
    #[arg(long)]
    from: Option<String>,
    /// Number of monthly periods (default: through the last event).
    #[arg(long)]
    periods: Option<u32>,
    /// Enterprise terms layered on the public book.
    #[arg(long)]
    contract: Option<PathBuf>,
    /// The closing wallet of an earlier bill (JSON), so carried-over credits continue.
    #[arg(long)]
    wallet: Option<PathBuf>,
    /// `below=1000,to=5000,cap=200`: the account's auto-recharge settings.
    #[arg(long = "auto-recharge")]
    auto_recharge: Option<String>,
    /// With a directory: the version in force on this date (default: the bill's start).
    #[arg(long)]
    at: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Loads the book, with a contract's terms layered on it when one is given.
fn load_with_contract(
    source: &Path,
    at: Option<&str>,
    contract: Option<&Path>,
) -> Result<RatingTable, CliError> {
    let Some(contract) = contract else {
        return load_table(source, at).map(|(t, _)| t);
    };
    let book_path = if source.is_dir() {
        pick_version(source, at)?
    } else {
        source.to_path_buf()
    };
    let book = read_book(&book_path).map_err(CliError::Input)?;
    let terms = read_book(contract).map_err(CliError::Usage)?;
    match crate::pipeline::compile_with_contract(&book, &terms) {
        Ok(t) => Ok(t),
        Err(e) => {
            let width = render_width();
            let file = SourceFile::new(e.file_name(&book_path, contract), e.text.clone());
            for d in e.diagnostics.iter().filter(|d| d.is_error()) {
                eprint!("{}", diagnostic::render_human(d, &file, width));
            }
            Err(CliError::Input(format!(
                "the contract `{}` does not apply to `{}`; fix the errors above",
                contract.display(),
                book_path.display()
            )))
        }
    }
}

fn run_bill(a: BillArgs) -> Result<i32, CliError> {
    let from = a.from.as_deref().map(parse_date_arg).transpose()?;
    let at = a.at.clone().or_else(|| a.from.clone());
    let table = load_with_contract(&a.source, at.as_deref(), a.contract.as_deref())?;
    let plan = match &a.plan {
        Some(name) => table.plan_id(name).ok_or_else(|| {
            CliError::Input(unknown_name(
                "plan",
                name,
                table.plans.iter().map(|p| p.slug.as_str()),
            ))
        })?,
        None if table.plans.len() == 1 => 0,
        None => {
            return Err(CliError::Input(format!(
                "name the plan with --plan ({})",
                plan_slugs(&table)
            )));
        }
    };
    let text = std::fs::read(&a.usage).map_err(|e| {
        CliError::Usage(format!(
            "cannot read `{}`: {}",
            a.usage.display(),
            io_reason(&e)
        ))
    })?;
    let text = String::from_utf8_lossy(&text);
    let (events, bad) = bill_cmd::parse_usage(&table, &text);
    let billing = match a.billing {
        BillingArg::Monthly => crate::bill::Billing::Monthly,
        BillingArg::Annual => crate::bill::Billing::Annual,
    };
    // Without events or --from, the bill starts with the book's effective month.
    let effective =
        crate::base::date::Date::parse(&table.effective).unwrap_or(crate::base::date::Date {
            year: 1970,
            month: 1,
            day: 1,
        });
    let fallback = crate::base::date::Date {
        day: 1,
        ..effective
    };
    let mut request = bill_cmd::request(plan, billing, from, a.periods, &events, fallback);
    if let Some(spec) = &a.auto_recharge {
        request.recharge =
            Some(bill_cmd::parse_recharge(&table, plan, spec).map_err(CliError::Usage)?);
    }
    if let Some(w) = &a.wallet {
        let text = read_book(w).map_err(CliError::Usage)?;
        request.opening = bill_cmd::read_wallet(&text)
            .map_err(CliError::Input)?
            .grants;
    }
    let mut bill =
        crate::bill::bill(&table, &request, &events).map_err(|e| CliError::Input(e.0))?;
    let bad_lines = bad.len();
    bill.rejected.extend(bad);
    bill.rejected.sort_by_key(|r| r.line);
    match a.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&bill.to_json()).unwrap_or_default()
        ),
        Format::Human => print!("{}", bill.to_human()),
    }
    if bad_lines > 0 {
        eprintln!(
            "{bad_lines} bad line{} in `{}`; the other lines were billed",
            plural(bad_lines),
            a.usage.display()
        );
    }
    Ok(i32::from(bad_lines > 0))
}
