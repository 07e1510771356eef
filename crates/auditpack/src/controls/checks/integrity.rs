//! Image integrity (HIPAA 164.312(c)(1)): images pinned by digest
//! (`integrity.image-digests`) and signatures verified at admission
//! (`integrity.image-signing`, from Kyverno, sigstore and ValidatingAdmissionPolicies).

use serde_json::Value;

use crate::controls::util::{
    Builder, SYSTEM_NAMESPACES, WORKLOAD_KINDS, arr, evidence, evidence_file, kind_name, name,
    namespace, pod_spec, str_at, strs,
};
use crate::controls::{CheckDef, Ctx};
use crate::findings::{CheckResult, Status};
use crate::snapshot::kinds::{
    CLUSTER_IMAGE_POLICIES, CRON_JOBS, DAEMON_SETS, DEPLOYMENTS, JOBS, KYVERNO_CLUSTER_POLICIES,
    PODS, STATEFUL_SETS, VALIDATING_ADMISSION_POLICIES,
};
/// The checks of the `integrity` family.
pub const CHECKS: &[&CheckDef] = &[&IMAGE_DIGESTS, &IMAGE_SIGNING];

/// `integrity.image-digests`: every application container image is pinned by digest.
pub const IMAGE_DIGESTS: CheckDef = CheckDef {
    id: "integrity.image-digests",
    title: "Images pinned by digest",
    resource: "Pods and pod templates (container images)",
    commands: &[
        "kubectl get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}: {.spec.containers[*].image}{\"\\n\"}{end}'",
    ],
    requires: &[],
    judges: "whether images are pinned by digest",
    // Walked one kind at a time: a later kind missing keeps what the earlier ones showed.
    reads: WORKLOAD_KINDS,
    run: image_digests,
};

/// The digest algorithms the OCI image spec registers, with the length of their encoded
/// part (lower-case hex): `sha256`, `sha512` and `blake3`.
const REGISTERED_DIGESTS: &[(&str, usize)] = &[("sha256", 64), ("sha512", 128), ("blake3", 64)];

/// Whether an image reference is pinned by a valid digest (`name[:tag]@ALGORITHM:HEX`),
/// or why not. The digest must follow the OCI image spec's grammar
/// (`algorithm ":" encoded`) with a registered algorithm and its encoding exactly:
/// `sha256:` and 64 lower-case hex digits, `sha512:` and 128, `blake3:` and 64.
pub fn digest_pin(image: &str) -> Result<(), String> {
    let Some((_, digest)) = image.rsplit_once('@') else {
        return Err("has no @digest: a tag can be moved to other content".into());
    };
    let Some((alg, encoded)) = digest.split_once(':') else {
        return Err(format!(
            "has a malformed digest {digest:?} (no `algorithm:` prefix)"
        ));
    };
    let grammar = !alg.is_empty()
        && alg.split(['+', '.', '_', '-']).all(|c| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    if !grammar {
        return Err(format!(
            "has a malformed digest {digest:?} (not `algorithm:encoded` as the OCI image spec defines it)"
        ));
    }
    let Some((_, len)) = REGISTERED_DIGESTS.iter().find(|(a, _)| *a == alg) else {
        return Err(format!(
            "has a digest of the unregistered algorithm {alg:?}: only sha256, sha512 and blake3 are registered by the OCI image spec"
        ));
    };
    if encoded.len() != *len
        || !encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!(
            "has an invalid {alg} digest {digest:?}: it must be {len} lower-case hex digits, so it pins nothing"
        ));
    }
    Ok(())
}

fn image_digests(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let mut judged = 0;
    let mut bad = 0;
    for k in WORKLOAD_KINDS {
        let items = match ctx.objects(k) {
            Ok(i) => i,
            Err(e) => {
                // The other kinds are still judged: a failure seen is not hidden.
                b.missing(&e, "whether images are pinned by digest");
                continue;
            }
        };
        for o in items {
            let o = &o;
            let ns = namespace(o).unwrap_or("");
            if SYSTEM_NAMESPACES.contains(&ns) {
                continue;
            }
            let Some((_, spec, ptr)) = pod_spec(k, o) else {
                continue;
            };
            for field in ["containers", "initContainers", "ephemeralContainers"] {
                for (i, c) in arr(spec, &format!("/{field}")).iter().enumerate() {
                    judged += 1;
                    let image = str_at(c, "/image").unwrap_or("");
                    if let Err(why) = digest_pin(image) {
                        bad += 1;
                        b.push(
                            Status::Fail,
                            format!(
                                "{} {ns}/{} container {} uses {image:?}, which {why}",
                                kind_name(k),
                                name(o),
                                str_at(c, "/name").unwrap_or("?")
                            ),
                            evidence(k, o, format!("{ptr}/{field}/{i}/image")),
                        );
                    }
                }
            }
        }
    }
    if bad == 0 && judged > 0 {
        b.push(
            Status::Pass,
            format!("all {judged} application container images are pinned by a valid digest"),
            evidence_file(PODS, "", "/spec/containers"),
        );
    }
    let status = b.derived().unwrap_or(Status::NotApplicable);
    let explanation = match status {
        Status::Pass => format!(
            "All {judged} container images of application pods and pod templates are referenced by digest, so what runs is exactly what was built and reviewed."
        ),
        Status::NotApplicable => "There are no application containers.".to_string(),
        _ => format!(
            "{bad} of {judged} application container images are not pinned by a valid digest (a tag, or a digest that is malformed or of an unregistered algorithm): the registry can serve different content under the same reference."
        ),
    };
    b.finish(status, explanation, Some("Reference images as `registry/name@sha256:DIGEST` (the tag may stay in front for readability)."))
}

/// An image pattern as image policies write it, where `*` (or a run of them) matches any
/// run of characters, `/` included, and every other character is literal.
pub fn image_pattern(pattern: &str) -> glob::Pattern {
    // A run of `*` is one wildcard: `**` means nothing more in image references.
    let mut collapsed = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        if !(c == '*' && collapsed.ends_with('*')) {
            collapsed.push(c);
        }
    }
    let escaped: Vec<String> = collapsed.split('*').map(glob::Pattern::escape).collect();
    glob::Pattern::new(&escaped.join("*")).expect("an escaped pattern with only `*` compiles")
}

/// `integrity.image-signing`: admission verifies image signatures.
pub const IMAGE_SIGNING: CheckDef = CheckDef {
    id: "integrity.image-signing",
    title: "Image signatures verified at admission",
    resource: "Kyverno ClusterPolicies, sigstore ClusterImagePolicies, ValidatingAdmissionPolicies",
    commands: &[
        "kubectl get clusterpolicies.kyverno.io,clusterimagepolicies.policy.sigstore.dev,validatingadmissionpolicies -o yaml",
    ],
    requires: &[],
    judges: "whether admission verifies image signatures",
    // Optional CRDs and the workloads they cover: what is missing is weighed per kind.
    reads: &[
        KYVERNO_CLUSTER_POLICIES,
        CLUSTER_IMAGE_POLICIES,
        VALIDATING_ADMISSION_POLICIES,
        PODS,
        DEPLOYMENTS,
        STATEFUL_SETS,
        DAEMON_SETS,
        JOBS,
        CRON_JOBS,
    ],
    run: image_signing,
};

fn image_signing(ctx: &Ctx, mut b: Builder) -> CheckResult {
    let mut seen = Policies::default();
    match ctx.items(KYVERNO_CLUSTER_POLICIES) {
        Ok(pols) => kyverno_policies(&mut b, &mut seen, pols),
        Err(e) => seen.uncollected.push(e.key),
    }
    match ctx.items(CLUSTER_IMAGE_POLICIES) {
        Ok(pols) => sigstore_policies(&mut b, &mut seen, pols),
        Err(e) => seen.uncollected.push(e.key),
    }
    match ctx.items(VALIDATING_ADMISSION_POLICIES) {
        Ok(vaps) => image_admission_policies(&mut b, vaps),
        Err(e) => seen.uncollected.push(e.key),
    }
    let found = b.observations.len();
    if !seen.patterns.is_empty() {
        uncovered_images(ctx, &mut b, &mut seen);
    }
    image_signing_verdict(b, found, &seen.uncollected)
}

/// What the signature policies cover: the image patterns enforced, and the kinds that
/// were not collected.
#[derive(Default)]
struct Policies {
    patterns: Vec<String>,
    uncollected: Vec<String>,
}

/// Kyverno ClusterPolicies with `verifyImages` rules, enforcing or only auditing.
fn kyverno_policies(b: &mut Builder, seen: &mut Policies, pols: &[Value]) {
    for p in pols {
        for (i, rule) in arr(p, "/spec/rules").iter().enumerate() {
            let vis = arr(rule, "/verifyImages");
            if vis.is_empty() {
                continue;
            }
            let action = vis
                .iter()
                .find_map(|v| str_at(v, "/failureAction"))
                .or_else(|| str_at(p, "/spec/validationFailureAction"))
                .unwrap_or("Audit");
            let enforce = action.eq_ignore_ascii_case("enforce");
            let refs: Vec<&str> = vis
                .iter()
                .flat_map(|v| strs(v, "/imageReferences"))
                .collect();
            if enforce {
                seen.patterns.extend(refs.iter().map(|r| r.to_string()));
            }
            b.push(
                if enforce {
                    Status::Pass
                } else {
                    Status::Partial
                },
                format!(
                    "Kyverno ClusterPolicy {} rule {} verifies signatures of {} in {action} mode{}",
                    name(p),
                    str_at(rule, "/name").unwrap_or("?"),
                    if refs.is_empty() {
                        "images".to_string()
                    } else {
                        refs.join(", ")
                    },
                    if enforce {
                        ""
                    } else {
                        " (unsigned images are admitted and only reported)"
                    }
                ),
                evidence(
                    KYVERNO_CLUSTER_POLICIES,
                    p,
                    format!("/spec/rules/{i}/verifyImages"),
                ),
            );
        }
    }
}

/// sigstore policy-controller ClusterImagePolicies, enforcing or warning.
fn sigstore_policies(b: &mut Builder, seen: &mut Policies, pols: &[Value]) {
    for p in pols {
        let mode = str_at(p, "/spec/mode").unwrap_or("enforce");
        let images: Vec<&str> = arr(p, "/spec/images")
            .iter()
            .filter_map(|i| str_at(i, "/glob"))
            .collect();
        if mode == "enforce" {
            seen.patterns.extend(images.iter().map(|r| r.to_string()));
        }
        b.push(
            if mode == "enforce" { Status::Pass } else { Status::Partial },
            format!("sigstore ClusterImagePolicy {} verifies signatures of {} in {mode} mode (in namespaces labelled policy.sigstore.dev/include=true)", name(p), images.join(", ")),
            evidence(CLUSTER_IMAGE_POLICIES, p, "/spec"),
        );
    }
}

/// ValidatingAdmissionPolicies about images: CEL can check references, not signatures.
fn image_admission_policies(b: &mut Builder, vaps: &[Value]) {
    for p in vaps {
        let about_images = arr(p, "/spec/validations")
            .iter()
            .any(|v| str_at(v, "/expression").is_some_and(|e| e.contains(".image")));
        if about_images {
            b.push(Status::Partial, format!("ValidatingAdmissionPolicy {} checks container image references; CEL can restrict registries or require digests but cannot verify signatures", name(p)), evidence(VALIDATING_ADMISSION_POLICIES, p, "/spec/validations"));
        }
    }
}

/// Images that no enforcing signature policy covers are admitted unsigned: each one in an
/// application workload.
fn uncovered_images(ctx: &Ctx, b: &mut Builder, seen: &mut Policies) {
    let patterns: Vec<glob::Pattern> = seen.patterns.iter().map(|p| image_pattern(p)).collect();
    for k in WORKLOAD_KINDS {
        let Ok(items) = ctx.objects(k) else {
            seen.uncollected.push(k.key.to_string());
            continue;
        };
        for o in items {
            let o = &o;
            let ns = namespace(o).unwrap_or("");
            if SYSTEM_NAMESPACES.contains(&ns) {
                continue;
            }
            let Some((_, spec, ptr)) = pod_spec(k, o) else {
                continue;
            };
            for field in ["containers", "initContainers", "ephemeralContainers"] {
                for (i, c) in arr(spec, &format!("/{field}")).iter().enumerate() {
                    let image = str_at(c, "/image").unwrap_or("");
                    if !patterns.iter().any(|p| p.matches(image)) {
                        b.push(
                            Status::Partial,
                            format!("{} {ns}/{} runs image {image:?}, which no enforcing signature policy covers", kind_name(k), name(o)),
                            evidence(k, o, format!("{ptr}/{field}/{i}/image")),
                        );
                    }
                }
            }
        }
    }
}

/// The verdict: `found` is how many policy observations there were before the images
/// were weighed.
fn image_signing_verdict(mut b: Builder, found: usize, uncollected: &[String]) -> CheckResult {
    for k in uncollected {
        b.push(
            Status::NotCollected,
            format!("{k} was not collected"),
            evidence_file(k, "", ""),
        );
    }
    if found == 0 {
        if uncollected.is_empty() {
            b.push(Status::Fail, "no admission policy verifies image signatures (Kyverno and sigstore policy-controller are absent or have no such policy)", evidence_file(KYVERNO_CLUSTER_POLICIES, "", ""));
            return b.finish(Status::Fail, "Nothing at admission verifies that images are signed by a trusted builder, so any image that can be pulled can run.", Some("Install Kyverno (verifyImages rules) or sigstore policy-controller (ClusterImagePolicy) and enforce signatures for application images."));
        }
        return b.finish(Status::NotCollected, format!("No image-signature policy was found, but {} were not collected, so absence cannot be shown.", uncollected.join(", ")), Some("Collect the policy kinds."));
    }
    let status = b.derived().unwrap_or(Status::Fail);
    let explanation = match status {
        Status::Pass => format!(
            "Admission verifies image signatures in enforce mode: {}.",
            b.observations.iter().map(|o| o.message.as_str()).collect::<Vec<_>>().join("; ")
        ),
        _ => "Image signatures are verified only partly (audit mode, reference checks without signatures, or kinds not collected); see the observations.".to_string(),
    };
    b.finish(
        status,
        explanation,
        Some("Switch signature verification to enforce mode and cover every application image."),
    )
}

#[cfg(test)]
mod tests {
    use super::{digest_pin, image_pattern};

    fn glob_match(pattern: &str, text: &str) -> bool {
        image_pattern(pattern).matches(text)
    }

    #[test]
    fn only_valid_oci_digests_pin() {
        let h64 = "3f".repeat(32);
        let h128 = "ab".repeat(64);
        for ok in [
            format!("ghcr.io/x/app@sha256:{h64}"),
            format!("ghcr.io/x/app:1.2@sha256:{h64}"),
            format!("registry:5000/app@sha512:{h128}"),
            format!("app@blake3:{h64}"),
        ] {
            assert_eq!(digest_pin(&ok), Ok(()), "{ok}");
        }
        for bad in [
            "ghcr.io/x/app:1.2".to_string(),
            "ghcr.io/x/app@sha256:abc".to_string(),
            format!("ghcr.io/x/app@sha256:{}", h64.to_uppercase()),
            format!("ghcr.io/x/app@sha256:{h64}0"),
            format!("ghcr.io/x/app@sha512:{h64}"),
            format!("ghcr.io/x/app@sha256:{}", "g".repeat(64)),
            format!("ghcr.io/x/app@md5:{h64}"),
            format!("ghcr.io/x/app@SHA256:{h64}"),
            format!("ghcr.io/x/app@{h64}"),
            "ghcr.io/x/app@sha256:".to_string(),
        ] {
            assert!(digest_pin(&bad).is_err(), "{bad} must not count as pinned");
        }
    }

    #[test]
    fn image_globs() {
        assert!(glob_match(
            "ghcr.io/example/*",
            "ghcr.io/example/task-api@sha256:3f"
        ));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("ghcr.io/*/sentry*", "ghcr.io/dapr/sentry:1.12"));
        assert!(!glob_match("ghcr.io/example/*", "docker.io/example/x"));
        assert!(!glob_match(
            "registry.example.com/app",
            "registry.example.com/app2"
        ));
        assert!(!glob_match("a*b*c", "acb"));
        assert!(glob_match("a*b*c", "a-b-c"));
        assert!(
            glob_match("ghcr.io/**", "ghcr.io/a/b:1"),
            "a run of * is one wildcard"
        );
        assert!(glob_match("ghcr.io/a**b", "ghcr.io/a/x/b"));
        assert!(glob_match("*", ""));
        assert!(
            glob_match(
                "registry.example.com/app?[x]",
                "registry.example.com/app?[x]"
            ),
            "? and [ are literal in image patterns"
        );
        assert!(!glob_match(
            "registry.example.com/app?",
            "registry.example.com/app2"
        ));
        assert!(
            !glob_match("ghcr.io/Example/*", "ghcr.io/example/x"),
            "case matters"
        );
    }
}
