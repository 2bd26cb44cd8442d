//! `pricebook lsp`: the language server. The checker, prices and worked examples inside the
//! editor, over the Language Server Protocol on standard input and output.
//!
//! What it offers, and where each is answered:
//!
//! | Feature | Module |
//! |---|---|
//! | diagnostics as you type, across the workspace's files (the codes, spans, help and related locations of `pricebook check`; a contract on its book; versions of a vendor sharing a date) | [`diagnostics`], [`workspace`] |
//! | hover: a product's rate and money on each plan, a plan's price, grants and burn table, a unit's conversions, an expectation's actual value | [`hover`] |
//! | go to definition, find references, rename across a book and its contracts | [`navigate`] over [`symbols`] |
//! | completion: keywords from the grammar, names by context | [`complete`] over [`crate::syntax::grammar`] |
//! | formatting (`pricebook fmt`), quick fixes for "did you mean" and `allow` | [`crate::fmt`], [`actions`] |
//! | a code lens per test (pass/fail, run), inlay hints of money, the outline, semantic tokens | [`lens`], [`outline`], [`tokens`] |
//!
//! The library does the work: [`analysis`] builds each file's [`Analysis`](analysis::Analysis)
//! with [`crate::syntax::parse`] and [`crate::pipeline::files::check_file`], and answers come from
//! [`crate::answer`]. [`server`] is the transport (tower-lsp-server), converting positions and
//! types. docs/editors.md says how to set it up in VS Code, Neovim and Helix.

mod actions;
mod analysis;
mod complete;
mod diagnostics;
mod hover;
mod lens;
mod lex;
mod lines;
mod navigate;
mod outline;
mod server;
mod symbols;
mod tokens;
mod workspace;

use std::io::Write;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tower_lsp_server::{LspService, Server};

/// How the server runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// How long edits must pause before the changed files are checked and their diagnostics
    /// published (edits within it are checked together).
    pub debounce: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            debounce: Duration::from_millis(15),
        }
    }
}

/// Serves LSP on standard input, writing to `out` (the process's standard output, which the
/// caller may hold locked) until the client says `exit`.
pub fn run_stdio(config: Config, out: &mut dyn Write) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()?;
    // The server writes into a pipe; this thread copies it to `out`, message by message.
    let (server_out, mut from_server) = tokio::io::duplex(1 << 16);
    let copied = runtime.block_on(async move {
        let (service, socket) = LspService::new(|client| server::Backend::new(client, config));
        let serve = async move {
            Server::new(tokio::io::stdin(), server_out, socket)
                .serve(service)
                .await;
        };
        let copy = async {
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = from_server.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<(), std::io::Error>(());
                }
                out.write_all(&buf[..n])?;
                out.flush()?;
            }
        };
        let ((), copied) = tokio::join!(serve, copy);
        copied
    });
    // Standard input is read on a thread that may still wait for bytes: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    copied
}
