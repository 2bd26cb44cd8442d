//! The binary form of a table (`pricebook compile --target binary`): the same table as the
//! JSON file, laid out to be read without parsing text.
//!
//! A file is a 56-byte header, then the payload ([`wire`](super::wire) says its layout):
//!
//! | bytes | what |
//! |---|---|
//! | 0-7 | the magic `\x89PBT\r\n\x1a\n` (not text, so no JSON table or book starts so) |
//! | 8-11 | the layout version, [`BINARY_VERSION`] (little-endian `u32`) |
//! | 12-15 | the table's schema version, as its JSON would say |
//! | 16-23 | the payload's length in bytes (little-endian `u64`) |
//! | 24-55 | SHA-256 of the payload |
//!
//! The payload's SHA-256 is checked before a byte of it is decoded, so a file truncated or
//! changed anywhere is refused as such. The table's own `checksum` (of its JSON) is carried as
//! written, not taken again: the JSON that would give it is never built, which is the point.

use super::load::{LoadError, hex};
use super::wire::{Reader, Wire};
use super::{RatingTable, SCHEMA_VERSION};
use sha2::{Digest, Sha256};

/// The first bytes of every binary table.
pub const BINARY_MAGIC: [u8; 8] = *b"\x89PBT\r\n\x1a\n";

/// The payload's layout. It changes whenever a table type gains or loses a field; a build reads
/// only its own (a binary table is compiled from the book or the JSON table again, not kept).
pub const BINARY_VERSION: u32 = 2;

const HEADER: usize = 56;

/// Whether `bytes` start as a binary table does (whatever follows).
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.starts_with(&BINARY_MAGIC)
}

impl RatingTable {
    /// The table in its binary form ([module docs](self)); [`from_binary`](Self::from_binary)
    /// reads it back equal, field for field and decimal for decimal.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut payload = Vec::with_capacity(1 << 16);
        self.put(&mut payload);
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(&BINARY_MAGIC);
        out.extend_from_slice(&BINARY_VERSION.to_le_bytes());
        out.extend_from_slice(&self.schema_version.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&payload));
        out.extend_from_slice(&payload);
        out
    }

    /// Loads a binary table, refusing another layout version, a schema this build does not
    /// read, a file truncated or changed (its SHA-256), a payload that does not decode, and ids
    /// that point nowhere (the validation a JSON table gets).
    pub fn from_binary(bytes: &[u8]) -> Result<RatingTable, LoadError> {
        let binary = |m: String| Err(LoadError::Binary(m));
        if !is_binary(bytes) {
            return binary("it does not start with a binary table's magic bytes".into());
        }
        let Some(header) = bytes.get(..HEADER) else {
            return binary(format!(
                "it ends in its header, at byte {} of {HEADER}",
                bytes.len()
            ));
        };
        let word = |at: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&header[at..at + 4]);
            u32::from_le_bytes(b)
        };
        let layout = word(8);
        if layout != BINARY_VERSION {
            return Err(LoadError::BinaryVersion {
                found: layout,
                expected: BINARY_VERSION,
            });
        }
        let schema = word(12);
        if !super::load::reads_schema(schema) {
            return Err(LoadError::Schema {
                found: schema,
                expected: SCHEMA_VERSION,
            });
        }
        let mut length = [0u8; 8];
        length.copy_from_slice(&header[16..24]);
        let length = u64::from_le_bytes(length);
        let payload = &bytes[HEADER..];
        if payload.len() as u64 != length {
            return binary(format!(
                "its header says {length} bytes of table follow, but {} do (truncated, or joined to something)",
                payload.len()
            ));
        }
        let stored = hex(&header[24..HEADER]);
        let computed = hex(&Sha256::digest(payload));
        if stored != computed {
            return Err(LoadError::Checksum { stored, computed });
        }
        let mut r = Reader::new(payload);
        let table = RatingTable::take(&mut r).map_err(|e| {
            LoadError::Binary(format!(
                "at byte {} of the table: {}",
                HEADER + e.at,
                e.what
            ))
        })?;
        if r.left() != 0 {
            return binary(format!(
                "{} bytes follow the table's end at byte {}",
                r.left(),
                HEADER + r.at()
            ));
        }
        if table.schema_version != schema {
            return binary(format!(
                "its header says schema {schema}, its table {}",
                table.schema_version
            ));
        }
        table.validate()?;
        Ok(table)
    }

    /// Loads a table file's bytes in either form: binary when they start with
    /// [`BINARY_MAGIC`], JSON otherwise.
    pub fn from_bytes(bytes: &[u8]) -> Result<RatingTable, LoadError> {
        if is_binary(bytes) {
            return RatingTable::from_binary(bytes);
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            LoadError::Json(format!("the file is not UTF-8 (byte {})", e.valid_up_to()))
        })?;
        RatingTable::from_json(text)
    }
}
