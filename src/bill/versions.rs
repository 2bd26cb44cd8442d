//! Versions by date inside one bill: usage is priced by the version in force at its time, a
//! period's fee, grants and commitment by the version in force at the period's start, and an
//! account that subscribed before a version took effect moves to it as the version says
//! ([`Moves`]). At a switch the account's state (its plan, wallet, the period's tier usage and
//! caps, pending changes, auto-recharge) is carried to the new version by name, so credits and
//! packs bought under one version are spent under the next.

use super::engine::*;
use super::*;

/// How an account that subscribed before a version took effect moves to it (Kill Bill's
/// `effectiveDateForExistingSubscriptions`). New subscriptions start on the version in force on
/// their first day whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Moves {
    /// From the version's effective date: later usage is priced by it, and periods starting
    /// after it take their fee and grants from it. The default: the seeds state no rule.
    #[default]
    AtOnce,
    /// At the account's next renewal on or after the effective date (the start of its next
    /// billing cycle: a month, or a year for annual billing).
    AtRenewal,
    /// Grandfathered: the old version keeps pricing the account until this day, then the new
    /// one does, as [`Moves::AtOnce`] from that day.
    On(Date),
}

/// One version of a vendor's book a bill may price with, and the bill's events resolved against
/// it. Every version of a bill has the same events in the same order (same lines and times);
/// an event the version cannot price (a product it does not have yet) is
/// [`Usage::NotInVersion`].
#[derive(Debug, Clone, Copy)]
pub struct BillVersion<'a> {
    pub rater: &'a Rater<'a>,
    pub moves: Moves,
    pub events: &'a [UsageEvent],
    /// `attrs[i]` are event `i`'s attributes (an event beyond its length carries none).
    pub attrs: &'a [Vec<EventAttr>],
}

impl Moves {
    /// What `table`'s book declares (`existing subscribers move ...`); at once when it does not.
    pub fn of(table: &RatingTable) -> Result<Moves, BillError> {
        use crate::model::MoveRule;
        Ok(match table.existing_moves() {
            None | Some(MoveRule::AtOnce) => Moves::AtOnce,
            Some(MoveRule::AtRenewal) => Moves::AtRenewal,
            Some(MoveRule::On(day)) => {
                Moves::On(Date::parse(day).ok_or_else(|| BillError::TableInvalid {
                    reason: format!("existing subscribers move on `{day}`, which is not a date"),
                })?)
            }
        })
    }
}

impl<'a> BillVersion<'a> {
    /// The version with `rater`'s table, moved to at once.
    pub fn new(
        rater: &'a Rater<'a>,
        events: &'a [UsageEvent],
        attrs: &'a [Vec<EventAttr>],
    ) -> BillVersion<'a> {
        BillVersion {
            rater,
            moves: Moves::AtOnce,
            events,
            attrs,
        }
    }

    pub(super) fn effective(&self) -> Result<Date, BillError> {
        let t = self.rater.table();
        Date::parse(&t.effective).ok_or_else(|| BillError::BadEffectiveDate {
            effective: t.effective.clone(),
        })
    }
}

impl<'a> Engine<'a, 'a> {
    /// Moves the account to every later version due by `now`. `renews`: a billing cycle starts
    /// at `now` (when [`Moves::AtRenewal`] versions take over). `open` holds the current
    /// period's lines, closed under the old version when the switch happens mid-period.
    pub(super) fn advance(
        &mut self,
        now: Instant,
        renews: bool,
        open: Option<(Date, &mut PeriodLines)>,
    ) -> Result<(), BillError> {
        let mut open = open;
        while let Some(next) = self.versions.get(self.current + 1) {
            let from = next.effective()?.instant();
            // When the account moves: `None` while it does not yet.
            let at = match next.moves {
                Moves::AtOnce => (now >= from).then_some(from),
                Moves::AtRenewal => (renews && now >= from).then_some(now),
                Moves::On(day) => {
                    let at = from.max(day.instant());
                    (now >= at).then_some(at)
                }
            };
            let Some(at) = at else {
                return Ok(());
            };
            // Days before the switch still get the old version's daily grants.
            self.issue_due(at.saturating_sub(1))?;
            if let Some((period, lines)) = open.as_mut() {
                let closed = std::mem::take(*lines);
                lines.recharge_spent = closed.recharge_spent;
                self.close_period(*period, closed)?;
            }
            self.switch_to(self.current + 1, at)?;
        }
        Ok(())
    }

    /// Carries the account's state to version `v`, by name, from `at`.
    fn switch_to(&mut self, v: usize, at: Instant) -> Result<(), BillError> {
        let (old, new) = (self.table, self.versions[v].rater.table());
        let gone = |what: &str, name: &str| BillError::NotInVersion {
            what: format!("{what} `{name}`"),
            vendor: new.vendor.clone(),
            version: new.version.clone(),
            effective: new.effective.clone(),
        };
        if old.currency != new.currency {
            return Err(gone("currency", &old.currency));
        }
        let plan_in_new = |p: PlanId| {
            let slug = &old.plans[p as usize].slug;
            new.plan_id(slug).ok_or_else(|| gone("plan", slug))
        };
        self.plan = plan_in_new(self.plan)?;
        if let Some((p, asked)) = self.pending_plan {
            self.pending_plan = Some((plan_in_new(p)?, asked));
        }
        let unit_in_new = |u: UnitId| {
            let name = old.unit_name(u);
            match new.unit_id(name) {
                Some(n) if factor_of(new, n) == factor_of(old, u) => Ok(n),
                _ => Err(gone("unit", name)),
            }
        };
        for g in &mut self.wallet.grants {
            g.unit = unit_in_new(g.unit)?;
        }
        if let Some(r) = &mut self.recharge {
            r.unit = unit_in_new(r.unit)?;
        }
        let product_in_new = |p: ProductId| new.product_id(&old.products[p as usize].slug);
        self.period_usage = std::mem::take(&mut self.period_usage)
            .into_iter()
            .filter_map(|((p, cell), used)| {
                let np = product_in_new(p)?;
                Some(((np, translate_cell(old, new, p, np, cell)?), used))
            })
            .collect();
        self.period_charged = std::mem::take(&mut self.period_charged)
            .into_iter()
            .filter_map(|(p, charged)| Some((product_in_new(p)?, charged)))
            .collect();
        self.product_fees_charged = std::mem::take(&mut self.product_fees_charged)
            .into_iter()
            .filter_map(product_in_new)
            .collect();
        self.charged_undo = None;
        // Window limits and allowances are the new version's rules: they count from here, as
        // after a plan change.
        self.windows.clear();
        self.allowance_use.clear();
        self.day_grants = new.plans[self.plan as usize]
            .grants
            .iter()
            .enumerate()
            .filter(|(_, g)| g.every_days.is_some())
            .map(|(i, _)| (i, at))
            .collect();
        self.current = v;
        self.table = new;
        self.rater = self.versions[v].rater;
        let r = VersionRef::of(new);
        if !self.used_versions.contains(&r) {
            self.used_versions.push(r);
        }
        Ok(())
    }
}

/// The cell of `new`'s product `np` with the dimension values of `old`'s cell `cell` of `op`,
/// by name; `None` when the products' dimensions differ.
pub(crate) fn translate_cell(
    old: &RatingTable,
    new: &RatingTable,
    op: ProductId,
    np: ProductId,
    cell: CellId,
) -> Option<CellId> {
    let p = old.products.get(op as usize)?;
    let mut args: Vec<(Option<&str>, &str)> = Vec::with_capacity(p.dims.len());
    for (d, stride) in p.dims.iter().zip(&p.strides) {
        let def = old.dimensions.get(*d as usize)?;
        let len = u32::try_from(def.values.len()).ok()?.max(1);
        let v = (cell / (*stride).max(1)) % len;
        args.push((
            Some(def.name.as_str()),
            def.values.get(v as usize)?.as_str(),
        ));
    }
    new.resolve_cell(np, &args).ok()
}

/// A version of the book and the bill's events read against it, for [`bill_tables`].
#[derive(Debug, Clone)]
pub struct VersionUsage<'a> {
    pub table: &'a RatingTable,
    pub moves: Moves,
    pub events: Vec<UsageEvent>,
    pub attrs: Vec<Vec<EventAttr>>,
}

/// The first of a bill's versions: a bill needs one.
pub(super) fn first<T>(versions: &[T]) -> Result<&T, BillError> {
    versions.first().ok_or_else(|| BillError::TableInvalid {
        reason: "a bill needs at least one version of the book".into(),
    })
}

/// [`bill_versions`] over tables: builds each version's rater with the keys its events need
/// (the account's plan, found by slug in each version, and the plans it changes to).
pub fn bill_tables(
    versions: &[VersionUsage<'_>],
    request: &BillRequest,
) -> Result<Bill, BillError> {
    let first = first(versions)?;
    let Some(plan) = first.table.plans.get(request.plan as usize) else {
        return Err(BillError::UnknownPlan { plan: request.plan });
    };
    let raters: Vec<Rater<'_>> = versions
        .iter()
        .map(|v| {
            let keys = keys_for_plan(v.table.plan_id(&plan.slug), &v.events);
            Rater::for_usage(v.table, keys)
        })
        .collect();
    let bill_versions_in: Vec<BillVersion<'_>> = versions
        .iter()
        .zip(&raters)
        .map(|(v, rater)| BillVersion {
            rater,
            moves: v.moves,
            events: &v.events,
            attrs: &v.attrs,
        })
        .collect();
    bill_versions(&bill_versions_in, request)
}
