//! The binary table's payload: every field of the table, in declaration order, as plain bytes.
//!
//! An integer (`u32`: an id, a line, a count, a length) is a LEB128 varint: seven bits a byte,
//! lowest first, the top bit set on every byte but the last (most take one or two bytes). A
//! `bool` is one byte (0 or 1), a string its byte length then its UTF-8, a list its length then
//! its elements, an `Option` a byte (0 absent, 1 present) then the value, an enum a byte naming
//! its variant then the variant's fields, and a plan's availability its length then its flags
//! packed eight to a byte (product 0 in the lowest bit, unused bits zero). A decimal is one byte
//! of sign (top bit) and scale (low five bits, at most 28), then its 96-bit integer mantissa as
//! a varint: `1.50` is sign 0, scale 2, mantissa 150, so its spelling is kept, in three bytes
//! rather than the sixteen of [`Decimal::serialize`]. The payload of the 10,000-product table is
//! a third of what fixed-width fields made it, which is as much less to read and hash.
//!
//! Reading never trusts the bytes: every length is checked against what is left before
//! anything is allocated for it, every tag and flag byte has one meaning, every varint and so
//! every value one encoding (the shortest), and each failure is an error naming the offset,
//! never a panic.
//!
//! Structs are written and read by [`wire_struct!`], which names every field both ways (a
//! field added to a table type and not here fails to compile, rather than being left out).

use super::*;
use crate::base::interval::{Edge, Interval};
use crate::model::{
    FeeAmountDef, FirstPeriodRule, MoveRule, PeriodRule, PlanChangeRule, SubscriptionRules,
};

/// What is wrong with a payload, and where.
#[derive(Debug)]
pub(super) struct WireError {
    pub(super) at: usize,
    pub(super) what: String,
}

/// The payload being read, and how far.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub(super) fn at(&self) -> usize {
        self.at
    }

    pub(super) fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    pub(super) fn error<T>(&self, what: impl Into<String>) -> Result<T, WireError> {
        Err(WireError {
            at: self.at,
            what: what.into(),
        })
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        match self.bytes.get(self.at..self.at.saturating_add(n)) {
            Some(b) => {
                self.at += n;
                Ok(b)
            }
            None => self.error(format!("it ends {} bytes early", n - self.left())),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }

    /// A list's length, which cannot exceed the bytes left when each element takes at least
    /// `per_element` (so a forged length cannot make the reader allocate more than the file).
    /// A LEB128 varint of at most `bits` bits, in its shortest form.
    fn varint(&mut self, bits: u32) -> Result<u128, WireError> {
        let start = self.at;
        let mut value = 0u128;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            let low = u128::from(b & 0x7f);
            // What this byte adds must fit in the bits left.
            if shift >= bits || (bits - shift < 7 && low >> (bits - shift) != 0) {
                return Err(WireError {
                    at: start,
                    what: format!("a number does not fit {bits} bits"),
                });
            }
            value |= low << shift;
            shift += 7;
            if b & 0x80 == 0 {
                // The shortest form: no last byte of zero after the first.
                if b == 0 && shift > 7 {
                    return Err(WireError {
                        at: start,
                        what: "a number is not in its shortest form".into(),
                    });
                }
                return Ok(value);
            }
        }
    }

    fn count(&mut self, per_element: usize) -> Result<usize, WireError> {
        let n = u32::take(self)? as usize;
        if n.saturating_mul(per_element) > self.left() {
            return self.error(format!(
                "a length of {n} is more than the {} bytes left hold",
                self.left()
            ));
        }
        Ok(n)
    }
}

/// A value as payload bytes.
pub(super) trait Wire: Sized {
    fn put(&self, w: &mut Vec<u8>);
    fn take(r: &mut Reader<'_>) -> Result<Self, WireError>;
}

/// `v` as a LEB128 varint.
fn put_varint(mut v: u128, w: &mut Vec<u8>) {
    while v >= 0x80 {
        w.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    w.push(v as u8);
}

impl Wire for u32 {
    fn put(&self, w: &mut Vec<u8>) {
        put_varint(u128::from(*self), w);
    }
    #[inline]
    fn take(r: &mut Reader<'_>) -> Result<u32, WireError> {
        // Most are one byte (ids, small counts).
        if let Some(&b) = r.bytes.get(r.at) {
            if b < 0x80 {
                r.at += 1;
                return Ok(u32::from(b));
            }
        }
        Ok(r.varint(32)? as u32)
    }
}

impl Wire for bool {
    fn put(&self, w: &mut Vec<u8>) {
        w.push(u8::from(*self));
    }
    fn take(r: &mut Reader<'_>) -> Result<bool, WireError> {
        match r.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => r.error(format!("a flag is {b}, not 0 or 1")),
        }
    }
}

/// A `u32` length, as every list and string starts.
fn put_len(n: usize, w: &mut Vec<u8>) {
    // Tables hold far fewer than 4 G of anything; a longer list would not load from JSON either.
    u32::try_from(n).unwrap_or(u32::MAX).put(w);
}

impl Wire for String {
    fn put(&self, w: &mut Vec<u8>) {
        put_len(self.len(), w);
        w.extend_from_slice(self.as_bytes());
    }
    fn take(r: &mut Reader<'_>) -> Result<String, WireError> {
        let n = r.count(1)?;
        let start = r.at();
        let bytes = r.bytes(n)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(WireError {
                at: start,
                what: "a string is not UTF-8".into(),
            }),
        }
    }
}

impl Wire for Decimal {
    fn put(&self, w: &mut Vec<u8>) {
        // `serialize`: flags (scale in bits 16-23, sign in bit 31), then lo, mid, hi.
        let b = self.serialize();
        w.push((b[3] & 0x80) | b[2]);
        let mut mantissa = [0u8; 16];
        mantissa[..12].copy_from_slice(&b[4..16]);
        put_varint(u128::from_le_bytes(mantissa), w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Decimal, WireError> {
        let head = r.byte()?;
        let scale = head & 0x7f;
        if scale > 28 {
            return r.error(format!("a decimal has scale {scale}, more than 28"));
        }
        let mantissa = r.varint(96)?.to_le_bytes();
        // Built through `deserialize`, which keeps the sign of a zero as written.
        let mut b = [0u8; 16];
        b[2] = scale;
        b[3] = head & 0x80;
        b[4..16].copy_from_slice(&mantissa[..12]);
        Ok(Decimal::deserialize(b))
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            None => w.push(0),
            Some(v) => {
                w.push(1);
                v.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Option<T>, WireError> {
        Ok(if bool::take(r)? {
            Some(T::take(r)?)
        } else {
            None
        })
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, w: &mut Vec<u8>) {
        put_len(self.len(), w);
        for v in self {
            v.put(w);
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Vec<T>, WireError> {
        // Every value takes at least one byte.
        let n = r.count(1)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(T::take(r)?);
        }
        Ok(out)
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, w: &mut Vec<u8>) {
        self.0.put(w);
        self.1.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<(A, B), WireError> {
        Ok((A::take(r)?, B::take(r)?))
    }
}

impl<A: Wire, B: Wire, C: Wire> Wire for (A, B, C) {
    fn put(&self, w: &mut Vec<u8>) {
        self.0.put(w);
        self.1.put(w);
        self.2.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<(A, B, C), WireError> {
        Ok((A::take(r)?, B::take(r)?, C::take(r)?))
    }
}

/// A plan's availability: its length, then the flags eight to a byte, lowest bit first.
fn put_flags(flags: &[bool], w: &mut Vec<u8>) {
    put_len(flags.len(), w);
    for chunk in flags.chunks(8) {
        w.push(
            chunk
                .iter()
                .enumerate()
                .fold(0u8, |b, (i, f)| b | (u8::from(*f) << i)),
        );
    }
}

fn take_flags(r: &mut Reader<'_>) -> Result<Vec<bool>, WireError> {
    let n = u32::take(r)? as usize;
    let packed = r.bytes(n.div_ceil(8))?;
    const fn spread() -> [[bool; 8]; 256] {
        let mut t = [[false; 8]; 256];
        let mut b = 0;
        while b < 256 {
            let mut i = 0;
            while i < 8 {
                t[b][i] = b & (1 << i) != 0;
                i += 1;
            }
            b += 1;
        }
        t
    }
    // Each byte's eight flags, looked up (a tenth of the time of testing bit by bit).
    const SPREAD: [[bool; 8]; 256] = spread();
    let mut flags = Vec::with_capacity(packed.len() * 8);
    for b in packed {
        flags.extend_from_slice(&SPREAD[usize::from(*b)]);
    }
    if flags.drain(n..).any(|f| f) {
        return r.error("availability sets a flag past its last product");
    }
    Ok(flags)
}

/// Writes and reads a struct's fields in the order listed, which must name them all.
macro_rules! wire_struct {
    ($($t:ident { $($f:ident),* $(,)? })*) => {$(
        impl Wire for $t {
            fn put(&self, w: &mut Vec<u8>) {
                let $t { $($f),* } = self;
                $( $f.put(w); )*
            }
            fn take(r: &mut Reader<'_>) -> Result<$t, WireError> {
                Ok($t { $( $f: Wire::take(r)?, )* })
            }
        }
    )*};
}

wire_struct! {
    UnitEntry { name, dimension, factor, charge_dp, is_money }
    DimensionEntry { name, values }
    RateCell { amount, unit, per, per_unit, per_base, line }
    TierEntry { from, to, rate }
    BoundEntry { base, text, line }
    BillBoundsEntry { raise_quantity, cap_quantity, raise_charge, cap_charge, cap_period }
    RoundingEntry { mode, step, line }
    ProductEntry {
        slug, display, aliases, measure, dims, strides, fills, pricing, charge_unit, rounding,
        min, max, bill, outside_wallet, whole, fees, line,
    }
    FeeEntry { name, amount, every_months, line }
    GrantEntry { amount, contract_set, unit, every_months, every_days, expiry, priority, line }
    LimitEntry { name, op, value, upper, kind, scope, line }
    AllowanceEntry { amount, unit, counts_events, window, scope, beyond, text, line }
    TopUpEntry { unit, minimum, maximum, expiry, line }
    WalletPrice { unit, price, granted }
    CommitEntry { amount, months, included, contract_rate, overage }
    PackEntry { slug, display, price, grants, plans, line }
    RechargeEntry { price, below, refill_to, cap, min_below, min_refill, min_cap, plans, line }
}

impl Wire for Edge<Decimal> {
    fn put(&self, w: &mut Vec<u8>) {
        self.value.put(w);
        self.inclusive.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Edge<Decimal>, WireError> {
        Ok(Edge {
            value: Wire::take(r)?,
            inclusive: Wire::take(r)?,
        })
    }
}

impl Wire for Interval<Decimal> {
    fn put(&self, w: &mut Vec<u8>) {
        self.lo.put(w);
        self.hi.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Interval<Decimal>, WireError> {
        Ok(Interval {
            lo: Wire::take(r)?,
            hi: Wire::take(r)?,
        })
    }
}

/// The variant byte of an enum; `Err` names the enum when it is none of its variants.
fn tag(r: &mut Reader<'_>, variants: u8, what: &str) -> Result<u8, WireError> {
    let at = r.at();
    match r.byte()? {
        t if t < variants => Ok(t),
        t => Err(WireError {
            at,
            what: format!("{what} has kind {t}, which is none of its {variants}"),
        }),
    }
}

/// Enums without fields: one byte, the variant's position.
macro_rules! wire_plain_enum {
    ($($t:ident [$($v:ident),*])*) => {$(
        impl Wire for $t {
            fn put(&self, w: &mut Vec<u8>) {
                const ALL: &[$t] = &[$($t::$v),*];
                let i = ALL.iter().position(|v| v == self).unwrap_or(0);
                w.push(i as u8);
            }
            fn take(r: &mut Reader<'_>) -> Result<$t, WireError> {
                const ALL: &[$t] = &[$($t::$v),*];
                let t = tag(r, ALL.len() as u8, stringify!($t))?;
                Ok(ALL[usize::from(t)])
            }
        }
    )*};
}

wire_plain_enum! {
    TierMode [Graduated, Volume]
    TierScope [Period, Event]
    RoundMode [Up, Down, Nearest]
    PeriodRule [Anniversary, Calendar]
    FirstPeriodRule [Whole, Prorated]
    PlanChangeRule [AtRenewal, AtOnceProrated]
}

wire_struct! {
    SubscriptionRules { periods, first_period, plan_changes }
}

impl Wire for PricingEntry {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            PricingEntry::Cells { cells } => {
                w.push(0);
                cells.put(w);
            }
            PricingEntry::Tiered { mode, scope, tiers } => {
                w.push(1);
                mode.put(w);
                scope.put(w);
                tiers.put(w);
            }
            PricingEntry::Flat {
                amount,
                unit,
                per,
                line,
            } => {
                w.push(2);
                amount.put(w);
                unit.put(w);
                per.put(w);
                line.put(w);
            }
            PricingEntry::Free { line } => {
                w.push(3);
                line.put(w);
            }
            PricingEntry::Unpublished { line } => {
                w.push(4);
                line.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<PricingEntry, WireError> {
        Ok(match tag(r, 5, "a product's pricing")? {
            0 => PricingEntry::Cells {
                cells: Wire::take(r)?,
            },
            1 => PricingEntry::Tiered {
                mode: Wire::take(r)?,
                scope: Wire::take(r)?,
                tiers: Wire::take(r)?,
            },
            2 => PricingEntry::Flat {
                amount: Wire::take(r)?,
                unit: Wire::take(r)?,
                per: Wire::take(r)?,
                line: Wire::take(r)?,
            },
            3 => PricingEntry::Free {
                line: Wire::take(r)?,
            },
            _ => PricingEntry::Unpublished {
                line: Wire::take(r)?,
            },
        })
    }
}

impl Wire for FeeAmountDef {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            FeeAmountDef::Exact(a) => {
                w.push(0);
                a.put(w);
            }
            FeeAmountDef::Between(lo, hi) => {
                w.push(1);
                lo.put(w);
                hi.put(w);
            }
            FeeAmountDef::AtLeast(a) => {
                w.push(2);
                a.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<FeeAmountDef, WireError> {
        Ok(match tag(r, 3, "a fee's amount")? {
            0 => FeeAmountDef::Exact(Wire::take(r)?),
            1 => FeeAmountDef::Between(Wire::take(r)?, Wire::take(r)?),
            _ => FeeAmountDef::AtLeast(Wire::take(r)?),
        })
    }
}

impl Wire for PriceEntry {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            PriceEntry::Custom => w.push(0),
            PriceEntry::Unpublished => w.push(1),
            PriceEntry::Amount { amount, months } => {
                w.push(2);
                amount.put(w);
                months.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<PriceEntry, WireError> {
        Ok(match tag(r, 3, "a price")? {
            0 => PriceEntry::Custom,
            1 => PriceEntry::Unpublished,
            _ => PriceEntry::Amount {
                amount: Wire::take(r)?,
                months: Wire::take(r)?,
            },
        })
    }
}

impl Wire for LimitKindEntry {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            LimitKindEntry::PerEvent { dimension, bound } => {
                w.push(0);
                dimension.put(w);
                bound.put(w);
            }
            LimitKindEntry::DimensionRange { dimension, lo, hi } => {
                w.push(1);
                dimension.put(w);
                lo.put(w);
                hi.put(w);
            }
            LimitKindEntry::Window {
                max,
                strict,
                dimension,
                window,
            } => {
                w.push(2);
                max.put(w);
                strict.put(w);
                dimension.put(w);
                window.put(w);
            }
            LimitKindEntry::Attribute {
                attribute,
                dimension,
                factor,
                bound,
            } => {
                w.push(3);
                attribute.put(w);
                dimension.put(w);
                factor.put(w);
                bound.put(w);
            }
            LimitKindEntry::Informational => w.push(4),
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<LimitKindEntry, WireError> {
        Ok(match tag(r, 5, "a limit")? {
            0 => LimitKindEntry::PerEvent {
                dimension: Wire::take(r)?,
                bound: Wire::take(r)?,
            },
            1 => LimitKindEntry::DimensionRange {
                dimension: Wire::take(r)?,
                lo: Wire::take(r)?,
                hi: Wire::take(r)?,
            },
            2 => LimitKindEntry::Window {
                max: Wire::take(r)?,
                strict: Wire::take(r)?,
                dimension: Wire::take(r)?,
                window: Wire::take(r)?,
            },
            3 => LimitKindEntry::Attribute {
                attribute: Wire::take(r)?,
                dimension: Wire::take(r)?,
                factor: Wire::take(r)?,
                bound: Wire::take(r)?,
            },
            _ => LimitKindEntry::Informational,
        })
    }
}

impl Wire for BeyondEntry {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            BeyondEntry::Reject => w.push(0),
            BeyondEntry::Wallet => w.push(1),
            BeyondEntry::Overage { rate } => {
                w.push(2);
                rate.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<BeyondEntry, WireError> {
        Ok(match tag(r, 3, "what happens beyond an allowance")? {
            0 => BeyondEntry::Reject,
            1 => BeyondEntry::Wallet,
            _ => BeyondEntry::Overage {
                rate: Wire::take(r)?,
            },
        })
    }
}

impl Wire for EmptyEntry {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            EmptyEntry::Reject => w.push(0),
            EmptyEntry::Overage { rate } => {
                w.push(1);
                rate.put(w);
            }
            EmptyEntry::AutoRecharge => w.push(2),
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<EmptyEntry, WireError> {
        Ok(match tag(r, 3, "what happens when the wallet is empty")? {
            0 => EmptyEntry::Reject,
            1 => EmptyEntry::Overage {
                rate: Wire::take(r)?,
            },
            _ => EmptyEntry::AutoRecharge,
        })
    }
}

impl Wire for MoveRule {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            MoveRule::AtOnce => w.push(0),
            MoveRule::AtRenewal => w.push(1),
            MoveRule::On(day) => {
                w.push(2);
                day.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<MoveRule, WireError> {
        Ok(match tag(r, 3, "when existing subscribers move")? {
            0 => MoveRule::AtOnce,
            1 => MoveRule::AtRenewal,
            _ => MoveRule::On(Wire::take(r)?),
        })
    }
}

impl Wire for PlanEntry {
    fn put(&self, w: &mut Vec<u8>) {
        let PlanEntry {
            slug,
            display,
            price,
            price_line,
            billing,
            grants,
            packs_allowed,
            available,
            limits,
            allowances,
            top_up,
            fees,
            features,
            when_empty,
            commit,
            overrides,
            wallet_prices,
            line,
        } = self;
        slug.put(w);
        display.put(w);
        price.put(w);
        price_line.put(w);
        billing.put(w);
        grants.put(w);
        packs_allowed.put(w);
        put_flags(available, w);
        limits.put(w);
        allowances.put(w);
        top_up.put(w);
        fees.put(w);
        features.put(w);
        when_empty.put(w);
        commit.put(w);
        overrides.put(w);
        wallet_prices.put(w);
        line.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<PlanEntry, WireError> {
        Ok(PlanEntry {
            slug: Wire::take(r)?,
            display: Wire::take(r)?,
            price: Wire::take(r)?,
            price_line: Wire::take(r)?,
            billing: Wire::take(r)?,
            grants: Wire::take(r)?,
            packs_allowed: Wire::take(r)?,
            available: take_flags(r)?,
            limits: Wire::take(r)?,
            allowances: Wire::take(r)?,
            top_up: Wire::take(r)?,
            fees: Wire::take(r)?,
            features: Wire::take(r)?,
            when_empty: Wire::take(r)?,
            commit: Wire::take(r)?,
            overrides: Wire::take(r)?,
            wallet_prices: Wire::take(r)?,
            line: Wire::take(r)?,
        })
    }
}

wire_struct! {
    RatingTable {
        schema_version, vendor, list, version, effective, currency, source_hash, source,
        checksum, units, dimensions, attributes, products, plans, packs, annual_front_load,
        existing_moves, subscription, recharge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn back<T: Wire>(v: &T) -> (Result<T, String>, usize) {
        let mut w = Vec::new();
        v.put(&mut w);
        let mut r = Reader::new(&w);
        (T::take(&mut r).map_err(|e| e.what), w.len() - r.left())
    }

    fn take<T: Wire>(bytes: &[u8]) -> Result<T, String> {
        T::take(&mut Reader::new(bytes)).map_err(|e| e.what)
    }

    #[test]
    fn decimals_keep_their_scale_and_sign_in_few_bytes() {
        for text in [
            "0",
            "-0",
            "1.50",
            "0.0001",
            "-12.345",
            "79228162514264337593543950335",
        ] {
            let d: Decimal = text.parse().expect("a decimal");
            let (read, _) = back(&d);
            let read = read.expect("reads back");
            assert_eq!(read.serialize(), d.serialize(), "{text}");
            assert_eq!(read.to_string(), d.to_string());
        }
        let scale_28 = Decimal::from_i128_with_scale(1, 28);
        assert_eq!(
            back(&scale_28).0.map(|d| d.serialize()),
            Ok(scale_28.serialize())
        );
        let mut w = Vec::new();
        "1.50".parse::<Decimal>().expect("a decimal").put(&mut w);
        assert_eq!(w, [2, 150, 1]);
    }

    #[test]
    fn numbers_have_one_encoding_and_a_bound() {
        assert_eq!(
            take::<u32>(&[0x80, 0x00]),
            Err("a number is not in its shortest form".into())
        );
        assert_eq!(take::<u32>(&[0xff, 0xff, 0xff, 0xff, 0x0f]), Ok(u32::MAX));
        assert!(take::<u32>(&[0xff, 0xff, 0xff, 0xff, 0x1f]).is_err());
        assert!(take::<u32>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]).is_err());
        assert!(take::<u32>(&[0x80]).is_err());
        // A mantissa of 97 bits, and a scale of 29.
        let mut big = vec![0u8];
        put_varint(1u128 << 96, &mut big);
        assert!(take::<Decimal>(&big).is_err());
        assert!(take::<Decimal>(&[29, 1]).is_err());
        assert!(take::<Decimal>(&[0x40, 1]).is_err());
        assert!(take::<bool>(&[2]).is_err());
        assert!(take::<Option<u32>>(&[2, 0]).is_err());
    }

    #[test]
    fn a_list_longer_than_the_bytes_left_is_refused_before_allocating() {
        let mut w = Vec::new();
        put_varint(u128::from(u32::MAX), &mut w);
        let err = take::<Vec<u32>>(&w).expect_err("refused");
        assert!(err.contains("more than the 0 bytes left hold"), "{err}");
        assert!(take::<String>(&[3, b'a', b'b']).is_err());
        assert!(take::<String>(&[1, 0xff]).is_err());
    }

    proptest! {
        #[test]
        fn any_value_reads_back_as_written(
            n in any::<u32>(),
            m in any::<i128>(),
            scale in 0u32..=28,
            flags in proptest::collection::vec(any::<bool>(), 0..40),
        ) {
            let (read, used) = back(&n);
            prop_assert_eq!(read, Ok(n));
            prop_assert!(used <= 5);
            let m = m % (1i128 << 96);
            let d = Decimal::from_i128_with_scale(m, scale);
            prop_assert_eq!(back(&d).0.map(|d| d.serialize()), Ok(d.serialize()));
            let mut w = Vec::new();
            put_flags(&flags, &mut w);
            prop_assert_eq!(take_flags(&mut Reader::new(&w)).map_err(|e| e.what), Ok(flags));
        }
    }
}
