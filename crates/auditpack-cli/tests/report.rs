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
            assert!(resolves(&packet, &rel, h), "{rel}: href {h} names no packet file");
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} relative hrefs: is the test looking?");
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
    let o = run(Command::new(CMARK_GFM).args(["--unsafe", "-e", "table", "-e", "autolink"]).arg(md));
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
    assert!(internal.len() > 30, "only {} internal links", internal.len());
    let broken: Vec<&&String> = internal.iter().filter(|h| !ids.contains(&h[1..])).collect();
    assert!(broken.is_empty(), "links to no anchor: {broken:?}");
    for id in ["cover", "summary", "control-matrix", "verify", "check-rbac-cluster-admin"] {
        assert!(ids.contains(id), "no anchor {id}");
    }
    // Relative links name files of the packet.
    for h in hrefs.iter().filter(|h| !h.starts_with('#') && !h.contains(':')) {
        assert!(resolves(&packet, "packet.md", h), "packet.md links to {h}: no such file");
    }
    // The negative control: a link to an anchor that is not there is seen.
    assert!(!ids.contains("no-such-anchor"));
}
