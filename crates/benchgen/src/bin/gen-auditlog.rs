//! Writes a large Kubernetes audit log (JSON lines) for the `auditlog` benchmark by
//! replaying the real sample events in `shared/realdata` with varied users, namespaces,
//! object names, audit IDs and times spread over a quarter.
//!
//! ```text
//! cargo run --release -p benchgen --bin gen-auditlog -- OUT SIZE_MIB [SEED]
//! ```
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
}

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
    if let Some(r) = o.get_mut("objectRef").and_then(Value::as_object_mut) {
        let group = r.get("apiGroup").and_then(Value::as_str).unwrap_or("");
        let sub = r.get("subresource").and_then(Value::as_str).unwrap_or("");
        rare = group == "rbac.authorization.k8s.io" || sub == "exec" || sub == "attach";
        if r.contains_key("namespace") {
            r.insert("namespace".into(), "@@N@@".into());
        }
        if r.contains_key("name") {
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
    if args.len() < 3 {
        eprintln!("usage: gen-auditlog OUT SIZE_MIB [SEED]");
        std::process::exit(2);
    }
    let out = PathBuf::from(&args[1]);
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
    let mut rng = Rng(seed | 1);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out).expect("create OUT"));
    let mut written: u64 = 0;
    let mut t = start.timestamp_micros();
    let mut line = String::with_capacity(8192);
    while written < size {
        let mut pick = rng.below(total_weight);
        let tpl = templates
            .iter()
            .find(|tp| {
                if pick < u64::from(tp.weight) {
                    true
                } else {
                    pick -= u64::from(tp.weight);
                    false
                }
            })
            .expect("weighted pick");
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
