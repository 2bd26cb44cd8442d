//! `pricebook compile --target sql`: a book, or a directory of one price list's versions, as a
//! SQL script for a warehouse ([`crate::sql`]).

use super::report::CliError;
use std::io::Write;
use std::path::Path;

/// What `compile` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CompileTarget {
    /// The rating table, as JSON.
    Table,
    /// A SQL script that rates a `usage` table.
    Sql,
    /// The rating table in its binary form (`-o table.pbt`): the same table, loaded without
    /// parsing JSON (docs/tables.md).
    Binary,
}

pub(super) fn run_compile_sql(
    source: &Path,
    dialect: Option<crate::sql::Dialect>,
    skip_refused: bool,
    output: Option<&Path>,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let dialect = dialect.ok_or_else(|| {
        CliError::usage(
            "`--target sql` needs `--dialect duckdb|spark|postgres|clickhouse|bigquery`",
        )
    })?;
    let tables = if source.is_dir() {
        let versions = crate::load::versions(source)?;
        let lists = crate::load::lists(&versions);
        if lists.len() > 1 {
            return Err(CliError::input_code(
                "sql-books",
                format!(
                    "`{}` holds several price lists ({}); one script prices one list",
                    source.display(),
                    lists.join(", ")
                ),
            )
            .help("compile one list's book, or a directory of one list's versions"));
        }
        versions
            .iter()
            .map(|v| Ok(crate::load::open_file(&v.path)?.table))
            .collect::<Result<Vec<_>, CliError>>()?
    } else {
        vec![super::load::load_file(source)?.table]
    };
    let refusal = |e: crate::sql::SqlError| {
        let help = match &e.product {
            Some(p) => format!(
                "`--skip-refused` rejects the rows of `{p}` and prices the rest; `pricebook rate` prices them all (docs/sql.md lists what SQL refuses)"
            ),
            None => "see docs/sql.md".to_string(),
        };
        CliError::input_code(e.code, e.message).help(help)
    };
    let script = if skip_refused {
        let compiled = crate::sql::compile_sql_skipping(&tables, dialect).map_err(refusal)?;
        for (version, e) in &compiled.refused {
            eprintln!(
                "warning: version {version}: rows of `{}` are rejected: {e}",
                e.product.as_deref().unwrap_or("")
            );
        }
        compiled.script
    } else {
        crate::sql::compile_sql(&tables, dialect).map_err(refusal)?
    };
    match output {
        Some(path) => {
            std::fs::write(path, &script).map_err(|e| CliError::unwritable(path, &e))?;
            eprintln!(
                "compiled `{}` to {} SQL in `{}`",
                source.display(),
                dialect.name(),
                path.display()
            );
        }
        None => out.write_all(script.as_bytes())?,
    }
    Ok(0)
}
