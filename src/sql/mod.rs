//! The rating table compiled to SQL: one script that prices a warehouse's `usage` table with the
//! answers of `pricebook rate`, in DuckDB, Spark, Postgres, ClickHouse or BigQuery.
//!
//! The script creates the compiled table as rows (`pricebook_rates`: one row per plan, product
//! and rate cell, every figure an exact integer), the relations that resolve a usage row's
//! names (`pricebook_versions`, `pricebook_names`, `pricebook_products`, `pricebook_units`,
//! `pricebook_dimension_values`), and two views: `rated_usage` (each usage row priced, or the
//! reason it is not) and `account_totals` (what `pricebook rate --by account` prints). The SQL
//! text is the same for every book of a dialect; the book is in the rows, so a reviewer reads
//! one pricing expression, not one per product.
//!
//! ```
//! use pricebook::sql::{Dialect, compile_sql};
//! let table = pricebook::compile_source(r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 2 credit / second  round up to 1 second }
//! plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
//! "#).unwrap();
//! let script = compile_sql(&[table], Dialect::Duckdb).unwrap();
//! assert!(script.contains("CREATE OR REPLACE VIEW account_totals"));
//! ```
//!
//! Layering: a table user. It reads compiled [`RatingTable`]s and the base vocabulary only.

mod dialect;
mod exact;
mod pricing;
mod rates;
mod script;

pub use dialect::Dialect;

use crate::table::RatingTable;

/// Why a table cannot be compiled to SQL with exact answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// `sql-unrepresentable` (a figure needs more than 38 digits), `sql-unsupported` (a
    /// pricing shape the compiler does not express yet) or `sql-books` (the books given
    /// cannot form one script).
    pub code: &'static str,
    /// The product the refusal is about, when it is about one.
    pub product: Option<String>,
    pub message: String,
}

impl SqlError {
    fn new(code: &'static str, product: Option<&str>, message: impl Into<String>) -> SqlError {
        SqlError {
            code,
            product: product.map(str::to_string),
            message: message.into(),
        }
    }

    pub(crate) fn unrepresentable(product: &str, message: impl Into<String>) -> SqlError {
        SqlError::new("sql-unrepresentable", Some(product), message)
    }

    pub(crate) fn unsupported(product: &str, message: impl Into<String>) -> SqlError {
        SqlError::new("sql-unsupported", Some(product), message)
    }

    pub(crate) fn books(message: impl Into<String>) -> SqlError {
        SqlError::new("sql-books", None, message)
    }
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqlError {}

/// Compiles the versions of one price list (oldest first; one table for a single book) to a
/// SQL script for `dialect`. With several versions each usage row is priced by the version in
/// force on the day of its `time`; a single book prices every row. A product the script cannot
/// price exactly is an error ([`compile_sql_skipping`] prices the rest).
pub fn compile_sql(versions: &[RatingTable], dialect: Dialect) -> Result<String, SqlError> {
    let plan = rates::plan(versions, false)?;
    Ok(script::script(&plan, dialect))
}

/// A script and the products it leaves unpriced.
#[derive(Debug, Clone)]
pub struct SqlScript {
    pub script: String,
    /// (version label, refusal) of each product whose rows the script rejects (listed in its
    /// relation `pricebook_refused`).
    pub refused: Vec<(String, SqlError)>,
}

/// [`compile_sql`], pricing every product it can: the rows of a product it refuses are rejected
/// with the refusal as their reason, so no row is ever given a wrong charge.
pub fn compile_sql_skipping(
    versions: &[RatingTable],
    dialect: Dialect,
) -> Result<SqlScript, SqlError> {
    let plan = rates::plan(versions, true)?;
    Ok(SqlScript {
        script: script::script(&plan, dialect),
        refused: plan.refused.clone(),
    })
}
