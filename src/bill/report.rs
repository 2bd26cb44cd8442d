//! A bill as JSON (the contract) and as a table for people.

use super::*;

impl Bill {
    /// The bill as the JSON contract: `{"total", "lines", "wallet", "rejected", "closing_wallet"}`.
    /// With [`BillRequest::explain`], also `"ledger"`: each usage event and the grants that paid it.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "versions": self.versions,
            "total": {"amount": self.total.to_string(), "currency": self.currency},
            "lines": self.lines,
            "wallet": self.wallet,
            "allowances": self.allowances,
            "rejected": self.rejected,
            "closing_wallet": self.closing,
        });
        if self.explained {
            if let Some(o) = v.as_object_mut() {
                o.insert("ledger".into(), serde_json::json!(self.ledger));
            }
        }
        v
    }

    /// A human invoice: per period an invoice table and the wallet ledger, then rejections.
    /// Columns are as wide as their longest entry, so long grant names keep the table aligned.
    pub fn to_human(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let money = |l: &BillLine| match (l.amount, l.kind) {
            (Some(a), _) => format!("{a} {}", self.currency),
            // The subscription's own events carry no money.
            (None, "change" | "cancel") => String::new(),
            (None, _) => "not published".to_string(),
        };
        let kind_w = self
            .lines
            .iter()
            .map(|l| l.kind.len())
            .max()
            .unwrap_or(0)
            .max(12);
        let desc_w = self
            .lines
            .iter()
            .map(|l| l.description.chars().count())
            .max()
            .unwrap_or(0)
            .max(58);
        let qty_w = self
            .lines
            .iter()
            .map(|l| l.quantity.as_deref().map_or(0, |q| q.chars().count()))
            .max()
            .unwrap_or(0)
            .max(18);
        let amount_w = self
            .lines
            .iter()
            .map(|l| money(l).chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        for p in &self.periods {
            let label = format!("{}-{:02}", p.year, p.month);
            let lines: Vec<&BillLine> = self.lines.iter().filter(|l| l.period == label).collect();
            let _ = writeln!(out, "period {label}");
            if lines.is_empty() {
                let _ = writeln!(out, "  (no charges)");
            }
            // A bill across versions says which version priced each run of lines.
            let mut shown: Option<&str> = None;
            for l in lines {
                if self.versions.len() > 1 && shown != Some(l.version.as_str()) {
                    let _ = writeln!(out, "  priced by version {}", l.version);
                    shown = Some(l.version.as_str());
                }
                let row = format!(
                    "  {:<kind_w$} {:<desc_w$} {:>qty_w$} {:>amount_w$}",
                    l.kind,
                    l.description,
                    l.quantity.as_deref().unwrap_or(""),
                    money(l)
                );
                let _ = writeln!(out, "{}", row.trim_end());
            }
        }
        let _ = writeln!(out, "total {} {}", self.total, self.currency);
        let _ = writeln!(out, "\nwallet");
        let names: Vec<String> = self
            .wallet
            .iter()
            .map(|g| format!("{} ({})", g.grant, g.unit))
            .collect();
        let name_w = names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max(52);
        let num_w = self
            .wallet
            .iter()
            .flat_map(|g| [g.granted, g.consumed, g.expired, g.remaining])
            .map(|v| v.to_string().len())
            .max()
            .unwrap_or(0)
            .max(12);
        let _ = writeln!(
            out,
            "  {:<name_w$} {:>num_w$} {:>num_w$} {:>num_w$} {:>num_w$}  expires",
            "grant", "granted", "consumed", "expired", "remaining"
        );
        for (g, name) in self.wallet.iter().zip(&names) {
            let _ = writeln!(
                out,
                "  {:<name_w$} {:>num_w$} {:>num_w$} {:>num_w$} {:>num_w$}  {}",
                name,
                g.granted,
                g.consumed,
                g.expired,
                g.remaining,
                g.expires.as_deref().unwrap_or("never")
            );
        }
        if !self.allowances.is_empty() {
            let _ = writeln!(out, "\nallowances");
            for a in &self.allowances {
                let _ = writeln!(
                    out,
                    "  {} {}: {} {} used, {} event{} beyond",
                    a.period,
                    a.allowance,
                    a.used,
                    a.unit,
                    a.beyond_events,
                    if a.beyond_events == 1 { "" } else { "s" }
                );
            }
        }
        if self.explained {
            let _ = writeln!(
                out,
                "\nledger (each usage event and the grants that paid it, in drawdown order)"
            );
            if self.ledger.is_empty() {
                let _ = writeln!(out, "  (no usage billed)");
            }
            for l in &self.ledger {
                let charge = l.charge.as_deref().unwrap_or("free");
                let _ = writeln!(
                    out,
                    "  line {} {} {} {}: {charge}, paid by {}",
                    l.line, l.time, l.product, l.quantity, l.paid_by
                );
                for d in &l.draws {
                    let _ = writeln!(
                        out,
                        "    {} {} from {} ({} {} left)",
                        d.amount, d.unit, d.grant, d.left, d.unit
                    );
                }
                if let Some(o) = &l.overage {
                    let _ = writeln!(out, "    {o} beyond the wallet, billed as overage");
                }
            }
        }
        if !self.rejected.is_empty() {
            let _ = writeln!(out, "\nrejected");
            for r in &self.rejected {
                let _ = writeln!(out, "  line {}: {} ({})", r.line, r.reason, r.kind);
            }
        }
        out
    }
}
