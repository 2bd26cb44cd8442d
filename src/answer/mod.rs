//! Answers to the questions services ask of served books: a quote, a capacity, a bill, the
//! totals of a usage export. One function per question, each taking a question as data
//! (deserializable from JSON) and giving an answer as data (serializable to JSON), so that the
//! command line (`pricebook quote --format json`, ...), the HTTP service (`pricebook serve`) and
//! the language bindings give the same answer to the same question, byte for byte.
//!
//! | Question | Function | Command |
//! |---|---|---|
//! | what a usage costs | [`quote()`] ([`QuoteQuestion`] -> [`QuoteAnswer`]) | `pricebook quote` |
//! | what a plan's grant buys | [`capacity()`] ([`CapacityQuestion`] -> [`CapacityAnswer`]) | `pricebook capacity` |
//! | what an account's usage bills | [`bill()`] ([`BillQuestion`] -> [`BillAnswer`]) | `pricebook bill` |
//! | what a usage export totals | [`rate()`] (CSV or JSON Lines -> [`RateAnswer`]) | `pricebook rate` |
//! | what every account of a usage file bills | [`invoice_run()`] ([`InvoiceRun`] -> [`RunReport`], files) | `pricebook bill --accounts` |
//!
//! Each function answers with one opened book ([`Opened`](crate::load::Opened)); [`Books`] is a
//! set of served books (books, vendors' directories of versions, directories of vendors'
//! directories, compiled tables) that picks the book a question names, in force on its date,
//! and answers with it.
//!
//! ```
//! use pricebook::answer::{Books, QuoteQuestion};
//!
//! let books = Books::open(&["pricebooks".into()]).expect("the bundled books");
//! let question: QuoteQuestion = serde_json::from_str(r#"{
//!     "book": "hedra", "plan": "creator", "product": "Hedra Avatar", "quantity": "90 second"
//! }"#).expect("a question");
//! let answer = books.quote(&question).expect("an answer");
//! assert!(!answer.is_rejected());
//! assert_eq!(answer.charge.as_ref().map(|c| c.amount.as_str()), Some("630"));
//! // The JSON is what `pricebook quote --format json` prints.
//! let json = serde_json::to_value(&answer).expect("JSON");
//! assert_eq!(json["money"]["amount"], "3.50");
//! assert_eq!(json["source"], "pricebooks/hedra/2026-06.pricebook");
//! ```
//!
//! A question that cannot be answered is an [`AnswerError`]: a stable [`code`](AnswerError::code)
//! (the codes `pricebook ... --format json` prints in `{"error": {...}}`), a message and a help
//! line, and an [`ErrorKind`] that says whose mistake it is. A usage the book refuses (over a
//! limit, a product the plan does not sell) is not an error: it is an answer, with its
//! rejection ([`QuoteAnswer::is_rejected`]).

mod bill;
mod bill_lists;
mod books;
mod capacity;
mod error;
mod invoice_run;
mod question;
mod quote;
mod rate;

pub use bill::{BillAnswer, BillQuestion, BillTotal, UsageInput, WalletInput, bill, bill_versions};
pub use bill_lists::{ListsBillAnswer, Subscription, bill_lists};
pub use books::{Book, BookKey, BookStatus, Books, Reload, ReloadOutcome};
pub use capacity::{CapacityAnswer, CapacityQuantity, CapacityQuestion, capacity};
pub use error::{AnswerError, ErrorBody, ErrorDetail, ErrorKind, parse_date};
pub use invoice_run::{
    Account, AccountSummary, InvoiceRun, RunReport, UnassignedLine, account_file_name, invoice_run,
    parse_accounts, read_accounts,
};
pub use question::{Attr, Dim};
pub use quote::{
    Charge, ExplainLine, Money, QuantityAsked, QuoteAnswer, QuoteQuestion, QuoteRejection, quote,
};
pub use rate::{
    LineReason, RateAnswer, RateTotal, RatedExport, rate, rate_lists, rate_lists_export, rate_usage,
};
