//! Writes a large Kubernetes audit log (JSON lines) for the `auditlog` benchmark by
//! replaying the real sample events in `shared/realdata` with varied users, namespaces,
//! object names, audit IDs and times spread over a quarter.
//!
//! ```text
//! cargo run --release -p benchgen --bin gen-auditlog -- OUT SIZE_MIB [SEED] [--profile heavy]
//! ```
//!
//! `--profile heavy` mixes in heavy RBAC and Secret traffic, scaled to the size: per
//! 256 MiB about 40,000 RBAC writes (create/update/patch/delete of Roles, ClusterRoles and
//! their bindings) and 70,000 Secret reads, the rest as in the default profile.
//!
//! Only `ResponseComplete` events are written (as with a policy that omits
//! `RequestReceived`), so a `jq` program that selects that stage counts the same requests
//! as `auditpack auditlog`. Reads dominate, as in a real cluster: RBAC writes and execs are
//! rare, and each user touches a bounded set of Secrets.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

enum Part {
    Lit(String),
    Id,
    Time,
    User,
    Ns,
    Name,
}

struct Template {
    parts: Vec<Part>,
    weight: u32,
    class: Class,
}

/// What a template's request is, for the heavy profile's mix.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    RbacWrite,
    Secret,
    Other,
}

/// RBAC writes and Secret reads per 256 MiB in the heavy profile.
const HEAVY_RBAC: u64 = 40_000;
const HEAVY_SECRETS: u64 = 70_000;

fn shared() -> PathBuf {
    if let Ok(p) = std::env::var("AUDITPACK_SHARED") {
        return PathBuf::from(p);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if beside.join("realdata").is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared")
}

fn samples() -> Vec<Value> {
    let real = shared().join("realdata");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(real.join("falcosecurity-falco/test/trace_files/k8s_audit"))
            .expect("falco samples")
            .map(|e| e.expect("entry").path())
            .collect();
    files.sort();
    files.push(real.join("liggitt-audit2rbac/testdata/demo.log"));
    files.push(
        real.join("crowdsecurity-hub/.tests/k8s-audit-pod-exec-file/k8s-audit-pod-exec-file.log"),
    );
    files.push(
        real.join("crowdsecurity-hub/.tests/k8s-audit-priv-pod-file/k8s-audit-priv-pod-file.log"),
    );
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("sample");
        for line in text.lines() {
            if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(line)
                && v.get("kind").and_then(Value::as_str) == Some("Event")
            {
                out.push(v);
            }
        }
    }
    out
}

fn template(mut v: Value) -> Template {
    let o = v.as_object_mut().expect("object");
    o.remove("timestamp");
    o.remove("metadata");
    o.insert("auditID".into(), "@@I@@".into());
    o.insert("stage".into(), "ResponseComplete".into());
    o.insert("requestReceivedTimestamp".into(), "@@T@@".into());
    o.insert("stageTimestamp".into(), "@@T@@".into());
    if let Some(u) = o.get_mut("user").and_then(Value::as_object_mut) {
        u.insert("username".into(), "@@U@@".into());
    }
    let mut rare = false;
    let mut class = Class::Other;
    let verb = o
        .get("verb")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Some(r) = o.get_mut("objectRef").and_then(Value::as_object_mut) {
        let group = r.get("apiGroup").and_then(Value::as_str).unwrap_or("");
        let sub = r.get("subresource").and_then(Value::as_str).unwrap_or("");
        let resource = r.get("resource").and_then(Value::as_str).unwrap_or("");
        rare = group == "rbac.authorization.k8s.io" || sub == "exec" || sub == "attach";
        if group == "rbac.authorization.k8s.io"
            && matches!(verb.as_str(), "create" | "update" | "patch" | "delete")
        {
            class = Class::RbacWrite;
        } else if group.is_empty() && resource == "secrets" && sub.is_empty() {
            class = Class::Secret;
        }
        if r.contains_key("namespace") {
            r.insert("namespace".into(), "@@N@@".into());
        }
        if r.contains_key("name") {
            r.insert("name".into(), "@@M@@".into());
        }
    }
    if class == Class::Secret {
        // The heavy profile's Secret traffic is reads.
        v["verb"] = "get".into();
        if let Some(r) = v.get_mut("objectRef").and_then(Value::as_object_mut)
            && !r.contains_key("name")
        {
            r.insert("name".into(), "@@M@@".into());
        }
    }
    let text = serde_json::to_string(&v).expect("serialize");
    let mut parts = Vec::new();
    for (i, piece) in text.split("@@").enumerate() {
        if i % 2 == 0 {
            parts.push(Part::Lit(piece.to_string()));
        } else {
            parts.push(match piece {
                "I" => Part::Id,
                "T" => Part::Time,
                "U" => Part::User,
                "N" => Part::Ns,
                "M" => Part::Name,
                other => Part::Lit(format!("@@{other}@@")),
            });
        }
    }
    Template {
        parts,
        weight: if rare { 1 } else { 60 },
        class,
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let heavy = match args.iter().position(|a| a == "--profile") {
        Some(i) => match args.get(i + 1).map(String::as_str) {
            Some("heavy") => true,
            Some("default") => false,
            other => {
                eprintln!("gen-auditlog: --profile must be heavy or default, not {other:?}");
                std::process::exit(2);
            }
        },
        None => false,
    };
    let args: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            *a != "--profile" && !(*i > 0 && args.get(i - 1).is_some_and(|p| p == "--profile"))
        })
        .map(|(_, a)| a)
        .collect();
    if args.len() < 3 {
        eprintln!("usage: gen-auditlog OUT SIZE_MIB [SEED] [--profile heavy]");
        std::process::exit(2);
    }
    let out = PathBuf::from(args[1]);
    let size: u64 = args[2].parse::<u64>().expect("SIZE_MIB") << 20;
    let seed: u64 = args.get(3).map_or(42, |s| s.parse().expect("SEED"));
    let templates: Vec<Template> = samples().into_iter().map(template).collect();
    let total_weight: u64 = templates.iter().map(|t| u64::from(t.weight)).sum();
    let avg: u64 = templates
        .iter()
        .map(|t| {
            u64::from(t.weight)
                * t.parts
                    .iter()
                    .map(|p| {
                        if let Part::Lit(s) = p {
                            s.len() as u64
                        } else {
                            30
                        }
                    })
                    .sum::<u64>()
        })
        .sum::<u64>()
        / total_weight;
    let events = (size / avg).max(1);
    let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().expect("time");
    let quarter_us: i64 = 90 * 86_400 * 1_000_000;
    let step = (quarter_us / events as i64).max(1);
    let users: Vec<String> = (0..500)
        .map(|i| match i % 5 {
            0 => format!("system:serviceaccount:ns-{}:controller-{i}", i % 50),
            1 => format!("system:node:node-{i}"),
            _ => format!("user-{i}@example.com"),
        })
        .collect();
    // Heavy profile: the share (per million events) of RBAC writes and Secret reads that
    // gives HEAVY_RBAC and HEAVY_SECRETS per 256 MiB.
    let per_256 = |n: u64| (n * size / (256 << 20)) * 1_000_000 / events.max(1);
    let (rbac_ppm, secret_ppm) = if heavy {
        (per_256(HEAVY_RBAC), per_256(HEAVY_SECRETS))
    } else {
        (0, 0)
    };
    let of = |c: Class| -> Vec<&Template> { templates.iter().filter(|t| t.class == c).collect() };
    let (rbac_tpls, secret_tpls) = (of(Class::RbacWrite), of(Class::Secret));
    assert!(
        !heavy || (!rbac_tpls.is_empty() && !secret_tpls.is_empty()),
        "the samples hold RBAC writes and Secret requests"
    );
    let mut rng = Rng(seed | 1);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out).expect("create OUT"));
    let mut written: u64 = 0;
    let mut t = start.timestamp_micros();
    let mut line = String::with_capacity(8192);
    while written < size {
        let mut pick = rng.below(total_weight);
        let roll = if heavy {
            rng.below(1_000_000)
        } else {
            u64::MAX
        };
        let tpl = if roll < rbac_ppm {
            rbac_tpls[rng.below(rbac_tpls.len() as u64) as usize]
        } else if roll < rbac_ppm + secret_ppm {
            secret_tpls[rng.below(secret_tpls.len() as u64) as usize]
        } else {
            templates
                .iter()
                .find(|tp| {
                    if pick < u64::from(tp.weight) {
                        true
                    } else {
                        pick -= u64::from(tp.weight);
                        false
                    }
                })
                .expect("weighted pick")
        };
        let u = rng.below(users.len() as u64) as usize;
        let time = DateTime::from_timestamp_micros(t)
            .expect("time")
            .to_rfc3339_opts(SecondsFormat::Micros, true);
        line.clear();
        for p in &tpl.parts {
            match p {
                Part::Lit(s) => line.push_str(s),
                Part::Id => {
                    let (a, b) = (rng.next(), rng.next());
                    line.push_str(&format!(
                        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                        a >> 32,
                        (a >> 16) & 0xffff,
                        a & 0xffff,
                        b >> 48,
                        b & 0xffff_ffff_ffff
                    ));
                }
                Part::Time => line.push_str(&time),
                Part::User => line.push_str(&users[u]),
                Part::Ns => line.push_str(&format!("ns-{}", u % 50)),
                Part::Name => line.push_str(&format!("obj-{}", rng.below(20))),
            }
        }
        line.push('\n');
        w.write_all(line.as_bytes()).expect("write");
        written += line.len() as u64;
        t += step;
    }
    w.flush().expect("flush");
    eprintln!("wrote {} ({} MiB)", out.display(), written >> 20);
}
