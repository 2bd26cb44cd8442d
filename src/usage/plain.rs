//! Usage lines that only use a product, read without copying: an invoice run reads millions of
//! them, and a [`TimedEvent`] per line (every field its own `String`, the struct moved through
//! each step) was a quarter of the run. A [`PlainEvent`] borrows its fields from the line and
//! reads, resolves and bills exactly as the [`TimedEvent`] of the same line.

use super::events::{Resolver, TimedEvent, resolve_events_with_attrs};
use super::{EventFields, EventReader};
use crate::base::date::Instant;
use crate::bill::{RejectedEvent, UsageEvent};
use crate::table::{EventAttr, RatingTable};
use std::borrow::Cow;

/// A line of a file whose columns say only a product's use ([`EventReader::is_plain`]): its
/// time read, its names and quantity as written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlainEvent<'l> {
    /// Line number in the file, from 1.
    pub line: u64,
    pub time: Instant,
    pub product: Cow<'l, str>,
    pub quantity: Cow<'l, str>,
    /// The `unit` column (empty when the file has none or the line leaves it empty).
    pub unit: Cow<'l, str>,
}

impl From<TimedEvent> for PlainEvent<'_> {
    fn from(e: TimedEvent) -> Self {
        PlainEvent {
            line: e.line,
            time: e.time,
            product: Cow::Owned(e.fields.product),
            quantity: Cow::Owned(e.fields.quantity),
            unit: Cow::Owned(e.fields.unit),
        }
    }
}

impl<'l> PlainEvent<'l> {
    /// Line `line` at `time`, its (product, quantity, unit) as written, trimmed.
    pub fn borrowed(line: u64, time: Instant, [product, quantity, unit]: [&'l str; 3]) -> Self {
        PlainEvent {
            line,
            time,
            product: Cow::Borrowed(product),
            quantity: Cow::Borrowed(quantity),
            unit: Cow::Borrowed(unit),
        }
    }

    /// The same line as the general reader gives it.
    pub fn to_timed(&self) -> TimedEvent {
        TimedEvent {
            line: self.line,
            time: self.time,
            fields: EventFields {
                product: self.product.to_string(),
                quantity: self.quantity.to_string(),
                unit: self.unit.to_string(),
                ..EventFields::default()
            },
        }
    }
}

/// A usage file's lines read for a bill: in general, or plain ([`PlainEvent`]) when the file's
/// columns allow it.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadUsage<'l> {
    Timed(Vec<TimedEvent>),
    Plain(Vec<PlainEvent<'l>>),
}

impl<'l> ReadUsage<'l> {
    /// Reads `lines` ((number, text) of non-blank lines after a CSV header) with `reader`:
    /// the events, and the bad lines with their reasons.
    pub fn read(
        reader: &EventReader,
        lines: impl ExactSizeIterator<Item = (u64, &'l str)>,
    ) -> (ReadUsage<'l>, Vec<RejectedEvent>) {
        let mut bad = Vec::new();
        if reader.is_plain() {
            let mut events = Vec::with_capacity(lines.len());
            for (n, text) in lines {
                match reader.read_plain(n, text) {
                    Some(Ok(e)) => events.push(e),
                    Some(Err(b)) => bad.push(b),
                    None => {}
                }
            }
            return (ReadUsage::Plain(events), bad);
        }
        let mut events = Vec::with_capacity(lines.len());
        for (n, text) in lines {
            match reader.read(n, text) {
                Ok(e) => events.push(e),
                Err(b) => bad.push(b),
            }
        }
        (ReadUsage::Timed(events), bad)
    }

    /// The earliest event's time.
    pub fn first_time(&self) -> Option<Instant> {
        match self {
            ReadUsage::Timed(events) => events.iter().map(|e| e.time).min(),
            ReadUsage::Plain(events) => events.iter().map(|e| e.time).min(),
        }
    }

    /// The events for price list `list` (or naming none), and those for another list.
    pub fn split_lists(self, list: &str) -> (ReadUsage<'l>, Vec<TimedEvent>) {
        match self {
            ReadUsage::Timed(events) => {
                // Most files name no list: nothing to move then.
                let mine = |e: &TimedEvent| {
                    e.fields.list.is_empty() || crate::base::names::same_key(&e.fields.list, list)
                };
                if events.iter().all(mine) {
                    return (ReadUsage::Timed(events), Vec::new());
                }
                let (here, elsewhere) = events.into_iter().partition(mine);
                (ReadUsage::Timed(here), elsewhere)
            }
            // A plain file has no `list` column.
            plain @ ReadUsage::Plain(_) => (plain, Vec::new()),
        }
    }

    /// The events as the general reader gives them.
    pub fn timed(&self) -> Cow<'_, [TimedEvent]> {
        match self {
            ReadUsage::Timed(events) => Cow::Borrowed(events),
            ReadUsage::Plain(events) => Cow::Owned(events.iter().map(|e| e.to_timed()).collect()),
        }
    }

    /// [`resolve_events_with_attrs`] of these events.
    pub fn resolve(
        &self,
        table: &RatingTable,
    ) -> (Vec<UsageEvent>, Vec<Vec<EventAttr>>, Vec<RejectedEvent>) {
        let events = match self {
            ReadUsage::Timed(events) => return resolve_events_with_attrs(table, events),
            ReadUsage::Plain(events) => events,
        };
        let mut out = Vec::with_capacity(events.len());
        let mut bad = Vec::new();
        let mut names = Resolver::default();
        for e in events {
            match names.product_use(table, &e.product, &e.quantity, &e.unit, &[]) {
                Ok(usage) => out.push(UsageEvent {
                    line: e.line,
                    time: e.time,
                    usage,
                }),
                Err(reason) => bad.push(super::events::bad_line(e.line, reason)),
            }
        }
        // A plain line carries no attribute.
        let attrs = out.iter().map(|_| Vec::new()).collect();
        (out, attrs, bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{read_events, resolve_events_with_attrs};

    /// Every kind of line a plain file can hold reads, resolves and fails as the general
    /// reader's: the same events, the same bad lines with the same reasons.
    #[test]
    fn plain_lines_read_as_the_general_reader_reads_them() {
        let opened = crate::load::open("pricebooks/hedra/2026-06.pricebook".as_ref(), None)
            .expect("the bundled book opens");
        let table = &opened.table;
        let file = "Time,Product,Quantity,Unit,Plan\r\n\
            2026-07-01T10:00:00Z,hedra-avatar,90,second,x\r\n\
            2026-07-01T10:00:00Z,hedra-avatar,90 second,,x\r\n\
            2026-07-01T10:00:00Z,hedra-avatar,90 second,minute,x\r\n\
            2026-07-01T10:00:00Z,hedra-avatar,2,minute,x\r\n\
            \u{a0}2026-07-01T10:00:00Z , Hedra-Avatar ,3 , ,x\r\n\
            \"2026-07-01T10:00:00Z\",\"hedra-avatar\",\"1,000\",second,x\r\n\
            2026-07-01T10:00:00Z,hedra-avatar,-1,,x\r\n\
            2026-07-01T10:00:00Z,hedra-avatar,,,x\r\n\
            2026-07-01T10:00:00Z,,4,,x\r\n\
            2026-07-01T10:00:00Z,nothing,4,,x\r\n\
            2026-07-01T10:00:00Z,hedra-avatar,4,furlong,x\r\n\
            2026-07-01T10:00:00Z,hedra-avatar,4\r\n\
            soon,hedra-avatar,4,,x\r\n\
            ,hedra-avatar,4,,x\r\n\
            2026-07-01T10:00:00Z,hedra-avatar,99999999999999999999999999999,hour,x\r\n";
        let (timed, timed_bad) = read_events(file);
        let mut lines = file.lines().enumerate().map(|(i, l)| (i as u64 + 1, l));
        let header = lines.next().map_or("", |(_, l)| l);
        let reader = EventReader::for_first_line(header);
        assert!(reader.is_plain());
        let rest: Vec<(u64, &str)> = lines.collect();
        let (plain, plain_bad) = ReadUsage::read(&reader, rest.into_iter());
        assert!(matches!(plain, ReadUsage::Plain(_)));
        assert_eq!(plain_bad, timed_bad);
        assert_eq!(plain.timed().as_ref(), timed.as_slice());
        let general = resolve_events_with_attrs(table, &timed);
        assert_eq!(plain.resolve(table), general);
        // The file's lines: three bad at reading, the rest read; some of those resolve.
        assert_eq!(timed_bad.len(), 3);
        assert!(general.0.len() >= 5 && general.2.len() >= 5, "{general:?}");
    }

    /// A file with any other column is not plain.
    #[test]
    fn other_columns_make_a_file_general() {
        for header in [
            "time,product,quantity,buy",
            "time,product,quantity,resolution",
        ] {
            assert!(!EventReader::for_first_line(header).is_plain(), "{header}");
        }
        assert!(EventReader::for_first_line("time,account,product,quantity").is_plain());
        assert!(!EventReader::for_first_line("{\"time\": 1}").is_plain());
    }
}
