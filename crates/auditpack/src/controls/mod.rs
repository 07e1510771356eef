//! Control evaluation: framework catalogs (data) and the checks (code) that turn a
//! [`Snapshot`] into [`Findings`].
//!
//! The unit of evaluation is a check (`rbac.cluster-admin`, `network.default-deny`, ...);
//! catalogs map framework controls onto checks, and a control's status is
//! [`Status::combine`] of its checks. A check whose input kind was not collected says
//! `not-collected`, never `pass`. Each check lives in the file of its id's family under
//! [`checks`] (`rbac.*` in [`checks::rbac`], ...); the engines they rest on (effective RBAC
//! access, Pod Security Standards, the kube-apiserver's flags, audit Policy levels) are in
//! [`model`].

use std::collections::HashMap;
use std::sync::OnceLock;

use rayon::prelude::*;
use serde_json::Value;

use crate::findings::{CheckResult, ControlResult, Findings, FrameworkInfo, Status};
use crate::snapshot::kinds::{CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, ROLE_BINDINGS, ROLES};
use crate::snapshot::{KindInfo, NotCollected, Snapshot};
use util::Builder;

pub mod catalog;
pub mod checks;
pub mod model;
pub mod util;

pub use catalog::{CatalogError, Framework};
pub use checks::lifecycle::{AccessChange, ChangeKind, access_changes};

/// The input every check reads: the snapshot, the options, and what is built once per
/// evaluation (each kind parsed, the RBAC model). The parsed objects live as long as the
/// context, not the snapshot, so rendering after evaluation does not carry them.
pub struct Ctx<'a> {
    /// The snapshot under evaluation.
    pub snap: &'a Snapshot,
    /// The previous snapshot, for the access changes over the period.
    pub previous: Option<&'a Snapshot>,
    parsed: HashMap<&'a str, OnceLock<Vec<Value>>>,
    rbac: OnceLock<Result<model::rbac::Model, NotCollected>>,
    workloads: OnceLock<checks::workload::Scan>,
}

impl<'a> Ctx<'a> {
    /// A context over a snapshot.
    pub fn new(snap: &'a Snapshot, opts: &'a EvalOptions) -> Self {
        Ctx {
            snap,
            previous: opts.previous.as_ref(),
            parsed: snap
                .resources
                .keys()
                .map(|k| (k.as_str(), OnceLock::new()))
                .collect(),
            rbac: OnceLock::new(),
            workloads: OnceLock::new(),
        }
    }

    /// The objects of a kind, parsed once per evaluation, or [`NotCollected`] when they
    /// are not complete evidence (an `absent` kind yields an empty slice).
    pub fn items(&self, key: impl AsRef<str>) -> Result<&[Value], NotCollected> {
        let key = key.as_ref();
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
    pub fn objects(
        &self,
        key: impl AsRef<str>,
    ) -> Result<impl Iterator<Item = Value> + '_, NotCollected> {
        Ok(self.snap.collected(key)?.iter().map(|i| i.value()))
    }

    /// The objects of a kind in one namespace, parsed (only those are read).
    pub fn objects_in(
        &self,
        key: impl AsRef<str>,
        namespace: &str,
    ) -> Result<Vec<Value>, NotCollected> {
        Ok(self.snap.collected(key)?.parse_in(namespace))
    }

    /// What the one walk over the pods and pod templates found for the checks of
    /// [`checks::SCANNED`], built on first use.
    pub(crate) fn workload_scan(&self) -> &checks::workload::Scan {
        self.workloads
            .get_or_init(|| checks::workload::Scan::build(self, checks::SCANNED))
    }

    /// The RBAC model, built on first use.
    pub fn rbac(&self) -> Result<&model::rbac::Model, &NotCollected> {
        self.rbac
            .get_or_init(|| {
                Ok(model::rbac::Model::build(
                    self.items(ROLES)?,
                    self.items(ROLE_BINDINGS)?,
                    self.items(CLUSTER_ROLES)?,
                    self.items(CLUSTER_ROLE_BINDINGS)?,
                ))
            })
            .as_ref()
    }
}

/// A check: its id and what a result shows of it, the kinds it reads, and the function
/// that runs it. Each is a `&'static` constant in its family's file under [`checks`],
/// listed in that file's `CHECKS`; the id is written there once.
#[derive(Debug)]
pub struct CheckDef {
    /// Stable id (`rbac.cluster-admin`); its family (before the dot) names its file.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// The resources it reads, for the reader.
    pub resource: &'static str,
    /// Commands that reproduce its evidence, shown with every result (also not-collected).
    pub commands: &'static [&'static str],
    /// Kinds without which it cannot judge anything, in the order it reads them: when one
    /// is not complete evidence, [`CheckDef::evaluate`] gives `not-collected` naming the
    /// first, and `run` is not called.
    pub requires: &'static [&'static KindInfo],
    /// What cannot be judged without them (`who holds these permissions`).
    pub judges: &'static str,
    /// Other kinds it reads, whose absence it weighs itself (optional CRDs, the workload
    /// kinds it walks one at a time). Read by the catalog consistency test, which holds
    /// every check to the kinds it declares.
    #[cfg_attr(not(test), allow(dead_code))]
    pub reads: &'static [&'static KindInfo],
    /// Runs the check, on a builder started from this definition; every kind of
    /// `requires` is evidence.
    pub run: fn(&Ctx, Builder) -> CheckResult,
}

impl CheckDef {
    /// Runs the check: `not-collected` when a required kind is missing, else `run`.
    pub fn evaluate(&'static self, ctx: &Ctx) -> CheckResult {
        let mut b = Builder::new(self);
        for c in self.commands {
            b.cmd(*c);
        }
        for k in self.requires {
            if let Err(e) = ctx.snap.collected(k) {
                return util::not_collected(b, &e, self.judges);
            }
        }
        (self.run)(ctx, b)
    }
}

/// The message of the `expect` on a kind of [`CheckDef::requires`]: `evaluate` has shown
/// it is evidence before `run` reads it.
pub(crate) const REQUIRED: &str = "a required kind is evidence (CheckDef::evaluate)";

/// The checks of each family, in evaluation-report order.
const FAMILIES: &[&[&CheckDef]] = &[
    checks::rbac::CHECKS,
    checks::identity::CHECKS,
    checks::lifecycle::CHECKS,
    checks::network::CHECKS,
    checks::pss::CHECKS,
    checks::workload::CHECKS,
    checks::secrets::CHECKS,
    checks::exposure::CHECKS,
    checks::integrity::CHECKS,
    checks::encryption::CHECKS,
    checks::authn::CHECKS,
    checks::transit::CHECKS,
    checks::audit::CHECKS,
];

/// Every check this build implements.
pub fn all_checks() -> impl Iterator<Item = &'static CheckDef> {
    FAMILIES.iter().flat_map(|f| f.iter().copied())
}

/// The check with this id.
pub fn check(id: &str) -> Option<&'static CheckDef> {
    all_checks().find(|c| c.id == id)
}

/// The ids of every check.
pub fn check_ids() -> Vec<&'static str> {
    all_checks().map(|c| c.id).collect()
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
    evaluate_since(snapshot, opts, None)
}

/// [`evaluate`], with the previous snapshot borrowed from its holder (a previous packet)
/// rather than moved into the options; `opts.previous` is used when `previous` is `None`.
pub fn evaluate_since(
    snapshot: &Snapshot,
    opts: &EvalOptions,
    previous: Option<&Snapshot>,
) -> Result<Findings, EvalError> {
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
    let mut ctx = Ctx::new(snapshot, opts);
    if previous.is_some() {
        ctx.previous = previous;
    }
    // Build the RBAC model once before the checks fan out.
    let _ = ctx.rbac();
    let checks: Vec<CheckResult> = ids
        .par_iter()
        .map(|id| {
            check(id)
                .expect("catalog check ids are validated")
                .evaluate(&ctx)
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
                level: c.level.map(|l| l.as_str().to_string()),
                rationale: c.rationale.clone(),
            });
        }
    }
    let access_review = ctx
        .rbac()
        .map(model::rbac::Model::access_review)
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
                version: f.version.clone(),
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

/// The worst control status of the findings ([`Status::combine`] over every control):
/// what `evaluate` and `packet` turn into an exit code.
pub fn overall(f: &Findings) -> Status {
    if f.controls.is_empty() {
        return Status::NotApplicable;
    }
    Status::combine(f.controls.iter().map(|c| c.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No check holds a workload kind parsed whole: they are the bulk of a large cluster
    /// (pods alone were 417 of evaluation's 929 MiB at 2,000 namespaces).
    #[test]
    fn workload_kinds_are_never_parsed_whole() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/clusters/task-api");
        let snap = crate::collect::import_dir(&dir, &Default::default()).unwrap();
        let opts = EvalOptions::default();
        let ctx = Ctx::new(&snap, &opts);
        for def in all_checks() {
            def.evaluate(&ctx);
        }
        let parsed: Vec<&str> = ctx
            .parsed
            .iter()
            .filter(|(_, cell)| cell.get().is_some())
            .map(|(k, _)| *k)
            .collect();
        assert!(
            parsed.contains(&crate::snapshot::kinds::SERVICE_ACCOUNTS.key),
            "{parsed:?}"
        );
        for k in util::WORKLOAD_KINDS {
            assert!(snap.collected(k).is_ok(), "{} is in the fixture", k.key);
            assert!(
                !parsed.contains(&k.key),
                "{} was parsed whole: {parsed:?}",
                k.key
            );
        }
    }

    fn task_api() -> Snapshot {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/clusters/task-api");
        crate::collect::import_dir(&dir, &Default::default()).unwrap()
    }

    /// A check reads only the kinds its definition declares: with every other kind marked
    /// not collected, each result is the same.
    #[test]
    fn checks_read_only_the_kinds_they_declare() {
        let full = task_api();
        let opts = EvalOptions::default();
        let ctx = Ctx::new(&full, &opts);
        for def in all_checks() {
            let mut narrow = full.clone();
            let keys: Vec<String> = narrow.resources.keys().cloned().collect();
            for key in keys {
                if !def.requires.iter().chain(def.reads).any(|k| k.key == key) {
                    narrow.mark(&key, crate::snapshot::CollectionStatus::Forbidden, "403");
                }
            }
            let narrow_ctx = Ctx::new(&narrow, &opts);
            assert_eq!(def.evaluate(&narrow_ctx), def.evaluate(&ctx), "{}", def.id);
        }
    }

    /// A required kind that is missing gives not-collected naming the first of them, with
    /// the definition's commands, whatever else the snapshot holds.
    #[test]
    fn a_missing_required_kind_is_not_collected_before_the_check_runs() {
        let mut snap = task_api();
        snap.mark(
            crate::snapshot::kinds::CLUSTER_ROLES,
            crate::snapshot::CollectionStatus::Forbidden,
            "403",
        );
        let opts = EvalOptions::default();
        let ctx = Ctx::new(&snap, &opts);
        let r = check("lifecycle.orphaned-bindings").unwrap().evaluate(&ctx);
        assert_eq!(r.status, Status::NotCollected);
        assert_eq!(
            r.observations[0].evidence.kind,
            "clusterroles.rbac.authorization.k8s.io"
        );
        assert!(
            r.observations[0]
                .message
                .contains("whether bindings outlived their subjects")
        );
        assert_eq!(
            r.commands,
            [
                "kubectl get rolebindings,clusterrolebindings -A -o yaml",
                "kubectl get serviceaccounts -A"
            ]
        );
        for def in all_checks().filter(|d| d.requires.contains(&CLUSTER_ROLES)) {
            assert_eq!(
                def.evaluate(&ctx).status,
                Status::NotCollected,
                "{}",
                def.id
            );
        }
    }

    #[test]
    fn check_ids_are_unique_and_name_their_family_file() {
        let ids = check_ids();
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        for (family, list) in [
            ("rbac", checks::rbac::CHECKS),
            ("identity", checks::identity::CHECKS),
            ("lifecycle", checks::lifecycle::CHECKS),
            ("network", checks::network::CHECKS),
            ("pss", checks::pss::CHECKS),
            ("workload", checks::workload::CHECKS),
            ("secrets", checks::secrets::CHECKS),
            ("exposure", checks::exposure::CHECKS),
            ("integrity", checks::integrity::CHECKS),
            ("encryption", checks::encryption::CHECKS),
            ("authn", checks::authn::CHECKS),
            ("transit", checks::transit::CHECKS),
            ("audit", checks::audit::CHECKS),
        ] {
            for d in list {
                assert_eq!(d.id.split('.').next(), Some(family), "{}", d.id);
            }
        }
    }
}
