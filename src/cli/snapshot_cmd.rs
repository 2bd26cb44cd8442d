//! `pricebook snapshot`: every price of every book given, written beside the book as an insta
//! snapshot, checked in CI (`--check`) and accepted after review (`--update`).

use super::CheckFormat;
use super::load::book_files;
use super::report::CliError;
use crate::snapshot::{self, Changes, StandardQuantity};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub(crate) struct SnapshotArgs {
    /// Books, vendors' directories of books, or a directory of vendors' directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write nothing; exit 1 when a snapshot is missing or differs (for CI).
    #[arg(long, conflicts_with = "update")]
    check: bool,
    /// Accept every change: write the new snapshots and remove the `.snap.new` files.
    #[arg(long)]
    update: bool,
    /// A quantity to quote every product of its dimension at instead of the default
    /// (a minute, 1,000 characters, a megapixel, one item); repeatable: `--quantity "1 hour"`.
    #[arg(long = "quantity", value_name = "Q", allow_hyphen_values = true)]
    quantities: Vec<String>,
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub(crate) format: CheckFormat,
}

/// What became of one book's snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Unchanged,
    /// Missing, and written.
    New,
    /// Missing, under `--check`.
    Missing,
    /// Differs: under `--check` nothing is written; otherwise `<name>.snap.new` is.
    Changed,
    /// Differed, and `--update` wrote it.
    Updated,
    /// The book does not open.
    Error,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Unchanged => "unchanged",
            Status::New => "new",
            Status::Missing => "missing",
            Status::Changed => "changed",
            Status::Updated => "updated",
            Status::Error => "error",
        }
    }
}

struct Outcome {
    book: PathBuf,
    snapshot: PathBuf,
    status: Status,
    /// The `.snap.new` written for review.
    pending: Option<PathBuf>,
    changes: Changes,
    error: Option<CliError>,
}

fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| CliError::unwritable(dir, &e))?;
    }
    std::fs::write(path, text).map_err(|e| CliError::unwritable(path, &e))
}

fn remove_pending(pending: &Path) -> Result<(), CliError> {
    match std::fs::remove_file(pending) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CliError::unwritable(pending, &e)),
    }
}

/// One book: render it, compare it with its snapshot, and write what the mode says.
fn one(book: &Path, args: &SnapshotArgs, quantities: &[StandardQuantity]) -> Outcome {
    let path = snapshot::snapshot_path(book);
    let pending = snapshot::pending_path(&path);
    let mut outcome = Outcome {
        book: book.to_path_buf(),
        snapshot: path.clone(),
        status: Status::Error,
        pending: None,
        changes: Changes::default(),
        error: None,
    };
    let body = match snapshot::render_file(book, quantities) {
        Ok(b) => b,
        Err(e) => {
            outcome.error = Some(e.into());
            return outcome;
        }
    };
    let text = snapshot::file_text(book, &body);
    let old = std::fs::read_to_string(&path)
        .ok()
        .map(|t| snapshot::read_body(&t));
    let written = (|| -> Result<Status, CliError> {
        Ok(match old {
            None if args.check => Status::Missing,
            None => {
                write_file(&path, &text)?;
                remove_pending(&pending)?;
                Status::New
            }
            Some(old) => {
                outcome.changes = snapshot::compare(&old, &body);
                match (outcome.changes.is_empty(), args.check, args.update) {
                    (true, true, _) => Status::Unchanged,
                    // A `.snap.new` left from an earlier run is stale once the prices match.
                    (true, false, _) => {
                        remove_pending(&pending)?;
                        Status::Unchanged
                    }
                    (false, true, _) => Status::Changed,
                    (false, false, true) => {
                        write_file(&path, &text)?;
                        remove_pending(&pending)?;
                        Status::Updated
                    }
                    (false, false, false) => {
                        write_file(&pending, &text)?;
                        outcome.pending = Some(pending.clone());
                        Status::Changed
                    }
                }
            }
        })
    })();
    match written {
        Ok(s) => outcome.status = s,
        Err(e) => outcome.error = Some(e),
    }
    outcome
}

fn percent_text(p: rust_decimal::Decimal) -> String {
    if p > rust_decimal::Decimal::ZERO {
        format!("+{p}%")
    } else {
        format!("{p}%")
    }
}

/// Every changed line: `~ key: old -> new (+x%)`, `- line`, `+ line`.
fn change_lines(c: &Changes) -> Vec<String> {
    let mut out = Vec::new();
    for l in &c.changed {
        let mut s = format!("~ {}: {} -> {}", l.key, l.old, l.new);
        if let Some(p) = l.percent {
            let _ = write!(s, " ({})", percent_text(p));
        }
        out.push(s);
    }
    out.extend(c.removed.iter().map(|l| format!("- {l}")));
    out.extend(c.added.iter().map(|l| format!("+ {l}")));
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn human(outcomes: &[Outcome], args: &SnapshotArgs) -> String {
    let mut out = String::new();
    for o in outcomes {
        let snap = o.snapshot.display();
        match o.status {
            Status::Unchanged => {}
            Status::New => {
                let _ = writeln!(out, "{snap}: new, written");
            }
            Status::Missing => {
                let _ = writeln!(
                    out,
                    "{snap}: missing (run `pricebook snapshot {}` to write it)",
                    o.book.display()
                );
            }
            Status::Changed | Status::Updated => {
                let n = o.changes.len();
                let what = match (o.status, &o.pending) {
                    (Status::Updated, _) => "updated".to_string(),
                    (_, Some(p)) => format!("the new snapshot is {}", p.display()),
                    _ => "not written (--check)".to_string(),
                };
                let _ = writeln!(out, "{snap}: {n} line{} changed; {what}", plural(n));
                for l in change_lines(&o.changes) {
                    let _ = writeln!(out, "  {l}");
                }
            }
            Status::Error => {
                if let Some(e) = &o.error {
                    let _ = writeln!(out, "error: {}: {}", o.book.display(), e.message);
                    if let Some(h) = &e.help {
                        let _ = writeln!(out, "  help: {h}");
                    }
                }
            }
        }
    }
    out.push_str(&summary(outcomes));
    let changed = outcomes.iter().any(|o| o.status == Status::Changed);
    if changed && !args.check {
        out.push_str(
            "review the .snap.new files, then accept them with `pricebook snapshot --update` (or `cargo insta review`)\n",
        );
    }
    out
}

/// `10 snapshots: 9 unchanged, 1 changed`.
fn summary(outcomes: &[Outcome]) -> String {
    let count = |s: Status| outcomes.iter().filter(|o| o.status == s).count();
    let mut parts = vec![format!("{} unchanged", count(Status::Unchanged))];
    for s in [
        Status::Changed,
        Status::Updated,
        Status::New,
        Status::Missing,
    ] {
        let n = count(s);
        if n > 0 {
            parts.push(format!("{n} {}", s.name()));
        }
    }
    let errors = count(Status::Error);
    if errors > 0 {
        parts.push(format!("{errors} error{}", plural(errors)));
    }
    format!(
        "{} snapshot{}: {}\n",
        outcomes.len(),
        plural(outcomes.len()),
        parts.join(", ")
    )
}

fn json(outcomes: &[Outcome]) -> String {
    let list: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            serde_json::json!({
                "book": o.book.display().to_string(),
                "snapshot": o.snapshot.display().to_string(),
                "status": o.status.name(),
                "pending": o.pending.as_ref().map(|p| p.display().to_string()),
                "changes": o.changes,
                "error": o.error.as_ref().map(|e| serde_json::json!({
                    "code": e.code,
                    "message": e.message,
                    "help": e.help,
                })),
            })
        })
        .collect();
    let count = |s: Status| outcomes.iter().filter(|o| o.status == s).count();
    let doc = serde_json::json!({
        "snapshots": list,
        "unchanged": count(Status::Unchanged),
        "changed": count(Status::Changed),
        "updated": count(Status::Updated),
        "new": count(Status::New),
        "missing": count(Status::Missing),
        "errors": count(Status::Error),
    });
    super::json_text(&doc)
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// How many changed lines a GitHub annotation lists.
const ANNOTATION_LINES: usize = 40;

/// One GitHub Actions workflow command per snapshot that is missing, changed or cannot be made,
/// at the book's file.
fn github(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        let (title, message) = match o.status {
            Status::Unchanged | Status::New | Status::Updated => continue,
            Status::Missing => (
                "snapshot-missing",
                format!(
                    "{} is missing: run `pricebook snapshot {}` and commit it",
                    o.snapshot.display(),
                    o.book.display()
                ),
            ),
            Status::Changed => {
                let mut m = format!(
                    "the prices differ from {}: {} line{} changed",
                    o.snapshot.display(),
                    o.changes.len(),
                    plural(o.changes.len())
                );
                // An annotation is for a glance; the log has every line.
                let lines = change_lines(&o.changes);
                for l in lines.iter().take(ANNOTATION_LINES) {
                    m.push('\n');
                    m.push_str(l);
                }
                if lines.len() > ANNOTATION_LINES {
                    let _ = write!(m, "\n... and {} more", lines.len() - ANNOTATION_LINES);
                }
                ("snapshot-changed", m)
            }
            Status::Error => (
                o.error.as_ref().map_or("error", |e| e.code),
                o.error.as_ref().map_or(String::new(), |e| match &e.help {
                    Some(h) => format!("{} help: {h}", e.message),
                    None => e.message.clone(),
                }),
            ),
        };
        let _ = writeln!(
            out,
            "::error file={},title={}::{}",
            escape_property(&o.book.display().to_string()),
            escape_property(title),
            escape_data(&message)
        );
    }
    out
}

pub(super) fn run_snapshot(
    args: SnapshotArgs,
    sink: &mut dyn std::io::Write,
) -> Result<i32, CliError> {
    let quantities = args
        .quantities
        .iter()
        .map(|q| {
            StandardQuantity::parse(q).map_err(|e| {
                CliError::usage(format!("--quantity `{q}`: {e}"))
                    .help("write a number and a unit: --quantity \"1 hour\"")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let files = book_files(&args.paths)?;
    let outcomes: Vec<Outcome> = files.iter().map(|f| one(f, &args, &quantities)).collect();
    let text = match args.format {
        CheckFormat::Human => human(&outcomes, &args),
        CheckFormat::Json => json(&outcomes),
        CheckFormat::Github => {
            // The annotations, then the whole report for the log.
            let mut t = github(&outcomes);
            t.push_str(&human(&outcomes, &args));
            t
        }
    };
    sink.write_all(text.as_bytes())?;
    let failed = outcomes.iter().any(|o| match o.status {
        Status::Error | Status::Missing => true,
        Status::Changed => true,
        Status::Unchanged | Status::New | Status::Updated => false,
    });
    Ok(i32::from(failed))
}
