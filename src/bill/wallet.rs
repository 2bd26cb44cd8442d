//! The wallet: grants in drawdown order, with balances kept per dimension.

use super::*;

#[derive(Debug, Clone)]
pub(super) struct Grant {
    pub(super) name: String,
    /// The unit it was granted in (for reports); amounts are in base units of its dimension.
    pub(super) unit: UnitId,
    pub(super) dimension: String,
    pub(super) granted: Decimal,
    pub(super) consumed: Decimal,
    pub(super) expired: Decimal,
    pub(super) expires: Option<Instant>,
    pub(super) priority: u32,
    pub(super) seq: usize,
    /// A pack's credits, which "never expire while you have an active subscription" (seed
    /// 000): they expire when the subscription ends.
    pub(super) with_subscription: bool,
    /// A plan's grant renewed by months (or front-loaded for a year): a plan change at once
    /// ends it.
    pub(super) cycle_grant: bool,
}

impl Grant {
    /// Never overflows: consumed and expired are parts of granted.
    pub(super) fn remaining(&self) -> Decimal {
        self.granted - self.consumed - self.expired
    }
}

/// The grants of one account. Per event the work is independent of how many grants were ever
/// issued: balances are kept per dimension as grants are issued, drawn and expired; expiry only
/// scans when the earliest pending expiry has passed; exhausted grants leave the drawdown order.
#[derive(Debug)]
pub(super) struct Wallet {
    /// Every grant ever issued, in issue order (reports keep this order).
    pub(super) grants: Vec<Grant>,
    /// Indexes into `grants` with something left, in drawdown order.
    pub(super) order: Vec<usize>,
    /// Spendable balance per dimension, in base units.
    pub(super) balances: Vec<(String, Decimal)>,
    /// No grant with something left expires before this.
    pub(super) next_expiry: Instant,
}

impl Default for Wallet {
    fn default() -> Self {
        Wallet {
            grants: Vec::new(),
            order: Vec::new(),
            balances: Vec::new(),
            next_expiry: Instant::MAX,
        }
    }
}

impl Wallet {
    pub(super) fn balance_mut(&mut self, dimension: &str) -> &mut Decimal {
        let i = match self.balances.iter().position(|(d, _)| d == dimension) {
            Some(i) => i,
            None => {
                self.balances.push((dimension.to_string(), Decimal::ZERO));
                self.balances.len() - 1
            }
        };
        &mut self.balances[i].1
    }

    /// Adds a grant; fails when the dimension's balance would leave decimal range.
    pub(super) fn issue(&mut self, mut g: Grant) -> Result<(), BillError> {
        g.seq = self.grants.len();
        let balance = self.balance_mut(&g.dimension);
        *balance =
            crate::base::money::add_exact(*balance, g.remaining()).ok_or(BillError::Overflow {
                what: "the wallet's balance",
            })?;
        if let Some(e) = g.expires {
            self.next_expiry = self.next_expiry.min(e);
        }
        let key = |g: &Grant| (g.priority, g.expires.unwrap_or(Instant::MAX), g.seq);
        let k = key(&g);
        let pos = self.order.partition_point(|i| key(&self.grants[*i]) <= k);
        self.grants.push(g);
        self.order.insert(pos, self.grants.len() - 1);
        Ok(())
    }

    /// The subscription ended at `end`: grants that last only while it is active expire then.
    pub(super) fn end_subscription(&mut self, end: Instant) {
        for g in &mut self.grants {
            if g.with_subscription && g.expires.is_none_or(|e| e > end) {
                g.expires = Some(end);
            }
        }
        self.next_expiry = self.next_expiry.min(end);
        self.expire(end);
    }

    /// A plan change at once: the old plan's grants for its cycle expire `now`.
    pub(super) fn end_cycle_grants(&mut self, now: Instant) {
        for g in &mut self.grants {
            if g.cycle_grant && g.expires.is_none_or(|e| e > now) && !g.remaining().is_zero() {
                g.expires = Some(now);
            }
        }
        self.next_expiry = self.next_expiry.min(now);
        self.expire(now);
    }

    /// Expires every grant due at or before `now`.
    pub(super) fn expire(&mut self, now: Instant) {
        if now < self.next_expiry {
            return;
        }
        let mut next = Instant::MAX;
        let mut lost: Vec<(usize, Decimal)> = Vec::new();
        for (i, g) in self.grants.iter_mut().enumerate() {
            let r = g.remaining();
            if r.is_zero() {
                continue;
            }
            match g.expires {
                Some(e) if e <= now => {
                    g.expired += r;
                    lost.push((i, r));
                }
                Some(e) => next = next.min(e),
                None => {}
            }
        }
        for (i, r) in lost {
            let dim = self.grants[i].dimension.clone();
            *self.balance_mut(&dim) -= r;
        }
        let grants = &self.grants;
        self.order.retain(|i| !grants[*i].remaining().is_zero());
        self.next_expiry = next;
    }

    /// Spendable balance in `dimension`, in base units.
    pub(super) fn balance(&self, dimension: &str) -> Decimal {
        self.balances
            .iter()
            .find(|(d, _)| d == dimension)
            .map_or(Decimal::ZERO, |(_, b)| *b)
    }

    /// Returns up to `amount` base units of `dimension` to the grants they were drawn from, in
    /// reverse drawdown order, skipping grants expired by `now`; returns what was returned.
    pub(super) fn refund(&mut self, dimension: &str, amount: Decimal, now: Instant) -> Decimal {
        let key = |g: &Grant| (g.priority, g.expires.unwrap_or(Instant::MAX), g.seq);
        let mut drawn: Vec<usize> = (0..self.grants.len())
            .filter(|i| {
                let g = &self.grants[*i];
                g.dimension == dimension
                    && g.consumed > Decimal::ZERO
                    && g.expires.is_none_or(|e| e > now)
            })
            .collect();
        drawn.sort_by_key(|i| std::cmp::Reverse(key(&self.grants[*i])));
        let mut left = amount;
        for i in drawn {
            if left.is_zero() {
                break;
            }
            let g = &mut self.grants[i];
            let back = g.consumed.min(left);
            g.consumed -= back;
            left -= back;
            if !self.order.contains(&i) {
                let k = key(&self.grants[i]);
                let pos = self.order.partition_point(|j| key(&self.grants[*j]) <= k);
                self.order.insert(pos, i);
            }
        }
        let returned = amount - left;
        *self.balance_mut(dimension) += returned;
        returned
    }

    /// Draws `amount` base units in drawdown order (the caller checked the balance), recording
    /// in `taken` what each grant gave (grant index, base units) when asked: the ledger of
    /// `bill --explain`.
    pub(super) fn draw_traced(
        &mut self,
        dimension: &str,
        amount: Decimal,
        mut taken: Option<&mut Vec<(usize, Decimal)>>,
    ) {
        *self.balance_mut(dimension) -= amount;
        let mut left = amount;
        let mut exhausted = false;
        for &i in &self.order {
            if left.is_zero() {
                break;
            }
            let g = &mut self.grants[i];
            if g.dimension != dimension {
                continue;
            }
            let take = g.remaining().min(left);
            if take > Decimal::ZERO {
                g.consumed += take;
                left -= take;
                if let Some(t) = taken.as_deref_mut() {
                    t.push((i, take));
                }
            }
            exhausted |= g.remaining().is_zero();
        }
        if exhausted {
            let grants = &self.grants;
            self.order.retain(|i| !grants[*i].remaining().is_zero());
        }
    }
}
