//! A diff of two versions as a pull-request comment in Markdown: what changed, by how much, the
//! impact on a sample usage, prices up and down marked (▲ ▼), as Infracost comments cloud costs.

use crate::diff::{Change, Diff, ItemChanges, Section, UsageTotal};
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// The first line of every comment, so a workflow finds and replaces its earlier comment.
pub const MARKER: &str = "<!-- pricebook diff -->";

/// `▲` up, `▼` down, nothing otherwise.
fn arrow(p: Option<Decimal>) -> &'static str {
    match p {
        Some(p) if p > Decimal::ZERO => "▲",
        Some(p) if p < Decimal::ZERO => "▼",
        _ => "",
    }
}

fn percent(p: Option<Decimal>) -> String {
    match p {
        Some(p) if p > Decimal::ZERO => format!("▲ +{p}%"),
        Some(p) if p < Decimal::ZERO => format!("▼ {p}%"),
        Some(p) => format!("{p}%"),
        None => String::new(),
    }
}

/// Text for a table cell: `|` escaped, one line.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Inline code, with backticks kept out of it.
fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

fn counts(s: &Section) -> Option<String> {
    let parts: Vec<String> = [
        (s.added.len(), "added"),
        (s.removed.len(), "removed"),
        (s.changed.len(), "changed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, w)| format!("{n} {w}"))
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// A change as a table row; `item` is the product, plan or pack (none for the book's rules).
fn change_row(out: &mut String, item: Option<&str>, c: &Change) {
    let mut change = percent(c.percent);
    if let Some(n) = &c.note {
        if !change.is_empty() {
            change.push_str("; ");
        }
        change.push_str(n);
    }
    let item = item.map_or(String::new(), |i| format!(" {i} |"));
    let _ = writeln!(
        out,
        "| {} |{item} {} | {} | {} | {} |",
        arrow(c.percent),
        cell(&c.what),
        cell(c.old.as_deref().unwrap_or("none")),
        cell(c.new.as_deref().unwrap_or("none")),
        cell(&change)
    );
}

fn section(out: &mut String, title: &str, s: &Section) {
    let Some(counts) = counts(s) else {
        return;
    };
    let _ = writeln!(out, "#### {title} ({counts})\n");
    out.push_str("| | Item | What | Old | New | Change |\n|---|---|---|---|---|--:|\n");
    let named = |slug: &str, display: &str| format!("{} {}", code(slug), cell(display));
    for n in &s.added {
        let _ = writeln!(out, "| + | {} | added | | | |", named(&n.slug, &n.display));
    }
    for n in &s.removed {
        let _ = writeln!(
            out,
            "| − | {} | removed | | | |",
            named(&n.slug, &n.display)
        );
    }
    for ItemChanges {
        slug,
        display,
        changes,
    } in &s.changed
    {
        for c in changes {
            change_row(out, Some(&named(slug, display)), c);
        }
    }
    out.push('\n');
}

fn total(t: &Option<UsageTotal>) -> String {
    let Some(t) = t else {
        return "no such plan".into();
    };
    let mut parts: Vec<String> = t
        .charges
        .iter()
        .map(|c| format!("{} {}", c.amount, c.unit))
        .collect();
    if parts.is_empty() {
        parts.push("nothing".into());
    }
    let mut s = parts.join(" + ");
    if let Some(m) = &t.money {
        let _ = write!(s, ", **{} {}**", m.amount, m.unit);
    }
    if !t.rejected.is_empty() {
        let _ = write!(s, " ({} rejected)", t.rejected.len());
    }
    s
}

/// Counts of the numbers that went up and down, over every change.
fn ups_and_downs(d: &Diff) -> (usize, usize) {
    let all = [&d.products, &d.plans, &d.packs]
        .into_iter()
        .flat_map(|s| s.changed.iter().flat_map(|i| &i.changes))
        .chain(&d.book);
    let (mut up, mut down) = (0, 0);
    for c in all {
        match c.percent {
            Some(p) if p > Decimal::ZERO => up += 1,
            Some(p) if p < Decimal::ZERO => down += 1,
            _ => {}
        }
    }
    (up, down)
}

/// The diff as a Markdown pull-request comment.
///
/// ```
/// use pricebook::diff::{Side, diff};
/// let old = pricebook::compile_source(r#"
/// pricebook acme version "1" effective 2026-01-01 currency USD
/// unit credit
/// product "Render" as render { measure time  rate 2 credit / second }
/// plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
/// "#).unwrap();
/// let new = pricebook::compile_source(r#"
/// pricebook acme version "2" effective 2026-07-01 currency USD
/// unit credit
/// product "Render" as render { measure time  rate 3 credit / second }
/// plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
/// "#).unwrap();
/// let md = pricebook::page::diff_markdown(&diff(&Side::table(&old, "v1"), &Side::table(&new, "v2")));
/// assert!(md.starts_with(pricebook::page::MARKER));
/// assert!(md.contains("| ▲ | `render` Render | rate | 2 credit / second | 3 credit / second | ▲ +50% |"));
/// ```
pub fn diff_markdown(d: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    let _ = writeln!(
        out,
        "### Price changes: {} {} → {}\n",
        d.new.vendor, d.old.version, d.new.version
    );
    let _ = writeln!(
        out,
        "Old: {} (effective {}) · New: {} (effective {})\n",
        code(&d.old.source),
        d.old.effective,
        code(&d.new.source),
        d.new.effective
    );
    if d.is_empty() {
        out.push_str("No differences in products, plans, packs or book rules.\n\n");
    } else {
        let (up, down) = ups_and_downs(d);
        let mut summary = vec![format!("**{up} up ▲, {down} down ▼**")];
        for (name, s) in [
            ("products", &d.products),
            ("plans", &d.plans),
            ("packs", &d.packs),
        ] {
            if let Some(c) = counts(s) {
                summary.push(format!("{name}: {c}"));
            }
        }
        if !d.book.is_empty() {
            summary.push(format!("book rules: {} changed", d.book.len()));
        }
        let _ = writeln!(out, "{}\n", summary.join(" · "));
        section(&mut out, "Products", &d.products);
        section(&mut out, "Plans", &d.plans);
        section(&mut out, "Packs", &d.packs);
        if !d.book.is_empty() {
            out.push_str("#### Book\n\n| | What | Old | New | Change |\n|---|---|---|---|--:|\n");
            for c in &d.book {
                change_row(&mut out, None, c);
            }
            out.push('\n');
        }
    }
    if let Some(u) = &d.usage {
        let _ = writeln!(
            out,
            "#### Impact on the sample usage ({} line{})\n",
            u.lines,
            if u.lines == 1 { "" } else { "s" }
        );
        out.push_str("| Plan | Before | After | Change |\n|---|--:|--:|--:|\n");
        for p in &u.plans {
            let change = match (p.money_percent, p.charge_percent) {
                (Some(m), _) => percent(Some(m)),
                (None, Some(c)) => format!("{} (charge)", percent(Some(c))),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} |",
                cell(&p.display),
                code(&p.plan),
                cell(&total(&p.old)),
                cell(&total(&p.new)),
                cell(&change)
            );
        }
        out.push('\n');
        let unpriced: Vec<String> = [("before", &u.unpriced_old), ("after", &u.unpriced_new)]
            .iter()
            .flat_map(|(when, list)| {
                list.iter().map(move |r| {
                    format!(
                        "- not priced {when}: line {} ({}): {}",
                        r.line, r.product, r.reason
                    )
                })
            })
            .chain(
                u.bad_lines
                    .iter()
                    .map(|b| format!("- line {} not read: {}", b.line, b.reason)),
            )
            .collect();
        if !unpriced.is_empty() {
            let _ = writeln!(out, "{}\n", unpriced.join("\n"));
        }
    }
    if !d.notes.is_empty() {
        out.push_str("<details><summary>Notes</summary>\n\n");
        for n in &d.notes {
            let _ = writeln!(out, "- {n}");
        }
        out.push_str("\n</details>\n\n");
    }
    out.push_str("<sub>Generated by `pricebook diff --format markdown`.</sub>\n");
    out
}
