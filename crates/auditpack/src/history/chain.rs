//! Quarter-over-quarter packet chains: is a series of packets complete and unbroken?
//!
//! Each packet's `packet.json` may name the packet before it (`previous.id` and
//! `previous.manifestSha256`, the SHA-256 of that packet's `SHA256SUMS`). Because the
//! manifest is signed and lists `packet.json`, the link is covered by the signature: a
//! packet cannot be swapped, dropped or re-ordered without breaking a link that a trusted
//! key signed. [`verify_chain`] orders the packets by the reporting periods their signed
//! `packet.json` states (never by file name or by the order given) and checks:
//!
//! 1. every packet verifies on its own (signature by a trusted key, every file intact);
//! 2. the first packet links to nothing, unless the chain starts mid-series on purpose
//!    ([`ChainOptions::from`]);
//! 3. every packet after the first links to the one before it (id and digest);
//! 4. no two packets link to the same predecessor (a fork);
//! 5. reporting periods follow each other without overlap or uncovered time.
//!
//! Every problem is named by a [`ChainRule`]; the report names the first broken link.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::seal::TrustStore;
use crate::seal::verify::{Report, VerifyError, verify_path};

/// A rule a series can break. Its [`ChainRule::id`] is stable (scripts and the JSON
/// output rely on it); the ids are documented in `docs/seal.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ChainRule {
    /// A packet does not verify on its own; its links cannot be trusted.
    PacketNotVerified,
    /// The first packet links to a predecessor that was not given (and no `--from` names
    /// it as the start).
    PredecessorNotGiven,
    /// A packet after the first names no previous packet.
    MissingLink,
    /// A packet links to something other than the packet before it.
    BrokenLink,
    /// Two packets link to the same predecessor.
    Fork,
    /// A packet (or the one before it) states no reporting period.
    PeriodMissing,
    /// A period starts before the previous one ends.
    PeriodOverlap,
    /// Time between two periods that no packet covers.
    PeriodGap,
}

impl ChainRule {
    /// The stable rule id, e.g. `broken-link`.
    pub fn id(self) -> &'static str {
        match self {
            ChainRule::PacketNotVerified => "packet-not-verified",
            ChainRule::PredecessorNotGiven => "predecessor-not-given",
            ChainRule::MissingLink => "missing-link",
            ChainRule::BrokenLink => "broken-link",
            ChainRule::Fork => "fork",
            ChainRule::PeriodMissing => "period-missing",
            ChainRule::PeriodOverlap => "period-overlap",
            ChainRule::PeriodGap => "period-gap",
        }
    }
}

impl std::fmt::Display for ChainRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for ChainRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// What went wrong at one link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainProblem {
    /// The rule broken.
    pub rule: ChainRule,
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

/// Where a chain starts when its first packet links to one that was not given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainStart {
    /// The packet id the chain starts at (`--from`).
    pub packet_id: String,
    /// Its predecessor as its signed `packet.json` names it, not checked here; `None` when
    /// it links to nothing (it starts the series).
    pub unchecked_predecessor: Option<PredecessorRef>,
    /// Packets given that are older than the start, left out of the check.
    pub left_out: Vec<String>,
}

/// A previous-packet link as `packet.json` states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PredecessorRef {
    /// `previous.id`.
    pub id: Option<String>,
    /// `previous.manifestSha256`.
    pub manifest_sha256: String,
}

/// The verdict on a series.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// True when every packet verified and every link holds.
    pub complete: bool,
    /// Set when the chain was started mid-series ([`ChainOptions::from`]).
    pub start: Option<ChainStart>,
    /// The packets, oldest first (by their signed periods).
    pub links: Vec<ChainLink>,
    /// Every problem, in series order; the first is the first broken link.
    pub problems: Vec<ChainProblem>,
}

/// How to check a chain.
#[derive(Debug, Clone, Default)]
pub struct ChainOptions {
    /// Start the chain at the packet with this id: its link to a predecessor that is not
    /// given is accepted (and reported), and older packets are left out.
    pub from: Option<String>,
}

/// Errors that stop a chain check before a verdict (exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// A packet could not be read at all.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// `--from` names no packet of the series.
    #[error(
        "--from {id}: no packet with that id among the {count} given; give the packet id as its packet.json states it"
    )]
    FromNotFound {
        /// The id asked for.
        id: String,
        /// How many packets were given.
        count: usize,
    },
}

/// The packets a set of command-line arguments stands for, and what was skipped.
#[derive(Debug, Clone, Default)]
pub struct Expanded {
    /// Packet folders and archives.
    pub paths: Vec<PathBuf>,
    /// Leftover temporary folders and files of interrupted runs, skipped by name
    /// ([`crate::cleanup::is_temp_name`]): never members of a series.
    pub skipped: Vec<PathBuf>,
}

/// Expands the command-line arguments into the series: a packet folder (it holds
/// `SHA256SUMS`) or an archive is one packet; any other folder stands for the packets and
/// archives inside it. Temporary names of interrupted runs are skipped. The order does not
/// matter: [`verify_chain`] orders by signed period.
pub fn expand_paths(args: &[PathBuf]) -> std::io::Result<Expanded> {
    let mut out = Expanded::default();
    for arg in args {
        if arg.is_dir() && !arg.join("SHA256SUMS").exists() {
            let mut inner: Vec<PathBuf> = Vec::new();
            for entry in std::fs::read_dir(arg)? {
                let p = entry?.path();
                let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                let member = (p.is_dir() && p.join("SHA256SUMS").exists())
                    || (p.is_file() && name.ends_with(".tar.gz"));
                if !member {
                    continue;
                }
                if crate::cleanup::is_temp_name(name) {
                    out.skipped.push(p);
                } else {
                    inner.push(p);
                }
            }
            inner.sort();
            out.paths.extend(inner);
        } else {
            out.paths.push(arg.clone());
        }
    }
    out.skipped.sort();
    Ok(out)
}

/// Verifies a series of packets, in any order: they are ordered by the periods their
/// `packet.json` states.
pub fn verify_chain(
    paths: &[PathBuf],
    trust: &TrustStore,
    opts: &ChainOptions,
) -> Result<ChainReport, ChainError> {
    let reports: Vec<Report> = paths
        .iter()
        .map(|p| verify_path(p, trust))
        .collect::<Result<_, _>>()?;
    verify_reports(reports, opts)
}

/// [`verify_chain`] of packets already verified one by one (from any source, e.g. an object
/// store), in any order: they are ordered by the periods their `packet.json` states.
pub fn verify_reports(
    mut reports: Vec<Report>,
    opts: &ChainOptions,
) -> Result<ChainReport, ChainError> {
    order_by_period(&mut reports);
    let mut left_out = Vec::new();
    if let Some(id) = &opts.from {
        let Some(at) = reports
            .iter()
            .position(|r| r.packet_id.as_deref() == Some(id.as_str()))
        else {
            return Err(ChainError::FromNotFound {
                id: id.clone(),
                count: reports.len(),
            });
        };
        left_out = reports.drain(..at).map(|r| show(&r.path)).collect();
    }
    let mut report = check_links(&reports, opts.from.as_deref());
    if let Some(start) = &mut report.start {
        start.left_out = left_out;
    }
    Ok(report)
}

/// Sorts by the stated period (start, then end), then by path; packets that state no
/// period go last. An unverified packet's period is only a placement: it is reported as
/// not verified anyway.
fn order_by_period(reports: &mut [Report]) {
    reports.sort_by_cached_key(|r| {
        let period = stated_period(r);
        let start = period.map(|p| p.start);
        let end = period.map(|p| p.last());
        (start.is_none(), start, end, r.path.clone())
    });
}

fn stated_period(r: &Report) -> Option<crate::model::Period> {
    r.packet.as_ref().and_then(|p| p.period)
}

fn stated_previous(r: &Report) -> Option<&crate::model::PacketLink> {
    r.packet.as_ref().and_then(|p| p.previous.value())
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn show(p: &Path) -> String {
    p.display().to_string()
}

/// Checks the links between already verified packets, in the order given (oldest first).
/// `from` names the packet id the chain may start at with a predecessor not given.
pub fn check_links(reports: &[Report], from: Option<&str>) -> ChainReport {
    let links: Vec<ChainLink> = reports.iter().map(chain_link).collect();
    let mut walk = Walk {
        reports,
        // Which packet of the series each manifest digest belongs to.
        by_digest: reports
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.manifest_sha256.as_deref().map(|d| (d, i)))
            .collect(),
        linked_from: BTreeMap::new(),
        links: &links,
        problems: Vec::new(),
    };
    let mut start = None;
    for (i, r) in reports.iter().enumerate() {
        if !r.is_verified() {
            walk.problems.push(not_verified(r));
            continue;
        }
        walk.check_fork(i);
        if i == 0 {
            start = walk.check_first(from);
        } else {
            walk.check_link(i);
            walk.check_periods(i);
        }
    }
    let problems = walk.problems;
    ChainReport {
        complete: problems.is_empty() && !reports.is_empty(),
        start,
        links,
        problems,
    }
}

/// One packet as the report lists it.
fn chain_link(r: &Report) -> ChainLink {
    ChainLink {
        path: show(&r.path),
        packet_id: r.packet_id.clone(),
        period_start: stated_period(r).map(|p| ts(p.start)),
        period_end: stated_period(r).map(|p| ts(p.last())),
        manifest_sha256: r.manifest_sha256.clone(),
        verified: r.is_verified(),
    }
}

/// A packet that does not verify: none of its links can be trusted.
fn not_verified(r: &Report) -> ChainProblem {
    let why: Vec<String> = r
        .failures
        .iter()
        .map(|f| format!("{} {}", f.rule, f.path))
        .collect();
    ChainProblem {
        rule: ChainRule::PacketNotVerified,
        path: show(&r.path),
        detail: format!(
            "the packet does not verify ({}); its links cannot be trusted",
            why.join("; ")
        ),
    }
}

/// The walk over the series, oldest first, collecting problems.
struct Walk<'a> {
    reports: &'a [Report],
    by_digest: BTreeMap<&'a str, usize>,
    /// Who links to each manifest digest (the latest seen).
    linked_from: BTreeMap<&'a str, usize>,
    links: &'a [ChainLink],
    problems: Vec<ChainProblem>,
}

impl Walk<'_> {
    /// `path (id)` of packet `j`.
    fn name(&self, j: usize) -> String {
        format!(
            "{} ({})",
            self.links[j].path,
            self.links[j].packet_id.as_deref().unwrap_or("no id")
        )
    }

    fn problem(&mut self, i: usize, rule: ChainRule, detail: String) {
        self.problems.push(ChainProblem {
            rule,
            path: self.links[i].path.clone(),
            detail,
        });
    }

    /// Rule 4: no two packets link to the same predecessor.
    fn check_fork(&mut self, i: usize) {
        let Some(d) = stated_previous(&self.reports[i]).and_then(|l| l.manifest_sha256.as_deref())
        else {
            return;
        };
        if let Some(&other) = self.linked_from.get(d) {
            let detail = format!(
                "links to the same predecessor as {}: the series forks",
                self.name(other)
            );
            self.problem(i, ChainRule::Fork, detail);
        }
        self.linked_from.insert(d, i);
    }

    /// Rule 2: the first packet links to nothing, unless the chain starts there on purpose
    /// (`from`); then its unchecked link is the chain's start.
    fn check_first(&mut self, from: Option<&str>) -> Option<ChainStart> {
        let r = &self.reports[0];
        let prev = stated_previous(r);
        let prev_digest = prev.and_then(|l| l.manifest_sha256.as_deref());
        if from.is_some() && from == r.packet_id.as_deref() {
            return Some(ChainStart {
                packet_id: r.packet_id.clone().unwrap_or_default(),
                unchecked_predecessor: prev_digest.map(|d| PredecessorRef {
                    id: prev.map(|l| l.id.clone()),
                    manifest_sha256: d.to_string(),
                }),
                left_out: Vec::new(),
            });
        }
        if let Some(d) = prev_digest {
            let id = prev.map_or("an unknown packet", |l| l.id.as_str());
            let detail = format!(
                "the first packet links to {id} (manifest {d}), which was not given: give that packet too, or start the chain here on purpose with --from {}",
                r.packet_id.as_deref().unwrap_or("ID")
            );
            self.problem(0, ChainRule::PredecessorNotGiven, detail);
        }
        None
    }

    /// Rule 3: packet `i` links to the one before it, by digest and by id.
    fn check_link(&mut self, i: usize) {
        let (r, before) = (&self.reports[i], &self.reports[i - 1]);
        let prev = stated_previous(r);
        let prev_id = prev.map(|l| l.id.as_str());
        let detail = match prev.and_then(|l| l.manifest_sha256.as_deref()) {
            None => {
                let detail = format!(
                    "names no previous packet, but follows {} in the series",
                    self.name(i - 1)
                );
                return self.problem(i, ChainRule::MissingLink, detail);
            }
            Some(d) if Some(d) != before.manifest_sha256.as_deref() => {
                let points_to = match self.by_digest.get(d) {
                    Some(&j) => format!(
                        "it links to {} instead: the links and the signed periods disagree on the order",
                        self.name(j)
                    ),
                    None => format!(
                        "it links to {} (manifest {d}), which is not in the series: a packet is missing or was replaced",
                        prev_id.unwrap_or("an unknown packet")
                    ),
                };
                format!(
                    "does not link to the packet before it, {}; {points_to}",
                    self.name(i - 1)
                )
            }
            Some(_) if prev_id.is_some() && prev_id != before.packet_id.as_deref() => format!(
                "names previous id {} but the packet before it is {}",
                prev_id.unwrap_or_default(),
                self.name(i - 1)
            ),
            Some(_) => return,
        };
        self.problem(i, ChainRule::BrokenLink, detail);
    }

    /// Rule 5: packet `i`'s period follows the one before it without overlap or gap.
    fn check_periods(&mut self, i: usize) {
        let (end_before, start_here) = (
            time(self.links[i - 1].period_end.as_deref()),
            time(self.links[i].period_start.as_deref()),
        );
        match (end_before, start_here) {
            (Some(e), Some(s)) if s < e => self.problem(
                i,
                ChainRule::PeriodOverlap,
                format!(
                    "its period starts {s} before the previous period ends {e}: the periods overlap"
                ),
            ),
            // Periods end inclusively at their last second (render) or exclusively at the
            // next period's start: either way the next one starts at most 1 s later.
            (Some(e), Some(s)) if s > e + chrono::Duration::seconds(1) => self.problem(
                i,
                ChainRule::PeriodGap,
                format!("no packet covers {e} to {s}"),
            ),
            (Some(_), Some(_)) => {}
            _ => self.problem(
                i,
                ChainRule::PeriodMissing,
                "packet.json of this packet or the one before has no period.start/period.end"
                    .into(),
            ),
        }
    }
}

impl ChainReport {
    /// Human-readable report.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        if let Some(s) = &self.start {
            for p in &s.left_out {
                let _ = writeln!(
                    out,
                    "  -  left out (older than --from {}): {p}",
                    s.packet_id
                );
            }
        }
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
                let from = match &self.start {
                    Some(s) => format!(" from {}", s.packet_id),
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "chain complete{from}: {} packets, every link holds",
                    self.links.len()
                );
                if let Some(s) = &self.start {
                    match &s.unchecked_predecessor {
                        Some(p) => {
                            let _ = writeln!(
                                out,
                                "  started mid-series with --from {}: its link to {} (manifest {}) was not checked",
                                s.packet_id,
                                p.id.as_deref().unwrap_or("an unknown packet"),
                                p.manifest_sha256
                            );
                        }
                        None => {
                            let _ = writeln!(
                                out,
                                "  --from {}: it links to no earlier packet (it starts the series)",
                                s.packet_id
                            );
                        }
                    }
                }
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
