//! `pricebook page`: a static, self-contained pricing site generated from the books.

use super::report::CliError;
use crate::page::{self, PageError};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub(crate) struct PageArgs {
    /// A book, a vendor's directory of books (a page per version, with the history), or a
    /// directory of vendors' directories.
    path: PathBuf,
    /// The directory to write the site into (created when missing).
    #[arg(short, long)]
    output: PathBuf,
}

pub(super) fn run_page(args: PageArgs, out: &mut dyn std::io::Write) -> Result<i32, CliError> {
    let written = page::write_site(&args.path, &args.output).map_err(|e| match e {
        PageError::Open(e) => CliError::from(e),
        PageError::Write { path, io } => CliError::unwritable(&path, &io),
    })?;
    writeln!(
        out,
        "wrote {} page{} to {}; open {}",
        written.len(),
        if written.len() == 1 { "" } else { "s" },
        args.output.display(),
        args.output.join("index.html").display()
    )?;
    Ok(0)
}
