//! `auditpack keygen`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::seal::passphrase_from_env;
use auditpack::keys;

/// Flags of `auditpack keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to write the key files into (created with mode 0700 if absent).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Base name: writes NAME.key.pem (private, 0600), NAME.pub.pem and NAME.pub.
    #[arg(long, default_value = "auditpack")]
    pub name: String,
    /// Encrypt the private key with the passphrase held in this environment variable.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
}

/// Runs `auditpack keygen`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.name.is_empty() || args.name.contains('/') {
        anyhow::bail!("--name {:?}: give a plain file name without `/`", args.name);
    }
    let pass = args
        .passphrase_env
        .as_deref()
        .map(passphrase_from_env)
        .transpose()?;
    if !args.out.exists() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&args.out)
            .with_context(|| format!("--out {}: cannot create the folder", args.out.display()))?;
    }
    let made = keys::generate(&args.out, &args.name, pass.as_ref().map(|p| p.as_str()))
        .context("keygen failed")?;
    println!(
        "private key: {}{}",
        made.private_key.display(),
        if made.encrypted { " (encrypted)" } else { "" }
    );
    println!("public key:  {}", made.public_pem.display());
    println!("openssh:     {}", made.public_openssh.display());
    // The id alone on its line (scripts read it); `ssh-keygen -lf NAME.pub` prints it too.
    println!("key id:      {}", made.key_id);
    let public = keys::load_public_key(&made.public_openssh).context("keygen failed")?;
    for (label, id) in keys::other_key_ids(&public) {
        println!("             {label} {id}");
    }
    Ok(ExitCode::SUCCESS)
}
