//! `pricebook burn`: what each plan's recurring grant buys of each product, as Markdown, CSV or
//! JSON.

use super::load::{load_table, parse_date_arg};
use super::report::CliError;
use crate::burn;
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BurnFormat {
    Markdown,
    Csv,
    Json,
}

#[derive(clap::Args, Debug)]
pub(crate) struct BurnArgs {
    /// A book, a compiled table (`.json`), or a directory of one vendor's books (the version in
    /// force on `--at`, the latest without it).
    book: PathBuf,
    /// A plan to show (repeatable; every plan when left out).
    #[arg(long = "plan")]
    plans: Vec<String>,
    /// A product to show (repeatable; every product when left out).
    #[arg(long = "product")]
    products: Vec<String>,
    /// The date (YYYY-MM-DD) whose version to show, from a directory.
    #[arg(long)]
    at: Option<String>,
    #[arg(long, value_enum, default_value_t = BurnFormat::Markdown)]
    pub(crate) format: BurnFormat,
}

pub(super) fn run_burn(args: BurnArgs, out: &mut dyn std::io::Write) -> Result<i32, CliError> {
    let at = args.at.as_deref().map(parse_date_arg).transpose()?;
    let book = load_table(&args.book, at)?;
    let b = burn::burn(&book, &args.plans, &args.products)?;
    let text = match args.format {
        BurnFormat::Markdown => burn::to_markdown(&b),
        BurnFormat::Csv => burn::to_csv(&b),
        BurnFormat::Json => super::json_text(&serde_json::to_value(&b).unwrap_or_default()),
    };
    out.write_all(text.as_bytes())?;
    Ok(0)
}
