//! `pricebook lsp`: the language server ([`crate::lsp`]) on standard input and output.

use super::report::CliError;
use std::io::Write;
use std::time::Duration;

/// The `lsp` command's arguments.
#[derive(clap::Args, Debug)]
pub(crate) struct LspArgs {
    /// Speak LSP over standard input and output (the only transport; editors pass it).
    #[arg(long)]
    stdio: bool,
    /// Milliseconds edits must pause before the changed files are checked.
    #[arg(long, value_name = "MS", default_value_t = 15)]
    debounce_ms: u64,
}

pub(super) fn run_lsp(args: LspArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let _ = args.stdio;
    let config = crate::lsp::Config {
        debounce: Duration::from_millis(args.debounce_ms),
    };
    crate::lsp::run_stdio(config, out).map_err(|e| {
        CliError::input_code("io-error", format!("the language server stopped: {e}"))
    })?;
    Ok(0)
}
