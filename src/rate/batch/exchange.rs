//! Accounts divided among the workers by a hash of their names, so each account is totalled by
//! one worker only.
//!
//! Every worker reads whatever chunk comes next, so with a million accounts each worker used to
//! meet nearly every account: two full tables of a million rows each (neither in cache), both
//! then sorted and merged by name, which was a third of the run and why a second core gave only
//! 1.55x. Now a line read by the fast path whose account another worker owns is handed over as a
//! [`Ready`] line and the account's name; each worker rates its own accounts' lines into a table
//! of its share of the accounts, and the merge meets each account once.
//!
//! Parcels go over unbounded channels: a worker sends what it collected for each peer at the
//! end of each chunk and then rates what it has been sent, so a parcel waits at most as long as
//! its owner takes to rate one chunk. (A bounded channel could deadlock a stream's workers: one
//! waits for its next block while the reader waits on a peer that waits for it.) Lines the
//! general path reads stay with the worker that read them; the merge sums an account met by
//! several workers, so that is only slower, never wrong.

use super::worker::Ready;
use crate::rate::name_map::route_hash;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

/// Lines handed to the worker that owns their accounts: each line and the end of its account's
/// name in `names`.
#[derive(Default)]
pub(super) struct Parcel {
    names: Vec<u8>,
    lines: Vec<(Ready, u32)>,
}

impl Parcel {
    /// The parcel's lines and their accounts' names, in the order they were read.
    pub(super) fn lines(&self) -> impl Iterator<Item = (Ready, &[u8])> {
        let mut start = 0usize;
        self.lines.iter().map(move |&(ready, end)| {
            let name = self.names.get(start..end as usize).unwrap_or_default();
            start = end as usize;
            (ready, name)
        })
    }

    fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn clear(&mut self) {
        self.names.clear();
        self.lines.clear();
    }
}

/// Parcels past this many bytes of names are sent before their chunk ends, so that a long
/// chunk's lines do not wait for its end (and the parcel stays well inside `u32` offsets).
const PARCEL_NAME_BYTES: usize = 1 << 20;

/// Accounts a worker meets before it hands lines of other workers' accounts over: below this
/// its tables fit in cache, and handing a line over (about 50 ns) costs more than the merge it
/// saves (at 10,000 accounts, handing over from the first line took 17% more CPU). Accounts a
/// worker met before it started are merged as before.
pub(super) const ROUTE_FROM: usize = 1 << 17;

/// Accounts a worker has met when it first judges how many accounts the whole input has: when
/// many (at least [`MANY_ACCOUNTS`]), it hands lines over from then, not from [`ROUTE_FROM`].
/// With a million accounts that keeps 100,000 fewer accounts in both tables (8% less time,
/// 28% less memory); with 100,000 accounts, each worker meets them all and handing over from
/// here cost 7%, so the judgement must tell the two apart.
const ROUTE_EARLY: usize = 1 << 15;

/// Accounts in the input past which handing lines over from [`ROUTE_EARLY`] pays.
const MANY_ACCOUNTS: u64 = 300_000;

/// Whether `lines` lines that met `met` accounts come from at least [`MANY_ACCOUNTS`]
/// accounts. Drawn evenly from `d` accounts, `l` lines (`l` well under `d`) repeat an account
/// met before about `l^2 / 2d` times, so `d` is about `l^2 / 2r` for `r` repeats. A few accounts
/// with most of the lines make more repeats and so a smaller estimate: those inputs wait for
/// [`ROUTE_FROM`] as before. The estimate only decides when lines are handed over, never a total.
fn many_accounts(lines: u64, met: u64) -> bool {
    let repeats = u128::from(lines.saturating_sub(met));
    repeats * 2 * u128::from(MANY_ACCOUNTS) <= u128::from(lines) * u128::from(lines)
}

/// One worker's end of the exchange.
pub(super) struct Exchange {
    me: usize,
    /// [`ROUTE_FROM`], or another threshold under test; lowered to the accounts met when they
    /// are judged many ([`ROUTE_EARLY`]).
    route_from: usize,
    /// Lines kept before handing over started, to judge how many accounts the input has.
    lines_kept: u64,
    /// Whether that was judged.
    judged: bool,
    /// What this worker has collected for each worker (its own entry stays empty).
    outbox: Vec<Parcel>,
    /// Senders to every other worker (`None` for itself, and once closed).
    peers: Vec<Option<Sender<Parcel>>>,
    /// Behind a lock only so that a finished worker can be shared with the merge's threads; one
    /// thread takes from it.
    inbox: Mutex<Receiver<Parcel>>,
    /// Parcels received and rated, kept to be filled again: a parcel is a few hundred kilobytes,
    /// which the allocator maps fresh each time, and the kernel's zeroing of new pages cost
    /// more than the copying into them.
    spare: Vec<Parcel>,
}

impl Exchange {
    /// One end for each of `workers` workers, each handing lines over once it has met
    /// `route_from` accounts.
    pub(super) fn among(workers: usize, route_from: usize) -> Vec<Exchange> {
        let (senders, inboxes): (Vec<Sender<Parcel>>, Vec<Receiver<Parcel>>) =
            (0..workers).map(|_| channel()).unzip();
        inboxes
            .into_iter()
            .enumerate()
            .map(|(me, inbox)| Exchange {
                me,
                route_from,
                lines_kept: 0,
                judged: false,
                outbox: (0..workers).map(|_| Parcel::default()).collect(),
                peers: senders
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (i != me).then(|| s.clone()))
                    .collect(),
                inbox: Mutex::new(inbox),
                spare: Vec::new(),
            })
            .collect()
    }

    /// The worker that owns the account whose name's [`route_hash`] is `hash`; by the high bits
    /// of the hash, so that the low bits, which place the name in its owner's table, stay evenly
    /// spread.
    #[inline]
    fn owner(&self, hash: u64) -> usize {
        // The high 32 bits scaled to the number of workers: a multiply, not a division.
        (((hash >> 32) * self.outbox.len() as u64) >> 32) as usize
    }

    /// Takes a fast-path line whose account another worker owns (returning `None`), or returns
    /// it to be rated here; `met`, the accounts this worker has met so far.
    #[inline]
    pub(super) fn route<'l>(
        &mut self,
        mut line: (Ready, &'l [u8]),
        met: usize,
    ) -> Option<(Ready, &'l [u8])> {
        if met < self.route_from {
            self.lines_kept += 1;
            if met < ROUTE_EARLY || self.judged {
                return Some(line);
            }
            self.judged = true;
            if !many_accounts(self.lines_kept, met as u64) {
                return Some(line);
            }
            self.route_from = met;
        }
        line.0.hash = route_hash(line.1);
        let owner = self.owner(line.0.hash);
        if owner == self.me {
            return Some(line);
        }
        let parcel = &mut self.outbox[owner];
        parcel.names.extend_from_slice(line.1);
        parcel.lines.push((line.0, parcel.names.len() as u32));
        if parcel.names.len() >= PARCEL_NAME_BYTES {
            self.send(owner);
        }
        None
    }

    fn send(&mut self, to: usize) {
        let empty = self.spare.pop().unwrap_or_default();
        let parcel = std::mem::replace(&mut self.outbox[to], empty);
        if let Some(Some(peer)) = self.peers.get(to) {
            // A peer that has stopped has failed, and its failure is what the run reports.
            let _ = peer.send(parcel);
        }
    }

    /// Sends every parcel collected so far.
    pub(super) fn flush(&mut self) {
        for to in 0..self.outbox.len() {
            if !self.outbox[to].is_empty() {
                self.send(to);
            }
        }
    }

    /// A parcel already sent to this worker, if any.
    pub(super) fn try_take(&self) -> Option<Parcel> {
        self.inbox.lock().ok()?.try_recv().ok()
    }

    /// Keeps a parcel that has been rated, to fill again.
    pub(super) fn give_back(&mut self, mut parcel: Parcel) {
        if self.spare.len() < 2 * self.outbox.len() {
            parcel.clear();
            self.spare.push(parcel);
        }
    }

    /// Sends what is left and says this worker will send nothing more.
    pub(super) fn close(&mut self) {
        self.flush();
        for peer in &mut self.peers {
            *peer = None;
        }
    }

    /// The next parcel sent to this worker, waiting for it; `None` once every other worker has
    /// closed and every parcel was taken.
    pub(super) fn take(&self) -> Option<Parcel> {
        self.inbox.lock().ok()?.recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::{Exchange, MANY_ACCOUNTS, PARCEL_NAME_BYTES, ROUTE_EARLY, many_accounts};
    use crate::rate::batch::worker::Ready;

    /// Lines drawn evenly from `accounts` accounts until `ROUTE_EARLY` of them are met: how
    /// many lines that took.
    fn lines_to_meet(accounts: u64, seed: &mut u64) -> u64 {
        let mut met = std::collections::HashSet::new();
        let mut lines = 0;
        while met.len() < ROUTE_EARLY {
            crate::base::xorshift(seed);
            met.insert(*seed % accounts);
            lines += 1;
        }
        lines
    }

    /// The judgement tells 100,000 accounts from a million (and more), the two it was measured
    /// on, with room either side of [`MANY_ACCOUNTS`]; and lines mostly of a few accounts are
    /// never judged many.
    #[test]
    fn many_accounts_tells_a_hundred_thousand_from_a_million() {
        let mut seed = 0x005E_ED0F_ACC0_u64;
        let met = ROUTE_EARLY as u64;
        for accounts in [1_000_000u64, 10_000_000] {
            assert!(
                many_accounts(lines_to_meet(accounts, &mut seed), met),
                "{accounts}"
            );
        }
        for accounts in [40_000u64, 100_000, MANY_ACCOUNTS / 2] {
            assert!(
                !many_accounts(lines_to_meet(accounts, &mut seed), met),
                "{accounts}"
            );
        }
        // Every line a new account: many. Half the lines repeats: not.
        assert!(many_accounts(met, met));
        assert!(!many_accounts(2 * met, met));
    }

    /// Handing over starts at [`ROUTE_EARLY`] accounts when they are many, and not before; with
    /// few, it waits for the threshold it was given.
    #[test]
    fn handing_over_starts_early_only_for_many_accounts() {
        let name = |i: u64| format!("acct-{i}").into_bytes();
        let handed = |repeat_every: u64| {
            let mut ends = Exchange::among(2, 1 << 20);
            let (mut met, mut handed) = (0usize, 0usize);
            for i in 0..(3 * ROUTE_EARLY as u64) {
                // A repeat of account 0 every `repeat_every` lines, else a new account.
                let n = if i % repeat_every == 0 {
                    name(0)
                } else {
                    name(i)
                };
                if ends[0].route((Ready::numbered(i), &n), met).is_none() {
                    handed += 1;
                }
                if i % repeat_every != 0 {
                    met += 1;
                }
            }
            handed
        };
        assert!(
            handed(1_000) > 0,
            "a new account nearly every line: handed over early"
        );
        assert_eq!(
            handed(3),
            0,
            "a third of the lines repeats: no hand-over below 2^20"
        );
    }

    /// Every line routed reaches exactly one worker, the same one wherever it was read, in one
    /// piece with its name: through parcels sent early (past [`PARCEL_NAME_BYTES`]), at
    /// flushes, and at close.
    #[test]
    fn each_account_has_one_owner_and_every_line_arrives() {
        let workers = 3;
        let mut ends = Exchange::among(workers, 0);
        let name = |i: u64| format!("account-{}", i % 5000).into_bytes();
        // Long names too: past 31 bytes they hash another way.
        let long =
            |i: u64| format!("{}-an-account-name-longer-than-31-bytes", i % 700).into_bytes();
        let names: Vec<Vec<u8>> = (0..400_000u64)
            .map(|i| if i % 9 == 0 { long(i) } else { name(i) })
            .collect();
        let mut kept: Vec<Vec<(u64, Vec<u8>)>> = vec![Vec::new(); workers];
        for (i, n) in names.iter().enumerate() {
            let reader = i % workers;
            let ready = Ready::numbered(i as u64);
            if let Some((r, n)) = ends[reader].route((ready, n), 0) {
                kept[reader].push((r.number(), n.to_vec()));
            }
            if i % 100_000 == 0 {
                ends[reader].flush();
            }
        }
        assert!(names.iter().map(Vec::len).sum::<usize>() > 3 * PARCEL_NAME_BYTES);
        for end in ends.iter_mut() {
            end.close();
        }
        let mut owner_of: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut seen = vec![false; names.len()];
        for (w, end) in ends.iter().enumerate() {
            let mut lines = std::mem::take(&mut kept[w]);
            while let Some(parcel) = end.take() {
                lines.extend(parcel.lines().map(|(r, n)| (r.number(), n.to_vec())));
            }
            for (number, n) in lines {
                assert_eq!(
                    n, names[number as usize],
                    "line {number} arrived with its name"
                );
                assert!(!seen[number as usize], "line {number} arrived twice");
                seen[number as usize] = true;
                let owner = *owner_of.entry(n).or_insert(w);
                assert_eq!(owner, w, "an account has one owner");
            }
        }
        assert!(seen.iter().all(|s| *s), "every line arrived");
        // The accounts are shared out, not all given to one worker.
        let mut share = vec![0usize; workers];
        for w in owner_of.values() {
            share[*w] += 1;
        }
        assert!(share.iter().all(|s| *s > owner_of.len() / 5), "{share:?}");
    }
}
