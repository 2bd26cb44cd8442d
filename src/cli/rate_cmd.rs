//! `pricebook rate`: a usage export (CSV or JSON Lines) -> totals per account (or plan, product).
//! The rating itself is [`crate::answer::rate`]; this is its files, messages and exit status.

use super::load::load_table_in;
use super::report::CliError;
use super::{RateFormat, plural};
use crate::rate::batch::{RateOptions, UsageInput};
use std::io::{IsTerminal, Write};
use std::path::Path;

pub(super) fn run_rate(
    source: &Path,
    list: Option<&str>,
    events: &Path,
    options: RateOptions,
    output: Option<&Path>,
    format: RateFormat,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    // A directory of several price lists: each line priced by its list's book.
    let lists = match source.is_dir() {
        true => crate::load::lists(&super::load::versions(source)?),
        false => Vec::new(),
    };
    let several: Vec<_> = match lists.len() > 1 {
        true => lists
            .iter()
            .map(|l| load_table_in(source, None, &crate::load::ListChoice::named(Some(l))))
            .collect::<Result<_, _>>()?,
        false => Vec::new(),
    };
    let loaded = match several.first() {
        Some(first) => first.clone(),
        None => load_table_in(source, None, &crate::load::ListChoice::named(list))?,
    };
    let table = &loaded.table;
    let mut stdin;
    let file;
    let input = if events == Path::new("-") {
        stdin = std::io::BufReader::with_capacity(1 << 20, std::io::stdin());
        UsageInput::Reader(&mut stdin)
    } else {
        file = std::fs::File::open(events).map_err(|e| CliError::unreadable(events, &e))?;
        UsageInput::File(&file)
    };
    let report = if several.is_empty() {
        crate::answer::rate_usage(table, input, &options)?
    } else {
        let tables: Vec<&crate::table::RatingTable> = several.iter().map(|l| &l.table).collect();
        let mut reader: Box<dyn std::io::BufRead> = match input {
            UsageInput::Reader(r) => Box::new(r),
            UsageInput::File(f) => Box::new(std::io::BufReader::with_capacity(1 << 20, f)),
        };
        crate::answer::rate_lists_export(&tables, list, &mut reader, options.by, options.progress)?
    };
    let stderr = std::io::stderr();
    let mut err = std::io::BufWriter::new(stderr.lock());
    let name = events.display();
    for l in &report.bad_lines {
        let _ = writeln!(err, "{name}:{}: bad line: {}", l.line, l.reason);
    }
    for l in &report.rejected {
        // The rule's `file:line`, as `quote` cites it.
        let source = match report.rule_books.iter().find(|(n, _)| *n == l.line) {
            Some((_, book)) => book.clone(),
            None => table.source().to_string(),
        };
        let rule = match (l.rule_line, source.as_str()) {
            (Some(line), source) if !source.is_empty() => format!(" ({source}:{line})"),
            (Some(line), _) => format!(" (line {line} of the book)"),
            (None, _) => String::new(),
        };
        let _ = writeln!(err, "{name}:{}: rejected: {}{rule}", l.line, l.reason);
    }
    let _ = writeln!(
        err,
        "rated {} events from {} usage lines; {} bad line{}, {} rejected",
        report.rated,
        report.lines,
        report.bad_lines.len(),
        plural(report.bad_lines.len()),
        report.rejected.len()
    );
    drop(err);
    let failed = !report.bad_lines.is_empty();
    let (json, csv) = match format {
        RateFormat::Csv => (None, Some(report)),
        RateFormat::Json => (
            Some(super::quote_cmd::answer_json(&report.into_answer())),
            None,
        ),
    };
    let write = |out: &mut dyn Write| match (&json, &csv) {
        (Some(text), _) => out.write_all(text.as_bytes()),
        (None, Some(report)) => report.write_csv(out),
        (None, None) => Ok(()),
    };
    match output {
        Some(path) => {
            let f = std::fs::File::create(path).map_err(|e| CliError::unwritable(path, &e))?;
            let mut w = std::io::BufWriter::new(f);
            write(&mut w)
                .and_then(|_| w.flush())
                .map_err(|e| CliError::unwritable(path, &e))?;
        }
        None => write(out)?,
    }
    Ok(i32::from(failed))
}

/// Whether to draw progress on stderr.
pub fn progress_wanted() -> bool {
    std::io::stderr().is_terminal()
}
