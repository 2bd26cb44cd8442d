//! Usage files: the readers behind `pricebook bill`, `diff --usage` and `rate`, for services
//! that read the same files without the command line.
//!
//! A usage file is JSON Lines (one object per line) or CSV with a header row; the first
//! non-blank line tells which. Fields are read as written ([`csv`], [`json`]), then resolved
//! against a [`RatingTable`](crate::table::RatingTable): names to ids, quantities to base units,
//! dimension values to a rate cell. A line that cannot be read or resolved comes back as a bad
//! line with its number and reason; every other line is kept, so one mistake never hides the
//! rest of a file.
//!
//! ```
//! use pricebook::usage::{read_events, resolve_events};
//! let table = pricebook::pipeline::compile_source(r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 2 credit / second }
//! plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
//! "#).expect("a clean book");
//! let file = "time,product,quantity\n2026-01-05T10:00:00Z,render,2 minute\n2026-01-06T10:00:00Z,paint,1\n";
//! let (timed, bad) = read_events(file);
//! assert!(bad.is_empty());
//! let (events, unresolved) = resolve_events(&table, &timed);
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].line, 2);
//! assert_eq!(unresolved[0].line, 3); // no product `paint`
//! ```

mod events;
mod lines;
mod plain;
mod wallet;

/// CSV lines (shared with the batch rater, so it lives with the base vocabulary).
pub use crate::base::csv;
/// JSON Lines fields.
pub use crate::base::usage_json as json;
pub use events::{
    EventFields, EventReader, PlainColumns, TimedEvent, read_events, resolve_events,
    resolve_events_with_attrs, resolve_in_versions,
};
pub use lines::read_lines;
pub use plain::{PlainEvent, ReadUsage};
pub use wallet::read_wallet;
