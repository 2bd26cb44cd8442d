//! Mistakes in a question asked of a book: a plan, product, unit or dimension value that the
//! book does not have, or a quantity in the wrong dimension. The same constructors serve the
//! command line, usage files, services and the books' own worked examples, so one mistake has
//! one code and one message wherever it is made; a book's checker adds the position.

use super::{Code, Diagnostic};
use crate::base::names::{NameError, did_you_mean, quoted_list};

impl Diagnostic {
    /// A name that names nothing (or several things).
    pub fn unknown_name(e: &NameError) -> Diagnostic {
        Diagnostic::new(Code::UnknownReference, e.message()).help(e.help())
    }

    /// Dimension values given for a product that is not priced by any.
    pub fn no_dimensions(product: &str, given: &str) -> Diagnostic {
        Diagnostic::new(
            Code::UnknownDimensionValue,
            format!("`{product}` is not priced by any dimension, but `{given}` was given"),
        )
        .help("leave the dimension value out")
    }

    /// `dimension=value` naming a dimension the product is not priced by.
    pub fn not_priced_by(product: &str, dimension: &str, dims: &[String]) -> Diagnostic {
        Diagnostic::new(
            Code::UnknownReference,
            format!("`{product}` is not priced by dimension `{dimension}`"),
        )
        .help(format!(
            "`{product}` is priced by {}",
            quoted_list(dims, "and")
        ))
    }

    /// A value that no dimension of the product has. `dims` pairs each dimension searched with
    /// its values.
    pub fn unknown_dimension_value(
        product: &str,
        value: &str,
        dims: &[(&str, &[String])],
    ) -> Diagnostic {
        let listed = dims
            .iter()
            .map(|(d, vs)| format!("`{d}` has {}", vs.join(", ")))
            .collect::<Vec<_>>()
            .join("; ");
        let all = dims
            .iter()
            .flat_map(|(_, vs)| vs.iter().map(String::as_str));
        let help = match did_you_mean(value, all) {
            Some(s) => format!("did you mean `{s}`? {listed}"),
            None => listed,
        };
        Diagnostic::new(
            Code::UnknownDimensionValue,
            format!("`{value}` is not a value `{product}` is priced by"),
        )
        .help(help)
    }

    /// A bare value that belongs to several of the product's dimensions.
    pub fn ambiguous_dimension_value(value: &str, dims: &[String]) -> Diagnostic {
        Diagnostic::new(
            Code::UnknownDimensionValue,
            format!("`{value}` is a value of {}", quoted_list(dims, "and")),
        )
        .help(format!(
            "name the dimension: `{}={value}`",
            dims.first().map_or("dimension", String::as_str)
        ))
    }

    /// Two values for one dimension.
    pub fn dimension_given_twice(dimension: &str) -> Diagnostic {
        Diagnostic::new(
            Code::ConflictingStatement,
            format!("dimension `{dimension}` is given twice"),
        )
        .help("give one value per dimension")
    }

    /// No value for a dimension the product is priced by.
    pub fn dimension_value_missing(
        product: &str,
        dimension: &str,
        values: &[String],
    ) -> Diagnostic {
        Diagnostic::new(
            Code::MissingStatement,
            format!("`{product}` is priced by `{dimension}`, and no value of it is given"),
        )
        .help(format!("give one of {}", values.join(", ")))
    }

    /// A quantity in a unit of another dimension than the product's.
    pub fn unit_of_other_dimension(
        unit: &str,
        unit_dimension: &str,
        product: &str,
        measure: &str,
    ) -> Diagnostic {
        Diagnostic::new(
            Code::UnitMismatch,
            format!("`{unit}` measures {unit_dimension}, but `{product}` is measured in {measure}"),
        )
        .help(format!("give the quantity in a unit of {measure}"))
    }

    /// A quantity too large to convert to base units exactly.
    pub fn quantity_too_large(value: &str, unit: &str) -> Diagnostic {
        Diagnostic::new(
            Code::NumberRange,
            format!("{value} {unit} is too large for exact decimal arithmetic"),
        )
        .help("give a smaller quantity, or split it")
    }

    /// A book that checked clean but did not compile: pricebook's bug, not the book's.
    pub fn compile_failed(reason: impl std::fmt::Display) -> Diagnostic {
        Diagnostic::new(
            Code::Internal,
            format!("the book checked clean but did not compile: {reason}"),
        )
        .help("this is a bug in pricebook; please report it with the book")
    }
}
