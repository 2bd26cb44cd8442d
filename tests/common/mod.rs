//! Helpers for the tests that run the `pricebook` binary: run it, read its output, and write
//! inputs into a scratch directory of the test's own.

// Each test crate includes this module and uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary from the crate root, so paths in the output are relative and stable.
pub fn pricebook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pricebook"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COLUMNS", "100")
        .output()
        .expect("binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh scratch directory for one test, named after the test crate, the process and `name`.
/// It lives in cargo's `target/tmp`, not the system's temporary folder, so runs do not pile up
/// there and `cargo clean` takes them away.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "pricebook-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Writes `contents` to `dir/name` and returns the path as text.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, contents).expect("write");
    p.display().to_string()
}

pub mod http;
pub mod rng;
