//! `auditpack version`: the version, and with `-o json|yaml` the build facts (git commit
//! when the build had one, rustc, target, profile, features).

use std::process::ExitCode;

use serde::Serialize;

use super::output::{Format, TEXT_JSON_YAML, document, print};

mod build {
    include!(concat!(env!("OUT_DIR"), "/build_info.rs"));
}

/// Flags of `auditpack version`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format: one line (text), or the build facts as JSON or YAML.
    #[arg(short = 'o', long = "output", value_name = "FORMAT", default_value = "text",
          value_parser = TEXT_JSON_YAML)]
    pub output: Format,
}

/// What `auditpack version -o json` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildInfo {
    /// The package version.
    pub version: &'static str,
    /// The git commit built, when the build had one (a source archive has none).
    pub git_commit: Option<&'static str>,
    /// `rustc --version` of the compiler.
    pub rustc: &'static str,
    /// The target triple.
    pub target: &'static str,
    /// The cargo profile.
    pub profile: &'static str,
    /// Cargo features enabled on the binary.
    pub features: &'static [&'static str],
}

/// The build facts of this binary.
pub fn info() -> BuildInfo {
    BuildInfo {
        version: env!("CARGO_PKG_VERSION"),
        git_commit: build::GIT_COMMIT,
        rustc: build::RUSTC,
        target: build::TARGET,
        profile: build::PROFILE,
        features: build::FEATURES,
    }
}

/// Runs `auditpack version`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let i = info();
    let text = match args.output {
        Format::Text => {
            let commit = i
                .git_commit
                .map(|c| format!(" ({})", &c[..c.len().min(12)]))
                .unwrap_or_default();
            format!("auditpack {}{commit} {} {}\n", i.version, i.target, i.rustc)
        }
        f => document(&i, f)?,
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
