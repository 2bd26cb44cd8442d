//! A vendor's version history: a timeline of its versions and each version's diff from the one
//! before, as [`crate::diff`] computes it.

use super::html::{esc, file_name};
use crate::diff::{Change, Diff, Section};
use crate::load::Version;
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// One version of the history, with its diff from the version before (none for the first).
pub(crate) struct Entry<'a> {
    pub version: &'a Version,
    pub diff: Option<Diff>,
    /// The page written for the version.
    pub href: String,
}

/// The href of a version's page.
pub(crate) fn href(v: &Version) -> String {
    format!("{}.html", file_name(&v.label))
}

fn change_cell(c: &Change) -> String {
    let mut s = match c.percent {
        Some(p) if p > Decimal::ZERO => format!("<span class=\"up\">▲ +{p}%</span>"),
        Some(p) if p < Decimal::ZERO => format!("<span class=\"down\">▼ {p}%</span>"),
        Some(p) => format!("{p}%"),
        None => String::new(),
    };
    if let Some(n) = &c.note {
        if !s.is_empty() {
            s.push_str("; ");
        }
        s.push_str(&esc(n));
    }
    s
}

fn section(out: &mut String, title: &str, s: &Section) {
    if s.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<div class=\"scroll\"><table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">Item</th><th scope=\"col\">What</th><th scope=\"col\">Old</th><th scope=\"col\">New</th><th scope=\"col\" class=\"num\">Change</th></tr></thead>\n<tbody>\n",
        esc(title)
    );
    for n in &s.added {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>added</td><td></td><td></td><td></td></tr>",
            esc(&n.display)
        );
    }
    for n in &s.removed {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>removed</td><td></td><td></td><td></td></tr>",
            esc(&n.display)
        );
    }
    for i in &s.changed {
        for c in &i.changes {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                esc(&i.display),
                esc(&c.what),
                esc(c.old.as_deref().unwrap_or("none")),
                esc(c.new.as_deref().unwrap_or("none")),
                change_cell(c)
            );
        }
    }
    out.push_str("</tbody>\n</table></div>\n");
}

/// A diff as HTML tables.
pub(crate) fn diff_html(d: &Diff) -> String {
    let mut out = String::new();
    if d.is_empty() {
        out.push_str("<p>No differences in products, plans, packs or book rules.</p>\n");
    }
    section(&mut out, "Products", &d.products);
    section(&mut out, "Plans", &d.plans);
    section(&mut out, "Packs", &d.packs);
    if !d.book.is_empty() {
        out.push_str("<ul>\n");
        for c in &d.book {
            let _ = writeln!(
                out,
                "<li>{}: {} → {} {}</li>",
                esc(&c.what),
                esc(c.old.as_deref().unwrap_or("none")),
                esc(c.new.as_deref().unwrap_or("none")),
                change_cell(c)
            );
        }
        out.push_str("</ul>\n");
    }
    out
}

/// The timeline as SVG: one dot per version, placed by its effective date.
fn timeline(entries: &[Entry<'_>], current: &str) -> String {
    // Room either side for a label centred on the first and last dot.
    let (left, width, y) = (90i64, 600i64, 40i64);
    let first = entries.first().map_or(0, |e| e.version.effective.days());
    let last = entries.last().map_or(0, |e| e.version.effective.days());
    let span = (last - first).max(1);
    let mut out = String::new();
    let labels: Vec<String> = entries
        .iter()
        .map(|e| format!("{} from {}", e.version.label, e.version.effective))
        .collect();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} 90\" width=\"{w}\" height=\"90\" role=\"img\" aria-labelledby=\"timeline-t timeline-d\">\n<title id=\"timeline-t\">Versions by effective date</title>\n<desc id=\"timeline-d\">{}</desc>\n<line class=\"axis\" x1=\"{left}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>\n",
        esc(&labels.join("; ")),
        left + width,
        w = left * 2 + width
    );
    for (i, e) in entries.iter().enumerate() {
        let x = left + (e.version.effective.days() - first) * width / span;
        let dy = if i % 2 == 0 { -12 } else { 26 };
        let class = if e.version.label == current {
            "s2"
        } else {
            "s1"
        };
        let _ = writeln!(
            out,
            "<a href=\"{}\"><circle class=\"{class}\" cx=\"{x}\" cy=\"{y}\" r=\"6\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{} ({})</text></a>",
            esc(&e.href),
            y + dy,
            esc(&e.version.label),
            e.version.effective
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The history section: the timeline, then each version, newest first, with its diff.
pub(crate) fn section_html(entries: &[Entry<'_>], current: &str) -> String {
    let mut out = String::from(
        "<section id=\"history\" aria-labelledby=\"history-h\">\n<h2 id=\"history-h\">Version history</h2>\n<figure>\n",
    );
    out.push_str(&timeline(entries, current));
    out.push_str("<figcaption>Each version by the day it takes effect; the highlighted one is this page's.</figcaption>\n</figure>\n<ol reversed>\n");
    for (i, e) in entries.iter().enumerate().rev() {
        let until = entries.get(i + 1).map_or("current".to_string(), |n| {
            format!("until {}", n.version.effective)
        });
        let _ = write!(
            out,
            "<li><a href=\"{}\">{}</a>, in force from {} ({until})",
            esc(&e.href),
            esc(&e.version.label),
            e.version.effective
        );
        if let Some(d) = &e.diff {
            let _ = write!(
                out,
                "<details><summary>What changed from {}</summary>\n{}</details>",
                esc(&d.old.version),
                diff_html(d)
            );
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n</section>\n");
    out
}
