//! The closing summary `packet` and `demo` print: controls and checks by status, the
//! controls that fail, and where the packet is.

use std::collections::BTreeMap;
use std::path::Path;

use auditpack::{Findings, Status};
use serde::Serialize;

use super::output::{Format, document};

/// Most failing controls the text lists; the rest are counted.
const MAX_LISTED: usize = 20;

/// What a finished packet run says about itself (`packet -o json|yaml` prints it).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The packet's id.
    pub packet_id: String,
    /// The sealed packet folder.
    pub path: String,
    /// The archive, when one was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    /// The signer's key id.
    pub signer: String,
    /// Files listed in SHA256SUMS.
    pub files: usize,
    /// The overall verdict.
    pub overall: &'static str,
    /// Controls by status (every framework).
    pub controls: BTreeMap<&'static str, usize>,
    /// Checks by status.
    pub checks: BTreeMap<&'static str, usize>,
    /// The failing controls, framework order.
    pub failing: Vec<FailingControl>,
    /// Kinds that could not be read (the packet marks them not-collected).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete_kinds: Vec<String>,
}

/// One failing control.
#[derive(Debug, Serialize)]
pub struct FailingControl {
    /// Its framework's id.
    pub framework: String,
    /// The control id.
    pub id: String,
    /// Its title.
    pub title: String,
}

impl Summary {
    /// The summary of a sealed packet.
    pub fn new(
        findings: &Findings,
        packet_id: &str,
        dir: &Path,
        signer: &str,
        files: usize,
    ) -> Summary {
        let mut controls = BTreeMap::new();
        for c in &findings.controls {
            *controls.entry(c.status.as_str()).or_insert(0) += 1;
        }
        let mut checks = BTreeMap::new();
        for c in &findings.checks {
            *checks.entry(c.status.as_str()).or_insert(0) += 1;
        }
        let failing = findings
            .controls
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| FailingControl {
                framework: c.framework.clone(),
                id: c.id.clone(),
                title: c.title.clone(),
            })
            .collect();
        Summary {
            packet_id: packet_id.to_string(),
            path: dir.display().to_string(),
            archive: None,
            signer: signer.to_string(),
            files,
            overall: auditpack::overall(findings).as_str(),
            controls,
            checks,
            failing,
            incomplete_kinds: Vec::new(),
        }
    }

    /// The summary as text (lines for a terminal), JSON or YAML.
    pub fn render(&self, format: Format) -> anyhow::Result<String> {
        match format {
            Format::Text => Ok(self.to_text()),
            f => document(self, f),
        }
    }

    fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let counts = |m: &BTreeMap<&str, usize>| {
            let v: Vec<String> = m.iter().map(|(s, n)| format!("{n} {s}")).collect();
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let mut s = String::new();
        let _ = writeln!(s, "packet   {}", self.packet_id);
        let _ = writeln!(s, "folder   {}", self.path);
        if let Some(a) = &self.archive {
            let _ = writeln!(s, "archive  {a}");
        }
        let _ = writeln!(s, "signer   {} ({} files sealed)", self.signer, self.files);
        let _ = writeln!(s, "overall  {}", self.overall);
        let _ = writeln!(s, "controls {}", counts(&self.controls));
        let _ = writeln!(s, "checks   {}", counts(&self.checks));
        if !self.failing.is_empty() {
            let _ = writeln!(s, "failing controls:");
            for c in self.failing.iter().take(MAX_LISTED) {
                let _ = writeln!(s, "  {} {}  {}", c.framework, c.id, c.title);
            }
            if self.failing.len() > MAX_LISTED {
                let _ = writeln!(
                    s,
                    "  … and {} more (packet.md lists them all)",
                    self.failing.len() - MAX_LISTED
                );
            }
        }
        if !self.incomplete_kinds.is_empty() {
            let _ = writeln!(
                s,
                "not collected: {} (marked not-collected in the packet)",
                self.incomplete_kinds.join(", ")
            );
        }
        s
    }
}
