//! Charts as inline SVG, small and written here: grouped horizontal bars (what each plan buys of
//! each product) and lines (what a usage level costs on each plan, with the cross-over points).
//! Every chart is `role="img"` with a `<title>` and a `<desc>` that says what it shows; the
//! numbers are also in a table beside it. Geometry is computed in exact decimals, rounded to a
//! tenth of a pixel.

use super::html::esc;
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt::Write as _;

/// A pixel coordinate, to a tenth.
fn px(d: Decimal) -> String {
    d.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

fn dec(n: i64) -> Decimal {
    Decimal::from(n)
}

/// A tick step of 1, 2 or 5 x 10^k giving at most `most` ticks up to `max`.
pub(crate) fn tick_step(max: Decimal, most: i64) -> Decimal {
    if max <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let mut step = Decimal::new(1, 6);
    loop {
        for m in [1, 2, 5] {
            let s = step * dec(m);
            if max / s <= dec(most) {
                return s;
            }
        }
        step *= dec(10);
        if step > Decimal::from(1_000_000_000_000_000_i64) {
            return step;
        }
    }
}

/// The opening of a chart: its size, role and text alternatives.
fn open(out: &mut String, id: &str, width: i64, height: i64, title: &str, desc: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\">\n<title id=\"{id}-t\">{}</title>\n<desc id=\"{id}-d\">{}</desc>\n",
        esc(title),
        esc(desc)
    );
}

/// A legend of series names, in one row from `x`, `y`.
fn legend(out: &mut String, names: &[String], x: i64, y: i64) {
    let mut at = x;
    for (i, name) in names.iter().enumerate() {
        let _ = writeln!(
            out,
            "<rect class=\"s{}\" x=\"{at}\" y=\"{}\" width=\"10\" height=\"10\"/><text x=\"{}\" y=\"{}\">{}</text>",
            i % 6 + 1,
            y - 9,
            at + 14,
            y,
            esc(name)
        );
        at += 24 + 7 * name.chars().count() as i64;
    }
}

/// One bar of a group: its series and its value (none: no bar), with the text written after it.
pub(crate) struct Bar {
    pub series: usize,
    pub value: Option<Decimal>,
    pub label: String,
}

/// Horizontal bars grouped by row (a product), one bar per series (a plan).
pub(crate) fn bars(
    id: &str,
    title: &str,
    desc: &str,
    series: &[String],
    groups: &[(String, Vec<Bar>)],
) -> String {
    let (label_w, chart_w, text_w) = (190, 520, 150);
    let (bar_h, gap, group_gap, top) = (12, 2, 12, 34);
    let per_group = |n: usize| n as i64 * (bar_h + gap) + group_gap;
    let height = top + groups.iter().map(|(_, b)| per_group(b.len())).sum::<i64>() + 8;
    let width = label_w + chart_w + text_w;
    let max = groups
        .iter()
        .flat_map(|(_, b)| b.iter().filter_map(|b| b.value))
        .max()
        .unwrap_or(Decimal::ONE)
        .max(Decimal::ONE);
    let mut out = String::new();
    open(&mut out, id, width, height, title, desc);
    legend(&mut out, series, label_w, 14);
    let mut y = top;
    for (name, bs) in groups {
        let mid = y + (bs.len() as i64 * (bar_h + gap)) / 2;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 8,
            mid + 4,
            esc(name)
        );
        for b in bs {
            let w = b.value.map_or(Decimal::ZERO, |v| v * dec(chart_w) / max);
            let _ = writeln!(
                out,
                "<rect class=\"s{}\" x=\"{label_w}\" y=\"{y}\" width=\"{}\" height=\"{bar_h}\"><title>{}</title></rect><text x=\"{}\" y=\"{}\">{}</text>",
                b.series % 6 + 1,
                px(w),
                esc(&format!(
                    "{}: {}",
                    series.get(b.series).map_or("", String::as_str),
                    b.label
                )),
                px(dec(label_w) + w + dec(4)),
                y + bar_h - 2,
                esc(&b.label)
            );
            y += bar_h + gap;
        }
        y += group_gap;
    }
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{label_w}\" y1=\"{}\" x2=\"{label_w}\" y2=\"{}\"/>",
        top - 4,
        height - 8
    );
    out.push_str("</svg>\n");
    out
}

/// A series of a line chart: its name and its points `(x, y)`, in order of `x`.
pub(crate) struct Line {
    pub name: String,
    pub points: Vec<(Decimal, Decimal)>,
}

/// A marked `x` (a cross-over point) with its label.
pub(crate) struct Mark {
    pub x: Decimal,
    pub label: String,
}

/// Lines over a shared x axis from 0 to `x_max`, with vertical dashed marks.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lines(
    id: &str,
    title: &str,
    desc: &str,
    x_name: &str,
    y_name: &str,
    x_max: Decimal,
    series: &[Line],
    marks: &[Mark],
) -> String {
    let (left, right, top, bottom) = (70, 20, 40, 50);
    let (w, h) = (640, 300);
    let (width, height) = (left + w + right, top + h + bottom);
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .max()
        .unwrap_or(Decimal::ONE)
        .max(Decimal::ONE);
    let x_max = x_max.max(Decimal::ONE);
    let (xs, ys) = (tick_step(x_max, 6), tick_step(y_max, 5));
    let y_top = (y_max / ys).ceil() * ys;
    let sx = |x: Decimal| dec(left) + x * dec(w) / x_max;
    let sy = |y: Decimal| dec(top + h) - y * dec(h) / y_top;
    let mut out = String::new();
    open(&mut out, id, width, height, title, desc);
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    legend(&mut out, &names, left, 16);
    // Grid and ticks.
    let mut t = Decimal::ZERO;
    while t <= y_top {
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{left}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left + w,
            left - 6,
            px(sy(t) + dec(4)),
            crate::snapshot::words::grouped(t),
            y = px(sy(t)),
        );
        t += ys;
    }
    let mut t = Decimal::ZERO;
    while t <= x_max {
        let _ = writeln!(
            out,
            "<line class=\"axis\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            top + h,
            top + h + 5,
            top + h + 18,
            crate::snapshot::words::grouped(t),
            x = px(sx(t)),
        );
        t += xs;
    }
    let _ = writeln!(
        out,
        "<line class=\"axis\" x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><line class=\"axis\" x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\"/>",
        top + h,
        left + w,
        top + h,
        top + h
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">{}</text>",
        left + w / 2,
        height - 8,
        esc(x_name),
        top + h / 2,
        top + h / 2,
        esc(y_name)
    );
    for m in marks {
        let x = px(sx(m.x));
        let _ = writeln!(
            out,
            "<line class=\"cross\" x1=\"{x}\" y1=\"{top}\" x2=\"{x}\" y2=\"{}\"><title>{}</title></line>",
            top + h,
            esc(&m.label)
        );
    }
    for (i, s) in series.iter().enumerate() {
        let points: Vec<String> = s
            .points
            .iter()
            .map(|(x, y)| format!("{},{}", px(sx(*x)), px(sy(*y))))
            .collect();
        let _ = writeln!(
            out,
            "<polyline class=\"s{}\" points=\"{}\"><title>{}</title></polyline>",
            i % 6 + 1,
            points.join(" "),
            esc(&s.name)
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_one_two_or_five_of_a_power_of_ten() {
        assert_eq!(tick_step(dec(28_800), 6), dec(5000));
        assert_eq!(tick_step(dec(175), 5), dec(50));
        assert_eq!(tick_step(dec(1), 5), Decimal::new(2, 1));
    }

    #[test]
    fn charts_say_what_they_show() {
        let svg = bars(
            "b",
            "Seconds per plan",
            "Basic buys 214 seconds",
            &["Basic".into()],
            &[(
                "Hedra Avatar".into(),
                vec![Bar {
                    series: 0,
                    value: Some(dec(214)),
                    label: "214 s".into(),
                }],
            )],
        );
        assert!(svg.contains("role=\"img\" aria-labelledby=\"b-t b-d\""));
        assert!(svg.contains("<desc id=\"b-d\">Basic buys 214 seconds</desc>"));
        assert!(svg.contains("width=\"520\""));
    }
}
