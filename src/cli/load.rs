//! Finding and loading what a command prices with, as the command line reports it: the
//! library's [`crate::load`] (books in files and directories, a vendor's versions by date,
//! compiled tables, contracts layered on their book) with its [`OpenError`]s turned into
//! [`CliError`]s, and the command line's own date arguments.

use super::report::CliError;
use crate::base::date::Date;
use crate::diagnostic::SourceFile;
use crate::load::{self, OpenError, Version};
use std::path::{Path, PathBuf};

/// A rating table ready to price with, and where it came from.
pub(crate) use crate::load::Opened as Loaded;

/// An [`OpenError`] as the command line reports it: exit 2 (`command-line`) when a path on the
/// command line leads to no book, exit 1 with the error's code otherwise, and the help line the
/// command line has always shown for it.
impl From<OpenError> for CliError {
    fn from(e: OpenError) -> CliError {
        let message = e.message();
        let help = match &e {
            OpenError::BookHasErrors {
                file,
                text,
                diagnostics,
            } => {
                return CliError::book_errors(&SourceFile::new(file, text.as_str()), diagnostics);
            }
            OpenError::ContractDoesNotApply {
                sources,
                diagnostics,
                ..
            } => {
                let mut err = CliError::diagnostics_in(sources, diagnostics);
                err.message = message;
                return err.help("fix the errors above");
            }
            OpenError::NoVersionInForce { earliest: None, .. } => {
                Some("the earliest version takes effect on -".to_string())
            }
            OpenError::PathUnreadable { .. }
            | OpenError::NoBooks { .. }
            | OpenError::NoVersionInForce { .. }
            | OpenError::NotInForce { .. }
            | OpenError::TableInvalid { .. }
            | OpenError::NoSuchList { .. }
            | OpenError::SeveralLists { .. }
            | OpenError::ContractBookNotFound { .. } => e.help(),
            // What to do is in the message, or plain from it on a command line.
            OpenError::DirUnreadable { .. }
            | OpenError::SeveralVendors { .. }
            | OpenError::NoVersions { .. }
            | OpenError::FileUnreadable { .. }
            | OpenError::NotUtf8 { .. }
            | OpenError::ContractUnreadable(_) => None,
        };
        let err = match e.code() {
            "command-line" => CliError::usage(message),
            code => CliError::input_code(code, message),
        };
        match help {
            Some(h) => err.help(h),
            None => err,
        }
    }
}

/// Expands files and directories into the `*.pricebook` files they hold, sorted.
pub(crate) fn book_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    Ok(load::book_files(paths)?)
}

/// Reads a book as UTF-8; anything else is a message, not a crash.
pub(crate) fn read_book(path: &Path) -> Result<String, String> {
    load::read_book(path).map_err(|e| e.message())
}

/// The versions of one vendor in a directory, oldest first.
pub(crate) fn versions(dir: &Path) -> Result<Vec<Version>, CliError> {
    Ok(load::versions(dir)?)
}

pub(crate) fn parse_date_arg(at: &str) -> Result<Date, CliError> {
    Date::parse(at.trim())
        .ok_or_else(|| CliError::usage(format!("`{at}` is not a date")).help("write YYYY-MM-DD"))
}

/// Loads a rating table from a compiled table, a book (compiled in memory), or a directory of
/// versions (the one in force on `at`, the latest without it). A book or table given directly
/// must be in force on `at`.
pub(crate) fn load_table(source: &Path, at: Option<Date>) -> Result<Loaded, CliError> {
    Ok(load::open(source, at)?)
}

/// [`load_table`], picking among a directory's price lists as `choice` says (`--list`, the plan).
pub(crate) fn load_table_in(
    source: &Path,
    at: Option<Date>,
    choice: &load::ListChoice,
) -> Result<Loaded, CliError> {
    Ok(load::open_in(source, at, choice)?)
}

/// Loads one file: a compiled table (JSON) or a book.
pub(crate) fn load_file(path: &Path) -> Result<Loaded, CliError> {
    Ok(load::open_file(path)?)
}

/// Loads a book with a contract's terms layered on it when one is given.
pub(crate) fn load_with_contract(
    source: &Path,
    at: Option<Date>,
    contract: Option<&Path>,
    choice: &load::ListChoice,
) -> Result<Loaded, CliError> {
    Ok(load::open_with_contract_in(source, at, contract, choice)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).expect("a date")
    }

    /// The errors the command line reported before loading moved into the library, field for
    /// field.
    #[test]
    fn open_errors_keep_their_command_line_form() {
        let p = PathBuf::from("x/y.pricebook");
        let io = || std::io::Error::from(std::io::ErrorKind::NotFound);
        let check = |e: OpenError, status: i32, code: &str, message: &str, help: Option<&str>| {
            let c = CliError::from(e);
            assert_eq!(
                (c.status, c.code, c.message.as_str(), c.help.as_deref()),
                (status, code, message, help)
            );
        };
        check(
            OpenError::PathUnreadable {
                path: p.clone(),
                io: io(),
            },
            2,
            "command-line",
            "cannot read `x/y.pricebook`: no such file or directory",
            Some("check the path"),
        );
        check(
            OpenError::DirUnreadable {
                dir: "x".into(),
                io: io(),
            },
            2,
            "command-line",
            "cannot read directory `x`: no such file or directory",
            None,
        );
        check(
            OpenError::NoBooks { dir: "x".into() },
            2,
            "command-line",
            "no `*.pricebook` files under `x`",
            Some("point at a book, or a directory that holds some"),
        );
        check(
            OpenError::SeveralVendors {
                dir: "x".into(),
                vendors: vec!["a".into(), "b".into()],
            },
            2,
            "command-line",
            "`x` holds books of several vendors (a, b); point at one vendor's directory",
            None,
        );
        check(
            OpenError::NoVersions { dir: "x".into() },
            2,
            "command-line",
            "no books under `x`",
            None,
        );
        for (earliest, help) in [(Some(date("2024-11-17")), "2024-11-17"), (None, "-")] {
            check(
                OpenError::NoVersionInForce {
                    dir: "x".into(),
                    day: date("2020-01-01"),
                    earliest,
                },
                1,
                "not-in-force",
                "no version in `x` is in force on 2020-01-01",
                Some(&format!("the earliest version takes effect on {help}")),
            );
        }
        check(
            OpenError::NotInForce {
                path: p.clone(),
                vendor: "acme".into(),
                version: "1".into(),
                effective: date("2026-01-01"),
                day: date("2025-01-01"),
            },
            1,
            "not-in-force",
            "`x/y.pricebook` (acme 1) is in force from 2026-01-01, not on 2025-01-01",
            Some(
                "use a date on or after 2026-01-01, or give the vendor's directory to pick the version in force on 2025-01-01",
            ),
        );
        check(
            OpenError::FileUnreadable {
                path: p.clone(),
                io: io(),
            },
            1,
            "io-error",
            "cannot read `x/y.pricebook`: no such file or directory",
            None,
        );
        check(
            OpenError::NotUtf8 {
                path: p.clone(),
                offset: 7,
            },
            1,
            "io-error",
            "`x/y.pricebook` is not valid UTF-8 (invalid byte at offset 7); save it as UTF-8",
            None,
        );
        check(
            OpenError::TableInvalid {
                path: "t.json".into(),
                error: crate::table::LoadError::Json("eof".into()),
            },
            1,
            "table-invalid",
            "`t.json`: the table is not valid rating-table JSON: eof",
            Some("recompile the table with `pricebook compile`"),
        );
        check(
            OpenError::ContractUnreadable(Box::new(OpenError::FileUnreadable {
                path: "c.pricebook".into(),
                io: io(),
            })),
            2,
            "command-line",
            "cannot read `c.pricebook`: no such file or directory",
            None,
        );
        assert_eq!(
            read_book(&p),
            Err("cannot read `x/y.pricebook`: no such file or directory".to_string())
        );
    }

    #[test]
    fn a_book_with_errors_is_reported_with_its_diagnostics() {
        let text = "pricebook acme version \"1\" effective 2026-01-01 currency USD\nproduct \"R\" as r { measure time  rate 2 gold / second }\n";
        let Err(e) = crate::pipeline::compile_file(text, "b.pricebook") else {
            panic!("the book has errors");
        };
        let expected = CliError::book_errors(&SourceFile::new("b.pricebook", text), &e.diagnostics);
        let got = CliError::from(OpenError::BookHasErrors {
            file: "b.pricebook".into(),
            text: text.into(),
            diagnostics: e.diagnostics,
        });
        assert_eq!(got.to_json(), expected.to_json());
        assert_eq!(got.status, 1);
    }

    #[test]
    fn a_contract_that_does_not_apply_is_reported_as_before() {
        let err = load_with_contract(
            Path::new("pricebooks/heygen/enterprise.pricebook"),
            None,
            Some(Path::new("pricebooks/hedra/2026-06.pricebook")),
            &load::ListChoice::default(),
        )
        .expect_err("the contract does not apply");
        assert_eq!(err.code, "book-has-errors");
        assert_eq!(err.help.as_deref(), Some("fix the errors above"));
        assert!(err.message.starts_with(
            "the contract `pricebooks/hedra/2026-06.pricebook` does not apply to `pricebooks/heygen/enterprise.pricebook`: "
        ));
        assert!(!err.diagnostics.is_empty());
    }
}
