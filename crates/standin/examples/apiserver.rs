//! Runs the stand-in Kubernetes API server by hand.
//!
//! ```sh
//! cargo run -p standin --example apiserver -- --objects examples/clusters/task-api --kubeconfig standin.kubeconfig
//! KUBECONFIG=standin.kubeconfig kubectl get pods -A
//! ```
//!
//! Faults: `--fault secrets=403 --fault roles=429:2:1 --fault pods=latency:200,410:1`.

use std::path::PathBuf;

use clap::Parser;
use standin::{Config, Fault, Server};

/// Serve a folder of Kubernetes objects over HTTPS like an API server.
#[derive(Parser)]
struct Args {
    /// Folder of YAML/JSON objects to serve.
    #[arg(long)]
    objects: PathBuf,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Where to write a kubeconfig for this server.
    #[arg(long, default_value = "standin.kubeconfig")]
    kubeconfig: PathBuf,
    /// Bearer token clients must send.
    #[arg(long)]
    token: Option<String>,
    /// A fault, as RESOURCE=SPEC (403, 429:N:SECS[:date], 500:N|always, latency:MS, 410:N).
    #[arg(long = "fault", value_name = "RESOURCE=SPEC")]
    faults: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = Config::new(&args.objects);
    config.port = args.port;
    if let Some(t) = args.token {
        config.token = t;
    }
    for f in &args.faults {
        let (resource, spec) = f
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--fault {f}: use RESOURCE=SPEC"))?;
        config = config.fault(resource, Fault::parse(spec).map_err(anyhow::Error::msg)?);
    }
    let server = Server::start(config)?;
    server.write_kubeconfig(&args.kubeconfig)?;
    println!("serving {} on {}", args.objects.display(), server.url());
    println!("kubeconfig: {}", args.kubeconfig.display());
    // Serve until killed.
    loop {
        std::thread::park();
    }
}
