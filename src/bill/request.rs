//! Building a bill's request as the command line does: auto-recharge settings from their
//! written form, and the periods a usage file covers.

use super::*;
use crate::base::quantity::split_quantity;

impl RechargeSettings {
    /// Reads `below=1000,to=5000,cap=200`: quantities in the plan's wallet unit unless one is
    /// written (`below=1000 credit`); the cap is money per period.
    ///
    /// ```
    /// use pricebook::bill::RechargeSettings;
    /// let table = pricebook::pipeline::compile_source(r#"
    /// pricebook acme version "1" effective 2026-01-01 currency USD
    /// unit credit
    /// unit kilocredit = 1000 credit
    /// product "Render" as render { measure time  rate 2 credit / second }
    /// plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
    /// "#).expect("a clean book");
    /// let r = RechargeSettings::parse(&table, 0, "below=1 kilocredit,to=5000,cap=200").unwrap();
    /// assert_eq!((r.below.to_string(), r.to.to_string()), ("1000".into(), "5000".into()));
    /// assert!(RechargeSettings::parse(&table, 0, "below=10,to=5").is_err());
    /// ```
    pub fn parse(
        table: &RatingTable,
        plan: PlanId,
        spec: &str,
    ) -> Result<RechargeSettings, String> {
        let p = table.plans.get(plan as usize).ok_or("unknown plan")?;
        let wallet_unit = p
            .grants
            .first()
            .map(|g| g.unit)
            .or_else(|| table.recharge.as_ref().and_then(|r| r.price.map(|p| p.2)))
            .ok_or("the plan grants nothing to recharge")?;
        let mut below = None;
        let mut to = None;
        let mut cap = None;
        for part in spec.split(',') {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: write key=value (below=, to=, cap=)"))?;
            let (d, unit) = split_quantity(v).map_err(|e| e.to_string())?;
            let key = k.trim();
            let in_wallet = |d: Decimal| -> Result<Decimal, String> {
                let Some(u) = unit else { return Ok(d) };
                let id = table.find_unit(u).map_err(|e| e.to_string())?;
                let (uu, wu) = (
                    &table.units[id as usize],
                    &table.units[wallet_unit as usize],
                );
                if uu.dimension != wu.dimension {
                    return Err(format!(
                        "`{key}={v}` is not in the wallet's unit `{}`",
                        wu.name
                    ));
                }
                d.checked_mul(uu.factor)
                    .and_then(|b| b.checked_div(wu.factor))
                    .ok_or_else(|| format!("`{key}={v}` is too large"))
            };
            match key {
                "below" => below = Some(in_wallet(d)?),
                "to" => to = Some(in_wallet(d)?),
                "cap" => cap = Some(d),
                other => {
                    return Err(format!(
                        "unknown auto-recharge setting `{other}`; use below=, to=, cap="
                    ));
                }
            }
        }
        let below = below.ok_or("auto-recharge needs below=")?;
        let to = to.ok_or("auto-recharge needs to=")?;
        if to <= below {
            return Err(format!(
                "auto-recharge refills to {to}, which is not above its threshold {below}"
            ));
        }
        Ok(RechargeSettings {
            below,
            to,
            unit: wallet_unit,
            cap,
        })
    }
}

impl BillRequest {
    /// A request that covers `events`: `from` defaults to the first event's month (`fallback`
    /// when there is none), `periods` to as many months as reach the last event (at most 1,200).
    pub fn covering(
        plan: PlanId,
        billing: Billing,
        from: Option<Date>,
        periods: Option<u32>,
        events: &[UsageEvent],
        fallback: Date,
    ) -> BillRequest {
        let first = events.iter().map(|e| e.time).min();
        let last = events.iter().map(|e| e.time).max();
        let from = from.or(first.map(Date::month_of)).unwrap_or(fallback);
        let periods = periods.unwrap_or_else(|| BillRequest::periods_through(from, last));
        let mut r = BillRequest::new(plan, from, periods);
        r.billing = billing;
        r
    }

    /// How many monthly periods from `from` reach `last` (1 without a last event; at most
    /// 1,200).
    pub fn periods_through(from: Date, last: Option<crate::base::date::Instant>) -> u32 {
        match last {
            Some(t) => {
                let l = Date::from_days(t.div_euclid(86_400));
                let months = (i64::from(l.year) * 12 + i64::from(l.month))
                    - (i64::from(from.year) * 12 + i64::from(from.month));
                let mut n = months.max(0) + 1;
                if from.add_months(n).instant() <= t {
                    n += 1;
                }
                n.clamp(1, 1200) as u32
            }
            None => 1,
        }
    }
}
