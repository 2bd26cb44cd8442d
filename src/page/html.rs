//! HTML pieces: escaping, the document shell with its inline style sheet (light and dark, and
//! for print), and semantic tables. Nothing is loaded from anywhere: a page works from
//! `file://` and offline.

use std::fmt::Write as _;

/// Text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The style sheet: system fonts, one accent per chart series, light by default and dark when
/// the reader's system is, and a print layout without navigation or the calculator.
const STYLE: &str = r#"
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de;
  --head: #f6f8fa; --accent: #0969da; --up: #b42318; --down: #1a7f37;
  --s1: #0969da; --s2: #bf3989; --s3: #1a7f37; --s4: #9a6700; --s5: #8250df; --s6: #cf222e; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --head: #161b22;
    --accent: #4493f8; --up: #f85149; --down: #3fb950;
    --s1: #4493f8; --s2: #db61a2; --s3: #3fb950; --s4: #d29922; --s5: #a371f7; --s6: #ff7b72; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 2rem; margin: 0 0 .25rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid var(--line); }
a { color: var(--accent); } .muted, caption, figcaption { color: var(--muted); }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; padding: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .75rem 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; padding: .25rem 0; caption-side: top; }
th, td { border: 1px solid var(--line); padding: .3rem .6rem; text-align: left; vertical-align: top; }
thead th, th[scope=row] { background: var(--head); }
td.num, th.num { text-align: right; } td.num { white-space: nowrap; }
.plans { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: 1rem; }
.plan { border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; }
.plan h3 { margin: 0; } .plan .price { font-size: 1.5rem; font-weight: 600; margin: .25rem 0; }
.plan ul { padding-left: 1.1rem; margin: .5rem 0 0; }
figure { margin: 1rem 0; } svg { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg text { fill: var(--fg); } svg .axis { stroke: var(--muted); } svg .grid { stroke: var(--line); }
svg .s1 { stroke: var(--s1); fill: var(--s1); } svg .s2 { stroke: var(--s2); fill: var(--s2); }
svg .s3 { stroke: var(--s3); fill: var(--s3); } svg .s4 { stroke: var(--s4); fill: var(--s4); }
svg .s5 { stroke: var(--s5); fill: var(--s5); } svg .s6 { stroke: var(--s6); fill: var(--s6); }
svg polyline[class] { fill: none; stroke-width: 2; } svg .cross { stroke: var(--muted); stroke-dasharray: 4 3; }
.up { color: var(--up); } .down { color: var(--down); }
details { margin: .5rem 0; } summary { cursor: pointer; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
form.calculator fieldset { border: 1px solid var(--line); border-radius: .5rem; margin: .75rem 0; }
form.calculator label { display: inline-block; margin: .25rem .75rem .25rem 0; }
form.calculator input, form.calculator select, form.calculator button { font: inherit; padding: .2rem .4rem; }
output { display: block; margin-top: .75rem; }
@media print {
  nav, .calculator, .no-print { display: none; }
  body { max-width: none; padding: 0; }
  h2 { break-after: avoid; } table, figure, .plan { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// A whole document: `<!doctype html>`, the head with the style sheet, and `body`.
pub(crate) fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"pricebook\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    )
}

/// A table: a caption, a header row (the first column's cells are row headers) and rows of
/// cells already escaped; `numeric` columns are right-aligned.
pub(crate) struct Table<'a> {
    pub caption: &'a str,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns (by index) holding numbers.
    pub numeric: Vec<usize>,
}

impl Table<'_> {
    pub(crate) fn render(&self, out: &mut String) {
        let _ = write!(
            out,
            "<div class=\"scroll\"><table>\n<caption>{}</caption>\n<thead><tr>",
            esc(self.caption)
        );
        for (i, h) in self.head.iter().enumerate() {
            let class = if self.numeric.contains(&i) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(out, "<th scope=\"col\"{class}>{h}</th>");
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for (i, c) in row.iter().enumerate() {
                if i == 0 {
                    let _ = write!(out, "<th scope=\"row\">{c}</th>");
                } else if self.numeric.contains(&i) {
                    let _ = write!(out, "<td class=\"num\">{c}</td>");
                } else {
                    let _ = write!(out, "<td>{c}</td>");
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table></div>\n");
    }
}

/// A file name for a label: letters, digits, `.`, `_` and `-` kept, anything else `-`.
pub(crate) fn file_name(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("v{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_labels_are_file_names() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(file_name("2026-06"), "2026-06");
        assert_eq!(file_name("globex 2026/1"), "globex-2026-1");
        assert_eq!(file_name(".."), "v..");
    }
}
