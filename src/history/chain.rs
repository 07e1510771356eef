//! Quarter-over-quarter packet chains: is a series of packets complete and unbroken?
//!
//! Each packet's `packet.json` may name the packet before it (`previous.id` and
//! `previous.manifestSha256`, the SHA-256 of that packet's `SHA256SUMS`). Because the
//! manifest is signed and lists `packet.json`, the link is covered by the signature: a
//! packet cannot be swapped, dropped or re-ordered without breaking a link that a trusted
//! key signed. [`verify_chain`] checks, in the order the packets are given:
//!
//! 1. every packet verifies on its own (signature by a trusted key, every file intact);
//! 2. every packet after the first links to the one given before it (id and digest);
//! 3. no two packets link to the same predecessor (a fork);
//! 4. reporting periods follow each other without overlap or uncovered time.
//!
//! The report names the first broken link.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::seal::TrustStore;
use crate::seal::verify::{Report, VerifyError, verify_path};

/// What went wrong at one link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainProblem {
    /// Stable rule id: `packet-not-verified`, `missing-link`, `broken-link`, `fork`,
    /// `period-missing`, `period-overlap`, `period-gap`.
    pub rule: &'static str,
    /// The packet (folder or archive) where the problem shows.
    pub path: String,
    /// What was expected and found.
    pub detail: String,
}

/// One packet of the series as checked.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainLink {
    /// Folder or archive.
    pub path: String,
    /// Packet id.
    pub packet_id: Option<String>,
    /// Reporting period start (RFC 3339), from packet.json.
    pub period_start: Option<String>,
    /// Reporting period end.
    pub period_end: Option<String>,
    /// SHA-256 of its `SHA256SUMS`.
    pub manifest_sha256: Option<String>,
    /// Whether the packet verified on its own.
    pub verified: bool,
}

/// The verdict on a series.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// True when every packet verified and every link holds.
    pub complete: bool,
    /// The packets, in the order given.
    pub links: Vec<ChainLink>,
    /// Every problem, in series order; the first is the first broken link.
    pub problems: Vec<ChainProblem>,
}

/// Expands the command-line arguments into the series: a packet folder (it holds
/// `SHA256SUMS`) or an archive is one packet; any other folder stands for the packets and
/// archives inside it, in name order.
pub fn expand_paths(args: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for arg in args {
        if arg.is_dir() && !arg.join("SHA256SUMS").exists() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(arg)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    (p.is_dir() && p.join("SHA256SUMS").exists())
                        || p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.ends_with(".tar.gz"))
                })
                .collect();
            inner.sort();
            out.extend(inner);
        } else {
            out.push(arg.clone());
        }
    }
    Ok(out)
}

/// Verifies a series of packets given oldest first.
pub fn verify_chain(paths: &[PathBuf], trust: &TrustStore) -> Result<ChainReport, VerifyError> {
    let reports: Vec<Report> = paths
        .iter()
        .map(|p| verify_path(p, trust))
        .collect::<Result<_, _>>()?;
    Ok(check_links(&reports))
}

fn field<'a>(packet: &'a Option<Value>, pointer: &str) -> Option<&'a str> {
    packet
        .as_ref()
        .and_then(|p| p.pointer(pointer))
        .and_then(Value::as_str)
}

fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn show(p: &Path) -> String {
    p.display().to_string()
}

/// Checks the links between already verified packets (oldest first).
pub fn check_links(reports: &[Report]) -> ChainReport {
    let mut problems = Vec::new();
    let links: Vec<ChainLink> = reports
        .iter()
        .map(|r| ChainLink {
            path: show(&r.path),
            packet_id: r.packet_id.clone(),
            period_start: field(&r.packet, "/period/start").map(str::to_string),
            period_end: field(&r.packet, "/period/end").map(str::to_string),
            manifest_sha256: r.manifest_sha256.clone(),
            verified: r.is_verified(),
        })
        .collect();
    // Which packet of the series each manifest digest belongs to, and who links to it.
    let by_digest: BTreeMap<&str, usize> = reports
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.manifest_sha256.as_deref().map(|d| (d, i)))
        .collect();
    let mut linked_from: BTreeMap<&str, usize> = BTreeMap::new();

    for (i, r) in reports.iter().enumerate() {
        let path = show(&r.path);
        let name = |j: usize| {
            format!(
                "{} ({})",
                links[j].path,
                links[j].packet_id.as_deref().unwrap_or("no id")
            )
        };
        if !r.is_verified() {
            let why: Vec<String> = r
                .failures
                .iter()
                .map(|f| format!("{} {}", f.rule, f.path))
                .collect();
            problems.push(ChainProblem {
                rule: "packet-not-verified",
                path: path.clone(),
                detail: format!(
                    "the packet does not verify ({}); its links cannot be trusted",
                    why.join("; ")
                ),
            });
            continue;
        }
        let prev_digest = field(&r.packet, "/previous/manifestSha256");
        let prev_id = field(&r.packet, "/previous/id");
        if let Some(d) = prev_digest {
            if let Some(&other) = linked_from.get(d) {
                problems.push(ChainProblem {
                    rule: "fork",
                    path: path.clone(),
                    detail: format!(
                        "links to the same predecessor as {}: the series forks",
                        name(other)
                    ),
                });
            }
            linked_from.insert(d, i);
        }
        if i > 0 {
            let before = &reports[i - 1];
            match prev_digest {
                None => problems.push(ChainProblem {
                    rule: "missing-link",
                    path: path.clone(),
                    detail: format!(
                        "names no previous packet, but follows {} in the series",
                        name(i - 1)
                    ),
                }),
                Some(d) if Some(d) != before.manifest_sha256.as_deref() => {
                    let points_to = match by_digest.get(d) {
                        Some(&j) => format!(
                            "it links to {} instead: the series is out of order",
                            name(j)
                        ),
                        None => format!(
                            "it links to {} (manifest {d}), which is not in the series: a packet is missing or was replaced",
                            prev_id.unwrap_or("an unknown packet")
                        ),
                    };
                    problems.push(ChainProblem {
                        rule: "broken-link",
                        path: path.clone(),
                        detail: format!(
                            "does not link to the packet before it, {}; {points_to}",
                            name(i - 1)
                        ),
                    });
                }
                Some(_) if prev_id.is_some() && prev_id != before.packet_id.as_deref() => {
                    problems.push(ChainProblem {
                        rule: "broken-link",
                        path: path.clone(),
                        detail: format!(
                            "names previous id {} but the packet before it is {}",
                            prev_id.unwrap_or_default(),
                            name(i - 1)
                        ),
                    });
                }
                Some(_) => {}
            }
            let (end_before, start) = (
                time(links[i - 1].period_end.as_deref()),
                time(links[i].period_start.as_deref()),
            );
            match (end_before, start) {
                (Some(e), Some(s)) if s < e => problems.push(ChainProblem {
                    rule: "period-overlap",
                    path: path.clone(),
                    detail: format!("its period starts {s} before the previous period ends {e}: out of order or overlapping"),
                }),
                // Periods end inclusively at their last second (render) or exclusively at
                // the next period's start: either way the next one starts at most 1 s later.
                (Some(e), Some(s)) if s > e + chrono::Duration::seconds(1) => problems.push(ChainProblem {
                    rule: "period-gap",
                    path: path.clone(),
                    detail: format!("no packet covers {e} to {s}"),
                }),
                (Some(_), Some(_)) => {}
                _ => problems.push(ChainProblem {
                    rule: "period-missing",
                    path: path.clone(),
                    detail: "packet.json of this packet or the one before has no period.start/period.end".into(),
                }),
            }
        }
    }
    ChainReport {
        complete: problems.is_empty(),
        links,
        problems,
    }
}

impl ChainReport {
    /// Human-readable report.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for (i, l) in self.links.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:>3}. {} {} {}..{} {}",
                i + 1,
                if l.verified { "ok " } else { "BAD" },
                l.packet_id.as_deref().unwrap_or("(no id)"),
                l.period_start.as_deref().unwrap_or("?"),
                l.period_end.as_deref().unwrap_or("?"),
                l.path
            );
        }
        match self.problems.first() {
            None => {
                let _ = writeln!(
                    out,
                    "chain complete: {} packets, every link holds",
                    self.links.len()
                );
            }
            Some(first) => {
                let _ = writeln!(
                    out,
                    "CHAIN BROKEN: first broken link at {} ({}): {}",
                    first.path, first.rule, first.detail
                );
                for p in &self.problems[1..] {
                    let _ = writeln!(out, "  also {} at {}: {}", p.rule, p.path, p.detail);
                }
            }
        }
        out
    }
}
