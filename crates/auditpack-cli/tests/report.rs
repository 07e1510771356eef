//! The report a reviewer reads: the demo packet's text (no leaked escapes, no empty
//! clauses, no `1 objects`), its links (OSCAL hrefs, evidence links, CommonMark anchors as
//! cmark-gfm renders them), its inline SVG summary and its printed layout.

mod common;
use common::ok;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `auditpack demo` into `dir/demo` and returns the packet folder.
fn demo_packet(dir: &Path) -> PathBuf {
    let out = dir.join("demo");
    ok(dir, &["demo", "--out", out.to_str().unwrap()]);
    out.join("packet")
}

fn text(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every string value under `key` anywhere in `v`.
fn values_of<'a>(v: &'a serde_json::Value, key: &str, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == key
                    && let Some(s) = x.as_str()
                {
                    out.push(s);
                }
                values_of(x, key, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| values_of(x, key, out)),
        _ => {}
    }
}

/// Whether a relative link `href` (its `#fragment` dropped), read from the file `from`
/// inside the packet `root`, names a file of the packet.
fn resolves(root: &Path, from: &str, href: &str) -> bool {
    let path = href.split('#').next().unwrap_or(href);
    let base = Path::new(from).parent().unwrap_or(Path::new(""));
    let mut parts: Vec<String> = base
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return false; // outside the packet
                }
            }
            s => parts.push(s.to_string()),
        }
    }
    root.join(parts.join("/")).is_file()
}

// OSCAL `relevant-evidence` and back-matter hrefs are relative to the OSCAL file (in
// `oscal/`): every relative one names a file of the packet.
#[test]
fn every_relative_oscal_href_resolves_to_a_packet_file() {
    let tmp = tempfile::tempdir().unwrap();
    let packet = demo_packet(tmp.path());
    let mut checked = 0;
    for e in std::fs::read_dir(packet.join("oscal")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let rel = format!("oscal/{}", p.file_name().unwrap().to_string_lossy());
        let doc: serde_json::Value = serde_json::from_str(&text(&packet, &rel)).unwrap();
        let mut hrefs = Vec::new();
        values_of(&doc, "href", &mut hrefs);
        for h in hrefs {
            if h.starts_with('#') || h.contains(':') {
                continue;
            }
            assert!(
                resolves(&packet, &rel, h),
                "{rel}: href {h} names no packet file"
            );
            checked += 1;
        }
    }
    assert!(
        checked > 10,
        "only {checked} relative hrefs: is the test looking?"
    );
    // The check itself: a root-relative href from oscal/ does not resolve.
    assert!(!resolves(&packet, "oscal/x.json", "evidence/pods.yaml"));
    assert!(resolves(&packet, "oscal/x.json", "../evidence/pods.yaml"));
}

fn run(cmd: &mut Command) -> std::process::Output {
    let o = cmd.output().expect("run");
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// The values of `attr="…"` in an HTML text.
fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let pat = format!("{attr}=\"");
    html.match_indices(&pat)
        .filter_map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            rest.find('"').map(|end| rest[..end].to_string())
        })
        .collect()
}

const CMARK_GFM: &str = "/usr/bin/cmark-gfm";

/// `packet.md` as Debian's cmark-gfm renders it (GFM tables; raw HTML kept, as GitHub keeps
/// `<a id>` anchors).
fn cmark_gfm(md: &Path) -> String {
    assert!(
        Path::new(CMARK_GFM).exists(),
        "{CMARK_GFM} is missing: install it (apt-get install cmark-gfm, or scripts/setup-test-deps.sh); this test does not skip"
    );
    let o = run(Command::new(CMARK_GFM)
        .args(["--unsafe", "-e", "table", "-e", "autolink"])
        .arg(md));
    String::from_utf8(o.stdout).unwrap()
}

// A CommonMark renderer shows no `{#id}` heading attribute literally, and every internal
// link of packet.md resolves to an anchor in what it renders.
#[test]
fn packet_md_renders_with_cmark_gfm_and_every_internal_link_resolves() {
    let tmp = tempfile::tempdir().unwrap();
    let packet = demo_packet(tmp.path());
    let html = cmark_gfm(&packet.join("packet.md"));
    assert!(!html.contains("{#"), "a literal heading attribute: {}", {
        let i = html.find("{#").unwrap();
        &html[i.saturating_sub(80)..(i + 40).min(html.len())]
    });
    let ids: std::collections::BTreeSet<String> = attr_values(&html, "id").into_iter().collect();
    let hrefs = attr_values(&html, "href");
    let internal: Vec<&String> = hrefs.iter().filter(|h| h.starts_with('#')).collect();
    assert!(
        internal.len() > 30,
        "only {} internal links",
        internal.len()
    );
    let broken: Vec<&&String> = internal.iter().filter(|h| !ids.contains(&h[1..])).collect();
    assert!(broken.is_empty(), "links to no anchor: {broken:?}");
    for id in [
        "cover",
        "summary",
        "control-matrix",
        "verify",
        "check-rbac-cluster-admin",
    ] {
        assert!(ids.contains(id), "no anchor {id}");
    }
    // Relative links name files of the packet.
    for h in hrefs
        .iter()
        .filter(|h| !h.starts_with('#') && !h.contains(':'))
    {
        assert!(
            resolves(&packet, "packet.md", h),
            "packet.md links to {h}: no such file"
        );
    }
    // The negative control: a link to an anchor that is not there is seen.
    assert!(!ids.contains("no-such-anchor"));
}

/// The text of an HTML page a reader sees, without code (`<code>`, `<pre>`) and tags, and
/// with entities decoded.
fn reader_text(html: &str) -> String {
    let body = &html[html.find("<body").unwrap_or(0)..];
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let skip = ["<code", "<pre", "<svg", "<style"]
            .iter()
            .find(|t| rest.starts_with(**t))
            .map(|t| format!("</{}>", &t[1..]));
        match skip {
            Some(close) => match rest.find(&close) {
                Some(j) => {
                    out.push_str("CODE");
                    rest = &rest[j + close.len()..];
                }
                None => rest = "",
            },
            None => match rest.find('>') {
                Some(j) => rest = &rest[j + 1..],
                None => rest = "",
            },
        }
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Nouns whose plural after `1` is a slip (`1 objects`).
const NOUNS: &[&str] = &[
    "objects",
    "subjects",
    "namespaces",
    "pods",
    "bindings",
    "findings",
    "observations",
    "policies",
    "rules",
    "secrets",
    "roles",
    "workloads",
    "files",
    "checks",
    "controls",
    "gaps",
    "users",
    "groups",
    "permissions",
    "problems",
    "serviceaccounts",
    "removals",
];

/// The slips a reader would trip over in `text`: empty clauses, `1 objects`, escaped or
/// stray backticks, raw JSON pointers.
fn text_slips(text: &str) -> Vec<String> {
    let mut slips = Vec::new();
    let mut at = |what: &str, i: usize| {
        let (a, b) = (
            text.floor_char_boundary(i.saturating_sub(50)),
            text.ceil_char_boundary((i + 50).min(text.len())),
        );
        slips.push(format!("{what}: …{}…", &text[a..b]));
    };
    for pat in [":  ", " .", ": .", " ,", "\\`", "`", "{#"] {
        for (i, _) in text.match_indices(pat) {
            at(pat, i);
        }
    }
    for (i, _) in text.match_indices("1 ") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == ',') {
            continue;
        }
        let word: String = text[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if NOUNS.contains(&word.to_ascii_lowercase().as_str()) {
            at("plural after 1", i);
        }
    }
    for (i, _) in text.match_indices("~1") {
        if text[..i]
            .rsplit(' ')
            .next()
            .is_some_and(|w| w.contains('/'))
        {
            at("raw JSON pointer", i);
        }
    }
    slips
}

// What a reviewer reads has no empty clauses, no `1 objects`, no escaped backticks
// leaking as text, no `{#id}`, and field paths instead of raw JSON pointers.
#[test]
fn the_demo_packet_reads_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let packet = demo_packet(tmp.path());
    let html = text(&packet, "index.html");
    let slips = text_slips(&reader_text(&html));
    assert!(slips.is_empty(), "index.html:\n{}", slips.join("\n"));
    let md = text(&packet, "packet.md");
    for bad in ["\\`", "{#", "~1"] {
        assert!(!md.contains(bad), "packet.md holds {bad:?}");
    }
    // Pointers are shown as field paths (`metadata.labels["app"]`).
    assert!(md.contains("\"]`"), "no field path with a quoted key");
    // The detector itself finds each kind of slip.
    for bad in [
        "What the evidence shows:  The gaps are listed below.",
        "it ends here .",
        "Pods: collected, 1 objects; more",
        "wildcard (\\`\\*\\`) access",
        "at /metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
    ] {
        assert!(!text_slips(bad).is_empty(), "not caught: {bad}");
    }
    assert!(text_slips("Pods: collected, 1 object; 21 objects, v1.31 pods").is_empty());
}

// Evidence locations are links, and every relative link of index.html names a packet file.
#[test]
fn evidence_locations_link_to_the_evidence_files() {
    let tmp = tempfile::tempdir().unwrap();
    let packet = demo_packet(tmp.path());
    let html = text(&packet, "index.html");
    let hrefs = attr_values(&html, "href");
    let files: Vec<&String> = hrefs
        .iter()
        .filter(|h| !h.starts_with('#') && !h.contains(':'))
        .collect();
    assert!(
        files.iter().filter(|h| h.starts_with("evidence/")).count() > 20,
        "evidence locations are not links"
    );
    for h in files {
        assert!(
            resolves(&packet, "index.html", h),
            "index.html links to {h}: no such file"
        );
    }
    // The matrix row of a check links its evidence file.
    let md = text(&packet, "packet.md");
    let row = md
        .lines()
        .find(|l| l.starts_with("| [Every pod is covered by a NetworkPolicy]"))
        .expect("matrix row");
    assert!(
        row.contains("[`evidence/pods.yaml`](evidence/pods.yaml)"),
        "{row}"
    );
}

/// The inline SVG of index.html (the summary chart).
fn summary_svg(html: &str) -> &str {
    let start = html.find("<svg").expect("index.html has an inline SVG");
    let end = html[start..].find("</svg>").expect("the SVG is closed") + start + "</svg>".len();
    &html[start..end]
}

// The summary chart is well-formed SVG with no script and nothing fetched, and its numbers
// are the findings' counts: checks by status, and each framework's controls by status.
#[test]
fn the_summary_chart_is_inline_svg_with_the_findings_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let packet = demo_packet(tmp.path());
    let html = text(&packet, "index.html");
    assert_eq!(html.matches("<svg").count(), 1);
    let svg = summary_svg(&html);
    let lower = svg.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "script in the SVG");
    assert!(!lower.contains("href"), "a link or reference in the SVG");
    assert!(!lower.contains("url("), "a fetched resource in the SVG");
    let file = tmp.path().join("chart.svg");
    std::fs::write(&file, svg).unwrap();
    // Parsed by Python's XML parser: bars as `what status=count ...` lines.
    let o = run(Command::new("python3").arg("-c").arg(
        r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
for el in root.iter():
    assert not el.tag.endswith("script"), el.tag
for g in root.iter("{http://www.w3.org/2000/svg}g"):
    if g.get("class") != "bar":
        continue
    counts = " ".join(f"{k[5:]}={v}" for k, v in sorted(g.attrib.items()) if k.startswith("data-") and k not in ("data-what", "data-total"))
    text = " ".join("".join(t.itertext()) for t in g.iter("{http://www.w3.org/2000/svg}text"))
    print(g.get("data-what"), g.get("data-total"), counts, "|", text)
"#,
    ).arg(&file));
    let out = String::from_utf8(o.stdout).unwrap();
    let findings: serde_json::Value =
        serde_json::from_str(&text(&packet, "findings.json")).unwrap();
    let statuses = [
        "fail",
        "manual",
        "not-applicable",
        "not-collected",
        "partial",
        "pass",
    ];
    let expect = |what: &str, items: Vec<&serde_json::Value>| {
        let count = |st: &str| items.iter().filter(|c| c["status"] == st).count();
        let counts: Vec<String> = statuses
            .iter()
            .map(|s| format!("{s}={}", count(s)))
            .collect();
        let line = out
            .lines()
            .find(|l| l.split(' ').next() == Some(what))
            .unwrap_or_else(|| panic!("no bar for {what} in:\n{out}"));
        let want = format!("{what} {} {}", items.len(), counts.join(" "));
        assert!(
            line.starts_with(&format!("{want} |")),
            "{line}\nwant {want}"
        );
        // Each non-zero count is written as text beside its word (not by colour alone).
        for (s, word) in [
            ("pass", "✓ pass"),
            ("fail", "✗ fail"),
            ("not-collected", "∅ not collected"),
        ] {
            let n = count(s);
            if n > 0 {
                assert!(line.contains(&format!("{word} {n}")), "{line}");
            }
        }
    };
    expect(
        "checks",
        findings["checks"].as_array().unwrap().iter().collect(),
    );
    for fw in findings["frameworks"].as_array().unwrap() {
        let id = fw["id"].as_str().unwrap();
        let controls = findings["controls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["framework"] == id)
            .collect();
        expect(id, controls);
    }
    // It sits under the summary heading, and statuses in the tables pair colour with text.
    let summary = html.find("<h2 id=\"summary\">").unwrap();
    assert!(html.find("<svg").unwrap() > summary);
    assert!(html.contains("<span class=\"status status-fail\">✗ <strong>fail</strong></span>"));
}

/// Prints `index.html` to PDF with headless Chromium (A4, the print stylesheet), offline.
fn print_pdf(index: &Path, pdf: &Path) {
    let chromium = "/usr/bin/chromium";
    assert!(
        Path::new(chromium).exists(),
        "{chromium} is missing: install it (apt-get install chromium); this test does not skip"
    );
    let profile = tempfile::tempdir().unwrap();
    run(Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", index.display())));
}

fn poppler(tool: &str, args: &[&str], pdf: &Path) -> String {
    let path = format!("/usr/bin/{tool}");
    assert!(
        Path::new(&path).exists(),
        "{path} is missing: install poppler-utils (scripts/setup-test-deps.sh); this test does not skip"
    );
    let o = run(Command::new(path).args(args).arg(pdf).arg("-"));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

// Printed, the report has a table of contents, a running header with the packet id and
// numbered pages ("Page N of M"), on A4.
#[test]
fn the_printed_report_has_contents_page_numbers_and_a_running_header() {
    let tmp = tempfile::tempdir().unwrap();
    let packet = demo_packet(tmp.path());
    let pdf = tmp.path().join("report.pdf");
    print_pdf(&packet.join("index.html"), &pdf);
    let info = {
        let o = run(Command::new("/usr/bin/pdfinfo").arg(&pdf));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|n| n.trim().parse().unwrap())
        .expect("pdfinfo gives the page count");
    assert!(info.contains("(A4)"), "not A4: {info}");
    let id =
        serde_json::from_str::<serde_json::Value>(&text(&packet, "packet.json")).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
    for page in [1, pages / 2, pages] {
        let p = page.to_string();
        let t = poppler("pdftotext", &["-f", &p, "-l", &p], &pdf);
        assert!(
            t.contains(&format!("Page {page} of {pages}")),
            "page {page}:\n{t}"
        );
        assert!(t.contains(&id), "no running header on page {page}:\n{t}");
    }
    // The contents are printed, after the cover: each part of the body is listed.
    let first = poppler("pdftotext", &["-f", "1", "-l", "2"], &pdf);
    let contents = &first[first.find("Contents").expect("the contents are printed")..];
    for entry in [
        "Summary",
        "Control matrix",
        "Framework controls",
        "How to verify this packet",
        "Appendix A. Checks and evidence",
    ] {
        assert!(
            contents.contains(entry),
            "contents lack {entry}:\n{contents}"
        );
    }
}
