//! A worker's groups (accounts, plans or products): names to dense ids, looked up a batch of
//! lines at a time.
//!
//! With a million accounts neither the index nor the totals fit in cache, and a line's account
//! lookup is a trip to memory. One lookup after another, each waits for its own trip; so a batch
//! is looked up in passes: the names are hashed, then the slot each hashes to and the key its id
//! names are read (loads that do not depend on each other's, so the processor has many in
//! flight), then the ids are found in slots and keys that are by then in cache.
//!
//! A slot is eight bytes: 32 bits of the name's hash and its id. A name of up to 15 bytes
//! (nearly every account id) is kept in the first cell of its row of totals, its tag
//! ([`Totals::tagged`]), and a slot whose hash bits match is checked against that: the read
//! that checks the name brings in the row the line is rated into, two trips to memory a line
//! where the name kept apart made three (0.94x the time of a million accounts' run).
//! Names of 16 to 31 bytes are kept packed by id, and longer ones go to a second map. Slots of
//! the whole key (40 bytes) made the table five times larger: at a million accounts 40 MB a
//! worker, which the kernel faulted in afresh at each doubling, where now it is 8 MB.

use super::worker::Ready;
use crate::rate::Totals;
use crate::rate::name_map::{NameMap, Short, hash_short, pack, same};

/// A name of up to 15 bytes (nearly every account id) as the one cell of its row's tag: its
/// bytes, zero-padded, its length in the last byte (as [`pack`] puts it in the last word) and
/// that byte's high bit set, so that no tag of a name is zero, the tag of a row with none.
/// `None` for a longer name, whose packed key is kept in `keys`.
#[inline(always)]
fn tiny(key: &Short) -> Option<i128> {
    let len = key[3] >> 56;
    let high = key[1] | key[3] | (1 << 63);
    (len <= 15).then(|| ((u128::from(high) << 64) | u128::from(key[0])) as i128)
}

/// Group names by group id, in one buffer.
#[derive(Default)]
pub(super) struct GroupNames {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl GroupNames {
    pub(super) fn push(&mut self, name: &[u8]) -> u32 {
        self.bytes.extend_from_slice(name);
        self.ends.push(self.bytes.len());
        (self.ends.len() - 1) as u32
    }

    pub(super) fn get(&self, id: u32) -> &[u8] {
        let end = self.ends.get(id as usize).copied().unwrap_or(0);
        let start = match id {
            0 => 0,
            _ => self.ends.get(id as usize - 1).copied().unwrap_or(0),
        };
        &self.bytes[start..end]
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }
}

/// A slot of the open-addressing table: the low 32 bits of a short name's hash (which also
/// place it, in tables of up to 2^32 slots) and its id.
#[derive(Clone, Copy)]
struct Slot {
    hash: u32,
    id: u32,
}

/// The slot a name of hash `hash` is placed from: by the 32 bits its slot keeps, so that growing
/// can place it again without its name.
#[inline(always)]
fn home(hash: u64, mask: usize) -> usize {
    (hash as u32) as usize & mask
}

const EMPTY: Slot = Slot {
    hash: 0,
    id: u32::MAX,
};

/// Names to ids, and the names by id.
pub(super) struct Groups {
    pub(super) names: GroupNames,
    /// Linear probing over a power-of-two table, at most half full.
    slots: Vec<Slot>,
    /// The packed names of ids whose names are 16 to 31 bytes long (zeros for the others, and
    /// only as far as the last such id): a name of up to 15 bytes is kept in its row's tag
    /// ([`tiny`]), a longer one in `long`.
    keys: Vec<Short>,
    used: usize,
    long: NameMap<u32>,
}

impl Groups {
    pub(super) fn new() -> Groups {
        Groups {
            names: GroupNames::default(),
            slots: vec![EMPTY; 64],
            keys: Vec::new(),
            used: 0,
            long: NameMap::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.names.len()
    }

    /// The names by id, the index of them dropped.
    pub(super) fn into_names(self) -> GroupNames {
        self.names
    }

    /// The id of `name`, added when new (with a row in `totals`).
    #[inline]
    pub(super) fn id(&mut self, name: &[u8], totals: &mut Totals) -> u32 {
        match pack(name) {
            Some(key) => self.id_short(key, hash_short(&key), name, totals),
            None => self.id_long(name, totals),
        }
    }

    /// The ids of `names`, in order, into `ids` (as long as `names`), new names added; `lines`
    /// are theirs, each with its name's hash.
    pub(super) fn ids(
        &mut self,
        names: &[&[u8]],
        lines: &[Ready],
        ids: &mut [u32],
        totals: &mut Totals,
    ) {
        let mut keys = [([0u64; 4], 0u64); 32];
        let n = names.len().min(keys.len());
        // Pass 1: pack and hash each name (unless the exchange hashed it already); nothing
        // read from the table yet.
        for ((name, line), key) in names.iter().zip(lines).zip(keys.iter_mut()) {
            if let Some(k) = pack(name) {
                *key = match line.hash {
                    0 => (k, hash_short(&k)),
                    hash => (k, hash),
                };
            }
        }
        // Pass 2: read the slot each name hashes to and the key its id names, in a loop of a
        // few instructions a name, so that all the batch's loads are in flight at once (with
        // hashing in the same loop, only a handful were).
        let mask = self.slots.len() - 1;
        let mut touched = 0u64;
        let mut found = [EMPTY.id; 32];
        for ((key, hash), found) in keys[..n].iter().zip(found.iter_mut()) {
            // The first slot from home whose hash bits match (or the empty one that ends the
            // probe): the home slot alone named another name's row for up to a lookup in four.
            let mut at = home(*hash, mask);
            let mut slot = self.slots[at];
            while slot.hash != *hash as u32 && slot.id != EMPTY.id {
                at = (at + 1) & mask;
                slot = self.slots[at];
            }
            *found = slot.id;
            // A name's row holds its tag: reading it reads the row the line is rated into.
            touched ^= match key[3] >> 56 {
                0..=15 => totals.tag_of(slot.id) as u64,
                _ => self.keys.get(slot.id as usize).map_or(0, |k| k[0]),
            };
        }
        std::hint::black_box(touched);
        // Pass 3: the ids. A name of up to 15 bytes whose tag is in the row pass 2 read is
        // that row's id, checked inline; any other (new, or a name kept by id) is looked up
        // again in slots now in cache (a call and a probe a line were 5% of a run).
        // (`tag_of` is zero for no row or rows without tags, and no name's tag is zero.)
        for (i, name) in names.iter().enumerate() {
            let known = i < n
                && name.len() <= 15
                && tiny(&keys[i].0).is_some_and(|tag| totals.tag_of(found[i]) == tag);
            ids[i] = match name.len() {
                _ if known => found[i],
                0..=31 if i < n => self.id_short(keys[i].0, keys[i].1, name, totals),
                _ => self.id(name, totals),
            };
        }
    }

    /// `key`: `name` packed, `hash` its hash.
    #[inline]
    fn id_short(&mut self, key: Short, hash: u64, name: &[u8], totals: &mut Totals) -> u32 {
        let mask = self.slots.len() - 1;
        let mut at = home(hash, mask);
        let tag = tiny(&key).filter(|_| totals.is_tagged());
        loop {
            let slot = self.slots[at];
            if slot.id == EMPTY.id {
                break;
            }
            if slot.hash == hash as u32
                && match tag {
                    Some(t) => totals.tag_of(slot.id) == t,
                    None => self
                        .keys
                        .get(slot.id as usize)
                        .is_some_and(|k| same(k, &key)),
                }
            {
                return slot.id;
            }
            at = (at + 1) & mask;
        }
        let id = self.names.push(name);
        totals.ensure_accounts(self.names.len());
        match tag {
            Some(t) => totals.set_tag(id, t),
            None => {
                let at = id as usize;
                if self.keys.len() <= at {
                    self.keys.resize(at + 1, [0; 4]);
                }
                self.keys[at] = key;
            }
        }
        self.slots[at] = Slot {
            hash: hash as u32,
            id,
        };
        self.used += 1;
        if self.used * 2 > self.slots.len() {
            self.grow();
        }
        id
    }

    #[cold]
    fn id_long(&mut self, name: &[u8], totals: &mut Totals) -> u32 {
        if let Some(id) = self.long.get(name) {
            return id;
        }
        let id = self.names.push(name);
        totals.ensure_accounts(self.names.len());
        self.long.insert(name, id);
        id
    }

    /// Doubles the table and places every short name again, by the hash bits in its slot.
    #[cold]
    fn grow(&mut self) {
        let doubled = vec![EMPTY; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.id != EMPTY.id) {
            let mut at = home(u64::from(slot.hash), mask);
            while self.slots[at].id != EMPTY.id {
                at = (at + 1) & mask;
            }
            self.slots[at] = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Groups, Ready};
    use crate::rate::Totals;

    /// One id per distinct name, whether looked up one at a time or in batches, through growth,
    /// names of up to 15 bytes (kept in their rows' tags), of 16 to 31 (kept by id), longer
    /// ones and the empty name alike, and with totals whose rows have no tag (names then all
    /// kept by id); and the name of each id is the name looked up.
    #[test]
    fn ids_are_dense_and_stable() {
        let table = crate::pipeline::compile_source(
            r#"
pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Render" as render { measure time  rate 2 credit / second }
"#,
        )
        .expect("a clean book");
        let names: Vec<Vec<u8>> = (0..8000)
            .map(|i| match i % 9 {
                0 => format!("a-long-account-name-of-more-than-31-bytes-{i}").into_bytes(),
                1 => Vec::new(),
                // 16 to 31 bytes, and exactly 15 and 16.
                2 => format!("customer-account-{}", i % 700).into_bytes(),
                3 => format!("{:015}", i % 300).into_bytes(),
                4 => format!("{:016}", i % 300).into_bytes(),
                _ => format!("acct-{}", i % 1500).into_bytes(),
            })
            .collect();
        let distinct: std::collections::BTreeSet<&Vec<u8>> = names.iter().collect();
        let mut reference: Option<Vec<u32>> = None;
        for tag in [1, 0] {
            let totals = || match tag {
                1 => Totals::tagged(&table),
                _ => Totals::new(&table, 0),
            };
            let (mut one, mut one_totals) = (Groups::new(), totals());
            let single: Vec<u32> = names.iter().map(|n| one.id(n, &mut one_totals)).collect();
            let (mut batched, mut batched_totals) = (Groups::new(), totals());
            let mut ids = Vec::new();
            for chunk in names.chunks(37) {
                let refs: Vec<&[u8]> = chunk.iter().map(|n| n.as_slice()).collect();
                // Some lines come hashed (by the exchange), others not: one id either way.
                let lines: Vec<Ready> = refs
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let mut line = Ready::numbered(0);
                        if i % 2 == 0 {
                            line.hash = crate::rate::name_map::route_hash(n);
                        }
                        line
                    })
                    .collect();
                let mut out = vec![0; refs.len()];
                batched.ids(&refs, &lines, &mut out, &mut batched_totals);
                ids.extend(out);
            }
            assert_eq!(single, ids, "tag {tag}");
            assert_eq!(one.len(), distinct.len(), "tag {tag}");
            for (name, id) in names.iter().zip(&single) {
                assert_eq!(one.names.get(*id), name.as_slice());
            }
            // Names of up to 15 bytes are in their rows' tags when the rows have one, and only
            // then; the ids do not depend on where names are kept.
            for (name, id) in names.iter().zip(&single) {
                let tagged = tag == 1 && name.len() <= 15;
                assert_eq!(one_totals.tag_of(*id) != 0, tagged, "{name:?}");
            }
            match &reference {
                None => reference = Some(single),
                Some(r) => assert_eq!(r, &single),
            }
        }
    }
}
