//! `auditpack list`: the packets of a folder or a bucket prefix, one line each, grouped by
//! cluster, so one person can answer "do we have every quarter of every cluster?".

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::history::chain::expand_paths;
use crate::model::{ArchiveIndex, LockMode, PacketMeta, Period};
use crate::seal::{PacketSource, TrustStore, verify_path};
use crate::store::StoreError;

/// One packet of a listing.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedPacket {
    /// Where it is: a folder, an archive file, or `s3://BUCKET/KEY.tar.gz`.
    pub location: String,
    /// `packet.json` `id`.
    pub id: Option<String>,
    /// `packet.json` `cluster`.
    pub cluster: Option<String>,
    /// `packet.json` `period`.
    pub period: Option<Period>,
    /// The signer key id.
    pub signer_key_id: Option<String>,
    /// `sealedAt`, RFC 3339.
    pub sealed_at: Option<String>,
    /// The end of its Object Lock retention (as the object states it; for a local archive,
    /// as its index states it).
    pub retain_until: Option<String>,
    /// The Object Lock mode.
    pub lock_mode: Option<LockMode>,
    /// `Some(true)` verified, `Some(false)` did not verify, `None` not checked (no
    /// `--verify`).
    pub verified: Option<bool>,
    /// Why it did not verify, or what else a reader should know (one line each).
    pub notes: Vec<String>,
}

/// The packets of one cluster, oldest period first.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterGroup {
    /// The cluster (`(unknown)` when packet.json states none).
    pub cluster: String,
    /// Its packets.
    pub packets: Vec<ListedPacket>,
}

/// A listing: every cluster found, by name.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// The folder or prefix listed.
    pub location: String,
    /// Whether the packets were verified (`--verify`).
    pub verified: bool,
    /// One group per cluster, by cluster name.
    pub clusters: Vec<ClusterGroup>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl ListedPacket {
    /// A listed packet from its `packet.json`.
    pub(crate) fn from_meta(location: String, meta: Option<&PacketMeta>) -> ListedPacket {
        ListedPacket {
            location,
            id: meta.and_then(|m| m.id.clone()),
            cluster: meta.and_then(|m| m.cluster.clone()),
            period: meta.and_then(|m| m.period),
            signer_key_id: meta.and_then(|m| m.seal.as_ref().map(|s| s.signer.key_id.clone())),
            sealed_at: meta.and_then(|m| m.seal.as_ref().map(|s| ts(s.sealed_at))),
            retain_until: None,
            lock_mode: None,
            verified: None,
            notes: Vec::new(),
        }
    }

    /// A listed packet from its sidecar index (not verified: an index proves nothing).
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(crate) fn from_index(location: String, index: &ArchiveIndex) -> ListedPacket {
        let retention = index.retention.value();
        ListedPacket {
            location,
            id: index.packet_id.clone(),
            cluster: index.cluster.clone(),
            period: index.period,
            signer_key_id: Some(index.signer_key_id.clone()),
            sealed_at: Some(ts(index.sealed_at)),
            retain_until: retention.map(|r| ts(r.retain_until)),
            lock_mode: retention.map(|r| r.mode),
            verified: None,
            notes: Vec::new(),
        }
    }
}

impl Listing {
    /// Groups packets by cluster, each group ordered by period (then id, then location).
    pub(crate) fn new(location: String, verified: bool, packets: Vec<ListedPacket>) -> Listing {
        let mut groups: BTreeMap<String, Vec<ListedPacket>> = BTreeMap::new();
        for p in packets {
            let c = p.cluster.clone().unwrap_or_else(|| "(unknown)".into());
            groups.entry(c).or_default().push(p);
        }
        let clusters = groups
            .into_iter()
            .map(|(cluster, mut packets)| {
                packets.sort_by_cached_key(|p| {
                    (
                        p.period.is_none(),
                        p.period.map(|x| x.start),
                        p.id.clone(),
                        p.location.clone(),
                    )
                });
                ClusterGroup { cluster, packets }
            })
            .collect();
        Listing {
            location,
            verified,
            clusters,
        }
    }

    /// Whether every packet verified (false when none was checked).
    pub fn all_verified(&self) -> bool {
        self.verified
            && self
                .clusters
                .iter()
                .flat_map(|c| &c.packets)
                .all(|p| p.verified == Some(true))
    }

    /// The YAML form (the same fields as the JSON).
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(self).expect("a listing serializes")
    }

    /// The text form: per cluster a heading, then one line per packet with id, period,
    /// signer, sealed at, retention until and the verdict.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for group in &self.clusters {
            out.push_str(&format!(
                "cluster {} ({} packet{})\n",
                group.cluster,
                group.packets.len(),
                if group.packets.len() == 1 { "" } else { "s" }
            ));
            let rows: Vec<[String; 6]> = group
                .packets
                .iter()
                .map(|p| {
                    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                    [
                        show(&p.id),
                        p.period.map(|x| x.label()).unwrap_or_else(|| "-".into()),
                        show(&p.signer_key_id),
                        show(&p.sealed_at),
                        match (&p.retain_until, p.lock_mode) {
                            (Some(t), Some(m)) => format!("{t} ({m})"),
                            (Some(t), None) => t.clone(),
                            _ => "-".into(),
                        },
                        match p.verified {
                            Some(true) => "verified".into(),
                            Some(false) => "NOT VERIFIED".into(),
                            None => "not checked".into(),
                        },
                    ]
                })
                .collect();
            let head = [
                "ID",
                "PERIOD",
                "SIGNER",
                "SEALED AT",
                "RETAIN UNTIL",
                "VERIFIED",
            ];
            let mut width = head.map(str::len);
            for r in &rows {
                for (w, c) in width.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let line = |cells: [&str; 6]| {
                let mut l = String::from(" ");
                for (i, c) in cells.iter().enumerate() {
                    if i + 1 == cells.len() {
                        l.push_str(&format!(" {c}"));
                    } else {
                        l.push_str(&format!(" {c:<w$}", w = width[i]));
                    }
                }
                l.push('\n');
                l
            };
            out.push_str(&line(head));
            for (r, p) in rows.iter().zip(&group.packets) {
                out.push_str(&line(r.each_ref().map(String::as_str)));
                for n in &p.notes {
                    out.push_str(&format!("    {}: {n}\n", p.location));
                }
            }
        }
        out
    }
}

/// Lists the packets of a folder: packet folders and `.tar.gz` archives in it (the same
/// members `verify --chain` takes). An archive's retention comes from its sidecar index;
/// with `verify` each packet is verified against the trusted keys.
pub fn list_dir(dir: &Path, verify: Option<&TrustStore>) -> Result<Listing, StoreError> {
    let expanded = expand_paths(&[dir.to_path_buf()]).map_err(|source| StoreError::Io {
        path: dir.to_path_buf(),
        action: "cannot list",
        source,
    })?;
    if expanded.paths.is_empty() {
        return Err(StoreError::Empty {
            location: dir.display().to_string(),
        });
    }
    let mut packets = Vec::new();
    for path in &expanded.paths {
        let location = path.display().to_string();
        let mut listed = match verify {
            Some(trust) => {
                let report = verify_path(path, trust)?;
                let mut l = ListedPacket::from_meta(location, report.packet.as_ref());
                l.verified = Some(report.is_verified());
                l.notes = report
                    .failures
                    .iter()
                    .take(3)
                    .map(|f| format!("{} {}: {}", f.rule, f.path, f.detail))
                    .collect();
                l
            }
            None => {
                let source = PacketSource::open(path)?;
                let meta = source.packet_meta()?;
                ListedPacket::from_meta(location, meta.as_ref())
            }
        };
        let index = std::path::PathBuf::from(format!("{}.json", path.display()));
        if path.is_file()
            && let Ok(bytes) = std::fs::read(&index)
        {
            match ArchiveIndex::from_slice(&bytes) {
                Ok(i) => {
                    let r = i.retention.value();
                    listed.retain_until = r.map(|r| ts(r.retain_until));
                    listed.lock_mode = r.map(|r| r.mode);
                }
                Err(e) => listed
                    .notes
                    .push(format!("index {} refused: {e}", index.display())),
            }
        }
        packets.push(listed);
    }
    Ok(Listing::new(
        dir.display().to_string(),
        verify.is_some(),
        packets,
    ))
}
