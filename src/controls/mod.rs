//! Control evaluation: framework catalogs (data) and the checks (code) that turn a
//! [`Snapshot`] into [`Findings`].
//!
//! The unit of evaluation is a check (`rbac.cluster-admin`, `network.default-deny`, ...);
//! catalogs map framework controls onto checks, and a control's status is
//! [`Status::combine`] of its checks. A check whose input kind was not collected says
//! `not-collected`, never `pass`. Each check lives with its family: [`access`] (RBAC),
//! [`lifecycle`], [`network`], [`workloads`] (Pod Security Standards, image digests) and
//! [`platform`] (encryption, mTLS, audit, image signatures).

use std::collections::HashMap;
use std::sync::OnceLock;

use rayon::prelude::*;
use serde_json::Value;

use crate::findings::{CheckResult, ControlResult, Findings, FrameworkInfo, Status};
use crate::snapshot::{NotCollected, Snapshot};

pub mod access;
pub mod catalog;
pub mod fixture;
pub mod lifecycle;
pub mod network;
pub mod platform;
pub mod pss;
pub mod rbac;
pub mod util;
pub mod workloads;

pub use catalog::{CatalogError, Framework};
pub use lifecycle::{AccessChange, ChangeKind, access_changes};

/// The input every check reads: the snapshot, the options, and what is built once per
/// evaluation (each kind parsed, the RBAC model). The parsed objects live as long as the
/// context, not the snapshot, so rendering after evaluation does not carry them.
pub struct Ctx<'a> {
    /// The snapshot under evaluation.
    pub snap: &'a Snapshot,
    /// The options.
    pub opts: &'a EvalOptions,
    parsed: HashMap<&'a str, OnceLock<Vec<Value>>>,
    rbac: OnceLock<Result<rbac::Model, NotCollected>>,
}

impl<'a> Ctx<'a> {
    /// A context over a snapshot.
    pub fn new(snap: &'a Snapshot, opts: &'a EvalOptions) -> Self {
        Ctx {
            snap,
            opts,
            parsed: snap
                .resources
                .keys()
                .map(|k| (k.as_str(), OnceLock::new()))
                .collect(),
            rbac: OnceLock::new(),
        }
    }

    /// The objects of a kind, parsed once per evaluation, or [`NotCollected`] when they
    /// are not complete evidence (an `absent` kind yields an empty slice).
    pub fn items(&self, key: &str) -> Result<&[Value], NotCollected> {
        let items = self.snap.collected(key)?;
        Ok(self
            .parsed
            .get(key)
            .expect("every collected kind has a cell")
            .get_or_init(|| items.parse_all()))
    }

    /// The objects of a kind one at a time, each parsed as it is reached and dropped
    /// after, or [`NotCollected`]. For walking the workload kinds (pods and the kinds with
    /// pod templates), the bulk of a large cluster: they are never held parsed whole. Each
    /// check that walks them parses them again; measured, that costs less than a second
    /// at 2,000 namespaces and saves half of evaluation's memory.
    pub fn objects(&self, key: &str) -> Result<impl Iterator<Item = Value> + '_, NotCollected> {
        Ok(self.snap.collected(key)?.iter().map(|i| i.value()))
    }

    /// The objects of a kind in one namespace, parsed (only those are read).
    pub fn objects_in(&self, key: &str, namespace: &str) -> Result<Vec<Value>, NotCollected> {
        Ok(self.snap.collected(key)?.parse_in(namespace))
    }

    /// The RBAC model, built on first use.
    pub fn rbac(&self) -> Result<&rbac::Model, &NotCollected> {
        self.rbac
            .get_or_init(|| {
                Ok(rbac::Model::build(
                    self.items("roles.rbac.authorization.k8s.io")?,
                    self.items("rolebindings.rbac.authorization.k8s.io")?,
                    self.items("clusterroles.rbac.authorization.k8s.io")?,
                    self.items("clusterrolebindings.rbac.authorization.k8s.io")?,
                ))
            })
            .as_ref()
    }
}

/// A check: its id and the function that runs it.
pub struct CheckDef {
    /// Stable id.
    pub id: &'static str,
    /// Runs the check.
    pub run: fn(&Ctx) -> CheckResult,
}

/// Every check this build implements.
pub const CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "rbac.cluster-admin",
        run: access::cluster_admin,
    },
    CheckDef {
        id: "rbac.secrets-read",
        run: access::secrets_read,
    },
    CheckDef {
        id: "rbac.escalation",
        run: access::escalation,
    },
    CheckDef {
        id: "rbac.pods-exec",
        run: access::pods_exec,
    },
    CheckDef {
        id: "rbac.default-serviceaccount",
        run: access::default_service_account,
    },
    CheckDef {
        id: "lifecycle.orphaned-bindings",
        run: lifecycle::orphaned_bindings,
    },
    CheckDef {
        id: "lifecycle.unused-serviceaccounts",
        run: lifecycle::unused_service_accounts,
    },
    CheckDef {
        id: "lifecycle.token-secrets",
        run: lifecycle::token_secrets,
    },
    CheckDef {
        id: "lifecycle.automount",
        run: lifecycle::automount,
    },
    CheckDef {
        id: "lifecycle.access-changes",
        run: lifecycle::access_changes_check,
    },
    CheckDef {
        id: "network.default-deny",
        run: network::default_deny,
    },
    CheckDef {
        id: "network.pod-isolation",
        run: network::pod_isolation,
    },
    CheckDef {
        id: "network.allow-all",
        run: network::allow_all,
    },
    CheckDef {
        id: "pss.namespace-labels",
        run: workloads::namespace_labels,
    },
    CheckDef {
        id: "pss.baseline",
        run: workloads::baseline,
    },
    CheckDef {
        id: "pss.restricted",
        run: workloads::restricted,
    },
    CheckDef {
        id: "integrity.image-digests",
        run: workloads::image_digests,
    },
    CheckDef {
        id: "integrity.image-signing",
        run: platform::image_signing,
    },
    CheckDef {
        id: "encryption.at-rest",
        run: platform::at_rest,
    },
    CheckDef {
        id: "transit.api-tls",
        run: platform::api_tls,
    },
    CheckDef {
        id: "transit.service-mtls",
        run: platform::service_mtls,
    },
    CheckDef {
        id: "audit.policy",
        run: platform::audit_policy,
    },
    CheckDef {
        id: "audit.log-backend",
        run: platform::log_backend,
    },
    CheckDef {
        id: "audit.log-continuity",
        run: platform::log_continuity,
    },
];

/// The ids of every check.
pub fn check_ids() -> Vec<&'static str> {
    CHECKS.iter().map(|c| c.id).collect()
}

/// What to evaluate.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// Framework ids to evaluate, in order; empty means every built-in framework and every
    /// framework given in `catalogs`.
    pub frameworks: Vec<String>,
    /// Frameworks read from `--catalog` files: one with a built-in id replaces it, a new
    /// id adds a framework.
    pub catalogs: Vec<Framework>,
    /// The previous snapshot, for the access changes over the period.
    pub previous: Option<Snapshot>,
}

/// Errors of evaluation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A selected framework is neither built in nor given by a catalog.
    #[error("unknown framework {id:?}; available: {available} (add one with --catalog FILE)")]
    UnknownFramework {
        /// The id asked for.
        id: String,
        /// Available ids.
        available: String,
    },
}

/// The frameworks available under the options: built-ins, replaced or extended by catalogs.
pub fn frameworks(opts: &EvalOptions) -> Vec<Framework> {
    let mut all = catalog::built_in();
    for c in &opts.catalogs {
        match all.iter_mut().find(|f| f.id == c.id) {
            Some(f) => *f = c.clone(),
            None => all.push(c.clone()),
        }
    }
    all
}

/// Evaluates a snapshot: every control of every selected framework, with the checks they
/// rest on and the effective-access review. Deterministic: no clock, sorted output.
pub fn evaluate(snapshot: &Snapshot, opts: &EvalOptions) -> Result<Findings, EvalError> {
    let all = frameworks(opts);
    let selected: Vec<&Framework> = if opts.frameworks.is_empty() {
        all.iter().collect()
    } else {
        let mut v = Vec::new();
        for id in &opts.frameworks {
            let f =
                all.iter()
                    .find(|f| &f.id == id)
                    .ok_or_else(|| EvalError::UnknownFramework {
                        id: id.clone(),
                        available: all
                            .iter()
                            .map(|f| f.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?;
            if !v.iter().any(|x: &&Framework| x.id == f.id) {
                v.push(f);
            }
        }
        v
    };
    let mut ids: Vec<&str> = Vec::new();
    for f in &selected {
        for c in &f.controls {
            for ch in &c.checks {
                if !ids.contains(&ch.as_str()) {
                    ids.push(ch);
                }
            }
        }
    }
    let ctx = Ctx::new(snapshot, opts);
    // Build the RBAC model once before the checks fan out.
    let _ = ctx.rbac();
    let checks: Vec<CheckResult> = ids
        .par_iter()
        .map(|id| {
            let def = CHECKS
                .iter()
                .find(|d| d.id == *id)
                .expect("catalog check ids are validated");
            (def.run)(&ctx)
        })
        .collect();
    let mut controls = Vec::new();
    for f in &selected {
        for c in &f.controls {
            let status = Status::combine(c.checks.iter().map(|id| {
                checks
                    .iter()
                    .find(|r| &r.id == id)
                    .map_or(Status::NotCollected, |r| r.status)
            }));
            controls.push(ControlResult {
                framework: f.id.clone(),
                id: c.id.clone(),
                title: c.title.clone(),
                requirement: c.requirement.clone(),
                status,
                checks: c.checks.clone(),
            });
        }
    }
    let access_review = ctx
        .rbac()
        .map(rbac::Model::access_review)
        .unwrap_or_default();
    Ok(Findings {
        api_version: crate::snapshot::API_VERSION.to_string(),
        kind: "Findings".to_string(),
        snapshot_collected_at: snapshot
            .collected_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        frameworks: selected
            .iter()
            .map(|f| FrameworkInfo {
                id: f.id.clone(),
                name: f.name.clone(),
                source: f.source.clone(),
            })
            .collect(),
        checks,
        controls,
        access_review,
    })
}

/// Findings as plain text for a terminal: the control matrix, then each check that is not
/// `pass` with its observations.
pub fn render_text(f: &Findings) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for fw in &f.frameworks {
        let _ = writeln!(s, "{} ({})", fw.name, fw.id);
        for c in f.controls.iter().filter(|c| c.framework == fw.id) {
            let _ = writeln!(s, "  {:<18} {:<15} {}", c.id, c.status.as_str(), c.title);
        }
        s.push('\n');
    }
    for c in &f.checks {
        let _ = writeln!(s, "[{}] {} - {}", c.status, c.id, c.title);
        let _ = writeln!(s, "    {}", c.explanation);
        if c.status != Status::Pass {
            for o in c.observations.iter().filter(|o| o.status != Status::Pass) {
                let _ = writeln!(s, "    - {}: {}", o.status, o.message);
            }
            if let Some(r) = &c.remediation {
                let _ = writeln!(s, "    remediation: {r}");
            }
        }
        for cmd in &c.commands {
            let _ = writeln!(s, "    $ {cmd}");
        }
    }
    s
}

/// Whether the findings are a negative verdict: some control fails or is partial.
pub fn is_negative(f: &Findings) -> bool {
    f.controls
        .iter()
        .any(|c| matches!(c.status, Status::Fail | Status::Partial))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No check holds a workload kind parsed whole: they are the bulk of a large cluster
    /// (pods alone were 417 of evaluation's 929 MiB at 2,000 namespaces).
    #[test]
    fn workload_kinds_are_never_parsed_whole() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/clusters/task-api");
        let snap = crate::collect::import_dir(&dir, &Default::default()).unwrap();
        let opts = EvalOptions::default();
        let ctx = Ctx::new(&snap, &opts);
        for def in CHECKS {
            (def.run)(&ctx);
        }
        let parsed: Vec<&str> = ctx
            .parsed
            .iter()
            .filter(|(_, cell)| cell.get().is_some())
            .map(|(k, _)| *k)
            .collect();
        assert!(parsed.contains(&"serviceaccounts"), "{parsed:?}");
        for k in util::WORKLOAD_KINDS {
            assert!(snap.collected(k).is_ok(), "{k} is in the fixture");
            assert!(!parsed.contains(k), "{k} was parsed whole: {parsed:?}");
        }
    }
}
