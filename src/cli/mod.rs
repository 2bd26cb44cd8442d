//! The `pricebook` command line.
//!
//! Exit status: 0 success (warnings allowed), 1 the input is wrong (diagnostics, a rejected
//! quote, unformatted files), 2 the command line is wrong (clap's own usage errors, paths that do
//! not exist). Every command writes to one buffered standard output; a reader that closes it
//! early (`| head`) ends the command quietly. Under `--format json` every outcome is JSON on
//! standard output, errors included (`{"error": {"code", "message", "help"}}`).

pub mod bill_cmd;
mod burn_cmd;
mod check_cmd;
mod load;
mod lsp_cmd;
mod page_cmd;
mod quote_cmd;
pub mod rate_cmd;
mod report;
mod run_cmd;
mod serve_cmd;
mod snapshot_cmd;
mod sql_cmd;
pub mod versions_cmd;

use clap::{Parser, Subcommand, ValueEnum};
use report::CliError;
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "pricebook",
    version,
    about = "Check, format, compile and evaluate pricebook files"
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
    /// Compile a book to a rating table (JSON, or binary with `--target binary`).
    Compile {
        book: PathBuf,
        /// Where to write the table; standard output when left out.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// How errors are reported (not the table, which `--target` sets).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// `table` (the rating table as JSON), `binary` (the same table in its binary form,
        /// which loads faster; docs/tables.md) or `sql` (a script that rates a `usage` table with
        /// the answers of `pricebook rate`; docs/sql.md). A directory compiles to SQL with every
        /// version, each usage row priced by the one in force at its time.
        #[arg(long, value_enum, default_value_t = sql_cmd::CompileTarget::Table)]
        target: sql_cmd::CompileTarget,
        /// The SQL engine `--target sql` writes for.
        #[arg(long, value_enum)]
        dialect: Option<crate::sql::Dialect>,
        /// With `--target sql`: price every product the SQL can hold exactly and reject the rows
        /// of the others (listed in `pricebook_refused`), rather than refuse the whole book.
        #[arg(long)]
        skip_refused: bool,
    },
    /// Price one usage on a plan.
    Quote {
        #[command(flatten)]
        target: Target,
        /// The usage, with its unit: "20 minute", "20 minutes", "20min", "1500 character".
        // A negative quantity ("-5 second") is a value to reject with its reason, not an option.
        #[arg(long, allow_hyphen_values = true)]
        quantity: String,
        /// What the account has already used of the product this billing period ("1000 item"):
        /// tiers over the period then price the quantity as the next slice.
        #[arg(long, allow_hyphen_values = true)]
        used: Option<String>,
        /// Show the chain of rules that produced the price.
        #[arg(long)]
        explain: bool,
        /// An attribute the usage carries, for the plan's limits on it: `scenes=51`,
        /// `"script length=4500 character"` (repeatable).
        #[arg(long = "attr", value_name = "NAME=VALUE")]
        attrs: Vec<String>,
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
    Bill(bill_cmd::BillArgs),
    /// Rate a usage export (CSV or JSON Lines) into totals per account, plan or product.
    Rate {
        /// A book, a compiled table, or a directory of one vendor's books (the latest version
        /// of `--list`).
        source: PathBuf,
        /// The vendor's price list, from a directory holding several.
        #[arg(long)]
        list: Option<String>,
        /// The usage file: CSV with header `account,plan,product,quantity[,unit][,<dimension>...]`,
        /// or JSON Lines; `-` reads standard input.
        #[arg(long)]
        events: PathBuf,
        #[arg(long, value_enum, default_value_t = crate::rate::batch::GroupBy::Account)]
        by: crate::rate::batch::GroupBy,
        /// Where to write the totals; standard output when left out.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// `csv` (default) or `json`.
        #[arg(long, value_enum, default_value_t = RateFormat::Csv)]
        format: RateFormat,
        /// Rating threads (the merge and the CSV writer use as many); 0, the default, uses one
        /// per core (at most 8).
        #[arg(long, default_value_t = 0)]
        threads: usize,
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
        /// `markdown` is a pull-request comment (docs/pages.md).
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
    },
    /// What each plan's recurring grant buys of each product: a burn table (docs/pages.md).
    Burn(burn_cmd::BurnArgs),
    /// Write a static, self-contained pricing site: plans, products, burn tables, charts, the
    /// version history (docs/pages.md).
    Page(page_cmd::PageArgs),
    /// Write every price of books as insta snapshots beside them, check them (CI) or accept
    /// their changes (docs/snapshots.md).
    Snapshot(snapshot_cmd::SnapshotArgs),
    /// Serve books over HTTP: quotes, capacities, bills and usage totals as JSON (docs/serve.md).
    Serve(serve_cmd::ServeArgs),
    /// The language server: diagnostics, hover, completion and more in editors (docs/editors.md).
    Lsp(lsp_cmd::LspArgs),
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
    /// The date (YYYY-MM-DD) the price is asked for: picks the version in force that day from a
    /// directory, and must be one on which a single book is in force.
    #[arg(long)]
    at: Option<String>,
    /// The vendor's price list, from a directory holding several (`api`); when left out, the
    /// list whose version in force has `--plan`.
    #[arg(long)]
    list: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum RateFormat {
    Csv,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DiffFormat {
    Human,
    Json,
    Markdown,
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

impl Command {
    /// Whether the command reports in JSON, errors included.
    fn json(&self) -> bool {
        match self {
            Command::Check { format, .. } => *format == CheckFormat::Json,
            Command::Rate { format, .. } => *format == RateFormat::Json,
            Command::Compile { format, .. }
            | Command::Quote { format, .. }
            | Command::Capacity { format, .. }
            | Command::Test { format, .. }
            | Command::Versions { format, .. } => *format == Format::Json,
            Command::Diff { format, .. } => *format == DiffFormat::Json,
            Command::Bill(a) => a.format == Format::Json,
            Command::Snapshot(a) => a.format == CheckFormat::Json,
            Command::Burn(a) => a.format == burn_cmd::BurnFormat::Json,
            Command::Fmt { .. } | Command::Serve(_) | Command::Page(_) | Command::Lsp(_) => false,
        }
    }
}

/// `--format json` (or `--format=json`) among raw arguments, for errors clap reports before a
/// command exists.
fn wants_json(args: &[String]) -> bool {
    args.windows(2)
        .any(|w| w[0] == "--format" && w[1] == "json")
        || args.iter().any(|a| a == "--format=json")
}

/// Runs the CLI on the process arguments and returns the exit status.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            if !e.use_stderr() {
                let _ = e.print();
                return 0;
            }
            if wants_json(&args) {
                let err = CliError::usage(e.kind().to_string())
                    .help(e.render().to_string().trim().to_string());
                let _ = writeln!(std::io::stdout(), "{}", err.to_json());
            } else {
                let _ = e.print();
            }
            return 2;
        }
    };
    let json = cli.command.json();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = run(cli.command, &mut out).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        Err(e) if e.quiet => 0,
        Err(e) => {
            if json {
                let written = writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&e.to_json()).unwrap_or_default()
                )
                .and_then(|_| out.flush());
                if written.is_err() {
                    return 0;
                }
            } else {
                let _ = out.flush();
                e.print_human(render_width());
            }
            e.status
        }
    }
}

fn run(command: Command, out: &mut dyn Write) -> Result<i32, CliError> {
    match command {
        Command::Check {
            paths,
            format,
            deny,
        } => check_cmd::run_check(&paths, format, deny.is_some(), out),
        Command::Fmt { paths, check } => check_cmd::run_fmt(&paths, check, out),
        Command::Compile {
            book,
            output,
            target: sql_cmd::CompileTarget::Sql,
            dialect,
            skip_refused,
            ..
        } => sql_cmd::run_compile_sql(&book, dialect, skip_refused, output.as_deref(), out),
        Command::Compile {
            book,
            output,
            target,
            dialect: None,
            skip_refused: false,
            ..
        } => quote_cmd::run_compile(
            &book,
            output.as_deref(),
            target == sql_cmd::CompileTarget::Binary,
            out,
        ),
        Command::Compile { .. } => Err(CliError::usage(
            "`--dialect` and `--skip-refused` are for `--target sql`",
        )),
        Command::Quote {
            target,
            quantity,
            used,
            explain,
            attrs,
            format,
        } => quote_cmd::run_quote(
            &target,
            &quantity,
            used.as_deref(),
            &attrs,
            explain,
            format,
            out,
        ),
        Command::Capacity {
            target,
            unit,
            format,
        } => quote_cmd::run_capacity(&target, unit.as_deref(), format, out),
        Command::Bill(args) => bill_cmd::run_bill(args, out),
        Command::Rate {
            source,
            list,
            events,
            by,
            output,
            format,
            threads,
        } => rate_cmd::run_rate(
            &source,
            list.as_deref(),
            &events,
            crate::rate::batch::RateOptions {
                by,
                progress: rate_cmd::progress_wanted(),
                threads,
            },
            output.as_deref(),
            format,
            out,
        ),
        Command::Serve(args) => serve_cmd::run_serve(args, out),
        Command::Snapshot(args) => snapshot_cmd::run_snapshot(args, out),
        Command::Burn(args) => burn_cmd::run_burn(args, out),
        Command::Page(args) => page_cmd::run_page(args, out),
        Command::Lsp(args) => lsp_cmd::run_lsp(args, out),
        Command::Test { paths, format } => versions_cmd::run_test(&paths, format, out),
        Command::Versions { dir, format } => versions_cmd::run_versions(&dir, format, out),
        Command::Diff {
            old,
            new,
            usage,
            format,
        } => versions_cmd::run_diff(&old, &new, usage.as_deref(), format, out),
    }
}

fn render_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Pretty JSON with a final newline.
fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}
