//! The inline SVG summary of `index.html`: checks by status, and each framework's
//! controls by status, as stacked bars. No script, nothing fetched; every colour is paired
//! with its status's icon and word and the count, so the chart reads in black and white
//! and without telling colours apart.

use std::collections::BTreeMap;

use super::escape::html as esc;
use super::sections::frameworks::FrameworkView;
use super::sections::summary::Summary;

/// The statuses in the order the bars show them: (status, icon, word, fill colour).
pub const STATUSES: &[(&str, &str, &str, &str)] = &[
    ("pass", "✓", "pass", "#1a7f37"),
    ("partial", "◐", "partial", "#9a6700"),
    ("fail", "✗", "fail", "#cf222e"),
    ("manual", "✎", "manual", "#8250df"),
    ("not-collected", "∅", "not collected", "#57606a"),
    ("not-applicable", "–", "not applicable", "#afb8c1"),
];

const WIDTH: u32 = 720;
const BAR_X: u32 = 8;
const BAR_W: u32 = WIDTH - 16;
const BAR_H: u32 = 18;
/// Height of one chart: its title, its bar, its legend line.
const ROW_H: u32 = 62;

/// One stacked bar: a title and the counts by status.
struct Bar<'a> {
    what: &'a str,
    title: String,
    counts: &'a BTreeMap<String, usize>,
}

/// The summary chart: checks by status, then each framework's controls by status.
pub fn summary_svg(summary: &Summary, frameworks: &[FrameworkView]) -> String {
    let per_framework: Vec<(String, BTreeMap<String, usize>)> = frameworks
        .iter()
        .map(|f| {
            let mut counts = BTreeMap::new();
            for c in &f.controls {
                *counts.entry(c.status.clone()).or_insert(0) += 1;
            }
            (
                format!("{} controls ({})", f.name, f.controls.len()),
                counts,
            )
        })
        .collect();
    let mut bars = vec![Bar {
        what: "checks",
        title: format!("Checks by status ({})", summary.check_total),
        counts: &summary.checks,
    }];
    for (i, (title, counts)) in per_framework.iter().enumerate() {
        bars.push(Bar {
            what: frameworks[i].id.as_str(),
            title: title.clone(),
            counts,
        });
    }
    let height = ROW_H * bars.len() as u32 + 4;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"summary-chart\" role=\"img\" \
         viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n\
         <title>Checks and controls by status</title>\n"
    );
    for (i, bar) in bars.iter().enumerate() {
        draw_bar(&mut s, bar, ROW_H * i as u32);
    }
    s.push_str("</svg>\n");
    s
}

fn draw_bar(s: &mut String, bar: &Bar, top: u32) {
    let total: usize = bar.counts.values().sum();
    let data: String = STATUSES
        .iter()
        .map(|(st, ..)| {
            format!(
                " data-{st}=\"{}\"",
                bar.counts.get(*st).copied().unwrap_or(0)
            )
        })
        .collect();
    s.push_str(&format!(
        "<g class=\"bar\" data-what=\"{}\" data-total=\"{total}\"{data}>\n",
        esc(bar.what)
    ));
    s.push_str(&format!(
        "<text x=\"{BAR_X}\" y=\"{}\" font-weight=\"bold\">{}</text>\n",
        top + 14,
        esc(&bar.title)
    ));
    let y = top + 20;
    // The outline shows the whole bar even when it is empty.
    s.push_str(&format!(
        "<rect x=\"{BAR_X}\" y=\"{y}\" width=\"{BAR_W}\" height=\"{BAR_H}\" fill=\"none\" stroke=\"#1b1f24\" stroke-width=\"0.5\"/>\n"
    ));
    let mut x = BAR_X as f64;
    let mut legend = Vec::new();
    for (st, icon, word, colour) in STATUSES {
        let n = bar.counts.get(*st).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        legend.push(format!("{icon} {word} {n}"));
        let w = BAR_W as f64 * n as f64 / total.max(1) as f64;
        s.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{BAR_H}\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"1.5\"><title>{word}: {n}</title></rect>\n"
        ));
        // The icon and count inside the segment when it is wide enough (white on colour).
        if w >= 30.0 {
            s.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" fill=\"#ffffff\" text-anchor=\"middle\" font-weight=\"bold\">{icon} {n}</text>\n",
                x + w / 2.0,
                y + 13
            ));
        }
        x += w;
    }
    if legend.is_empty() {
        legend.push("none".into());
    }
    s.push_str(&format!(
        "<text x=\"{BAR_X}\" y=\"{}\">{}</text>\n</g>\n",
        y + BAR_H + 16,
        esc(&legend.join("   ·   "))
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_states_every_count_in_text() {
        let mut summary = Summary::default();
        summary.checks.insert("pass".into(), 3);
        summary.checks.insert("fail".into(), 1);
        summary.check_total = 4;
        let svg = summary_svg(&summary, &[]);
        assert!(svg.contains("data-pass=\"3\""));
        assert!(svg.contains("✓ pass 3   ·   ✗ fail 1"), "{svg}");
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("href"));
    }
}
