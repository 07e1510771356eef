//! `auditpack demo`: the whole pipeline on the bundled example cluster (the Task API of the
//! compliance lesson), with a throw-away key, then verification of the folder and of its
//! archive. Prints the path of `index.html` last.
//!
//! The example cluster and catalog are embedded in the binary (build.rs), and written
//! into the demo's folder (`example/`) for the real importer to read: an installed binary
//! needs no checkout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};

use super::output::Format;
use super::summary::Summary;
use auditpack::cleanup;
use auditpack::keys;
use auditpack::{
    Cluster, EvalOptions, Framework, ImportOptions, Output, Plan, RenderOptions, Source, TrustStore,
};

/// Flags of `auditpack demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Example cluster folder (default: the Task API cluster embedded in the binary, written
    /// to OUT/example/clusters/task-api).
    #[arg(long, value_name = "DIR")]
    pub cluster: Option<PathBuf>,
    /// Folder to write the demo into (default: a new folder under the system's temp dir).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Where the embedded example cluster goes inside OUT/example.
const EXAMPLE_CLUSTER: &str = "clusters/task-api";
/// Where the embedded example catalog goes inside OUT/example.
const EXAMPLE_CATALOG: &str = "catalogs/pci-dss.yaml";
/// The catalog's source as the packet names it (its place in the repository).
const EXAMPLE_CATALOG_SOURCE: &str = "examples/catalogs/pci-dss.yaml";

/// Runs `auditpack demo`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(dir) = args.cluster.as_ref().filter(|d| !d.is_dir()) {
        anyhow::bail!(
            "--cluster {}: no such folder; give a folder of kubectl exports, or leave --cluster out to use the embedded example",
            dir.display()
        );
    }
    let now = auditpack::resolve_now(None, std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())?;
    let out = out_dir(args.out, now)?;
    let (unfinished, keys_dir, example_dir) = make_folders(&out)?;
    let cluster = match args.cluster {
        Some(dir) => dir,
        None => write_example(&example_dir)?,
    };
    let (key, pub_pem) = throwaway_key(&keys_dir)?;
    let public = key.verifying_key();

    println!(
        "1. collect   {} (kubectl exports of the Task API cluster)",
        cluster.display()
    );
    let catalogs = example_catalogs(&example_dir)?;
    println!(
        "2. evaluate  SOC2, HIPAA{}",
        if catalogs.is_empty() {
            ""
        } else {
            " and the example PCI-DSS catalog"
        }
    );
    let packet_dir = out.join("packet");
    let plan = demo_plan(&cluster, catalogs, &packet_dir, now, key);
    let made = auditpack::build(plan, &mut |_| {})?.made;
    println!(
        "3. render    packet {} ({} files)",
        made.packet.id,
        made.packet.files.len()
    );
    println!("4. seal      signed by throw-away key {}", made.seal.key_id);

    let archive = out.join(format!("{}.tar.gz", made.packet.id));
    auditpack::write_archive(&packet_dir, &archive)?;
    println!("5. archive   {}", archive.display());
    verify_both(&packet_dir, &archive, public)?;
    let mut summary = Summary::new(
        &made.findings,
        &made.packet.id,
        &packet_dir,
        &made.seal.key_id,
        made.seal.files,
    );
    summary.archive = Some(archive.display().to_string());
    println!("\n{}", summary.render(Format::Text)?.trim_end());
    print_recipe(&packet_dir, &pub_pem);
    drop(unfinished);
    println!("\n{}", packet_dir.join("index.html").display());
    Ok(ExitCode::SUCCESS)
}

/// Writes the embedded Task API cluster under `example_dir` (the same files, with the
/// same relative names, as examples/clusters/task-api, so the snapshot records the same
/// source); returns its folder.
fn write_example(example_dir: &Path) -> anyhow::Result<PathBuf> {
    let cluster = example_dir.join(EXAMPLE_CLUSTER);
    for (rel, bytes) in embedded::TASK_API {
        let path = cluster.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(cluster)
}

/// The folder to write into: `--out`, or a new one under the temp dir; it must be empty.
fn out_dir(arg: Option<PathBuf>, now: DateTime<Utc>) -> anyhow::Result<PathBuf> {
    let out = match arg {
        Some(o) => o,
        None => std::env::temp_dir().join(format!(
            "auditpack-demo-{}-{}",
            now.format("%Y%m%dT%H%M%S"),
            std::process::id()
        )),
    };
    if std::fs::read_dir(&out).is_ok_and(|mut d| d.next().is_some()) {
        anyhow::bail!("{} is not empty: give another --out", out.display());
    }
    Ok(out)
}

/// Creates `out` (when absent), `out/keys` and `out/example`, registered for removal if
/// the demo is interrupted: the whole folder when the demo made it, else the keys and
/// example folders (the packet and archive clean up their own). Returns the
/// registrations, the keys folder and the example folder.
fn make_folders(out: &Path) -> anyhow::Result<(Vec<cleanup::Registered>, PathBuf, PathBuf)> {
    let mut unfinished = Vec::new();
    if !out.exists() {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let ((), r) = cleanup::create(out, cleanup::Kind::Dir, |p| std::fs::create_dir(p))
            .with_context(|| format!("creating {}", out.display()))?;
        unfinished.push(r);
    }
    let [keys_dir, example_dir] = ["keys", "example"].map(|d| out.join(d));
    for dir in [&keys_dir, &example_dir] {
        let ((), r) = cleanup::create(dir, cleanup::Kind::Dir, |p| std::fs::create_dir(p))
            .with_context(|| format!("creating {}", dir.display()))?;
        unfinished.push(r);
    }
    Ok((unfinished, keys_dir, example_dir))
}

/// A throw-away key: only its public half is written (PEM and OpenSSH), for checking the
/// packet. Returns the key and the PEM file.
fn throwaway_key(keys_dir: &Path) -> anyhow::Result<(SigningKey, PathBuf)> {
    let key = SigningKey::generate(&mut rand_core::OsRng);
    let public = key.verifying_key();
    let pub_pem = keys_dir.join("demo-signer.pub.pem");
    std::fs::write(&pub_pem, keys::spki_pem(&public)?)?;
    std::fs::write(
        keys_dir.join("demo-signer.pub"),
        keys::openssh_public(&public, "auditpack-demo")?,
    )?;
    Ok((key, pub_pem))
}

/// The example PCI-DSS catalog (embedded), written under `example_dir` and loaded by the
/// catalog loader like any `--catalog`.
fn example_catalogs(example_dir: &Path) -> anyhow::Result<Vec<Framework>> {
    let pci = example_dir.join(EXAMPLE_CATALOG);
    if let Some(parent) = pci.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(&pci, embedded::PCI_DSS)
        .with_context(|| format!("writing {}", pci.display()))?;
    let mut framework = auditpack::load_catalog(&pci)?;
    framework.source = EXAMPLE_CATALOG_SOURCE.into();
    Ok(vec![framework])
}

/// The demo is one fixed plan: the bundled cluster, the built-in frameworks and the
/// example catalog, a throw-away key, the default quarter.
fn demo_plan(
    cluster: &Path,
    catalogs: Vec<Framework>,
    packet_dir: &Path,
    now: DateTime<Utc>,
    key: SigningKey,
) -> Plan {
    Plan {
        source: Source {
            cluster_name: cluster
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            ..Source::new(Cluster::Files {
                dir: cluster.to_path_buf(),
                options: ImportOptions::default(),
            })
        },
        eval: EvalOptions {
            catalogs,
            ..EvalOptions::default()
        },
        render: RenderOptions {
            signer: Some(auditpack::SignerInfo {
                key: key.verifying_key(),
                name: Some("demo-signer (throw-away)".into()),
                sealed_at: now,
            }),
            ..RenderOptions::new(packet_dir, now)
        },
        out: Output::Dir(packet_dir.to_path_buf()),
        previous_trust: None,
        key,
        archive: None,
    }
}

/// Verifies the folder and the archive against the demo key; fails with the failures
/// listed when either does not verify.
fn verify_both(packet_dir: &Path, archive: &Path, public: VerifyingKey) -> anyhow::Result<()> {
    let mut trust = TrustStore::new();
    trust.add(public, "demo signer");
    for (step, path) in [(6, packet_dir), (7, archive)] {
        let report = auditpack::verify_path(path, &trust)?;
        if !report.is_verified() {
            for f in &report.failures {
                eprintln!("  FAIL {} {}: {}", f.rule, f.path, f.detail);
            }
            anyhow::bail!("the demo packet {} did not verify", path.display());
        }
        println!(
            "{step}. verify    {}: verified ({} files)",
            path.display(),
            report.files_checked
        );
    }
    Ok(())
}

/// How to check the packet without auditpack.
fn print_recipe(packet_dir: &Path, pub_pem: &Path) {
    println!("\ncheck it without auditpack:");
    println!("  cd {} && sha256sum -c SHA256SUMS", packet_dir.display());
    println!(
        "  openssl pkeyutl -verify -pubin -inkey {} -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig",
        pub_pem.display()
    );
}
