//! A real S3-compatible server for the tests: Ceph RGW on loopback, started by
//! `scripts/s3-server.sh` (one monitor, one memstore OSD, one gateway) in a data folder
//! under the target's temporary folder. nextest runs each test in its own process, so the
//! first test to get here starts the server under a file lock and the others reuse it;
//! every test makes buckets of its own.
//!
//! Absent server binaries skip a test with a clear message, except in CI (`CI` set), where
//! they are a failure: .ci/run installs them (scripts/setup-test-deps.sh).

#![allow(dead_code)] // each test file uses part of it

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use aws_sdk_s3::Client;

pub const ACCESS_KEY: &str = "auditpack-test";
pub const SECRET_KEY: &str = "auditpack-test-secret";

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// Its data folder (`ceph.conf`, logs, pid files).
    pub dir: PathBuf,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/s3-server.sh")
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn answers(endpoint: &str) -> bool {
    let addr = endpoint.trim_start_matches("http://");
    TcpStream::connect_timeout(
        &addr.parse().expect("a socket address"),
        std::time::Duration::from_millis(300),
    )
    .is_ok()
}

/// The shared server, started on first use; `None` (after saying why) when the server is
/// not installed outside CI.
pub fn server() -> Option<Server> {
    let missing: Vec<&str> = ["radosgw", "ceph-mon", "ceph-osd"]
        .into_iter()
        .filter(|b| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {b}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if !missing.is_empty() {
        let msg = format!(
            "the S3 test server is not installed ({} missing): run scripts/setup-test-deps.sh (Debian radosgw, ceph-mon, ceph-osd)",
            missing.join(", ")
        );
        assert!(!in_ci(), "{msg}");
        eprintln!("SKIPPED: {msg}");
        return None;
    }
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("s3-server");
    std::fs::create_dir_all(&root).unwrap();
    let lock = std::fs::File::create(root.join("lock")).unwrap();
    lock.lock().unwrap();
    let dir = root.join("data");
    let endpoint_file = dir.join("endpoint");
    if let Ok(text) = std::fs::read_to_string(&endpoint_file) {
        let endpoint = text.trim().trim_start_matches("endpoint=").to_string();
        if answers(&endpoint) {
            return Some(Server { endpoint, dir });
        }
        // A server of an earlier run that is gone: start afresh.
        let _ = Command::new(script()).args(["stop"]).arg(&dir).status();
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(script())
        .arg("start")
        .arg(&dir)
        .output()
        .expect("scripts/s3-server.sh runs");
    assert!(
        out.status.success(),
        "the S3 test server did not start: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let endpoint = std::fs::read_to_string(&endpoint_file)
        .unwrap()
        .trim()
        .trim_start_matches("endpoint=")
        .to_string();
    Some(Server { endpoint, dir })
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// A second gateway on the same cluster (same buckets), which a test may kill.
    pub fn extra_gateway(&self, name: &str) -> (String, u32) {
        let port = free_port();
        let out = Command::new(script())
            .arg("rgw")
            .arg(&self.dir)
            .args([name, &port.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gateway {name} did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pid = std::fs::read_to_string(self.dir.join(format!("run/{name}.pid")))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        (format!("http://127.0.0.1:{port}"), pid)
    }

    /// The environment a command needs to reach the server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            // No profile or instance metadata lookups of the machine's own.
            ("AWS_CONFIG_FILE", "/nonexistent".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// Runs the auditpack binary against the server.
    pub fn auditpack(&self, cwd: &Path, args: &[&str]) -> std::process::Output {
        self.auditpack_env(cwd, args, &[])
    }

    /// Runs the auditpack binary with extra (or overriding) environment variables.
    pub fn auditpack_env(
        &self,
        cwd: &Path,
        args: &[&str],
        extra: &[(&str, &str)],
    ) -> std::process::Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_auditpack"));
        c.current_dir(cwd).args(args).env("HOME", cwd);
        for (k, v) in self.env() {
            c.env(k, v);
        }
        for (k, v) in extra {
            c.env(k, v);
        }
        c.output().expect("the auditpack binary runs")
    }

    /// An SDK client of the test's own (to make buckets and look behind the tool's back).
    pub async fn client(&self) -> Client {
        let creds =
            aws_sdk_s3::config::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "tests");
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .credentials_provider(creds)
            .http_client(
                aws_smithy_http_client::Builder::new()
                    .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                        aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                    ))
                    .build_https(),
            )
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            )
            .build();
        Client::from_conf(conf)
    }
}

/// A bucket name no other test uses.
pub fn bucket_name(tag: &str) -> String {
    let n: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    format!("t-{tag}-{}-{:x}", std::process::id(), n & 0xffff_ffff)
}

/// Creates a bucket, with Object Lock (and so versioning) or without.
pub async fn create_bucket(c: &Client, name: &str, object_lock: bool) {
    c.create_bucket()
        .bucket(name)
        .object_lock_enabled_for_bucket(object_lock)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create bucket {name}: {e:?}"));
}

/// A TCP relay in front of `upstream` that runs `on_trip` once the client has sent more
/// than `trip_after` bytes, then drops every connection: a server that dies mid-upload.
pub fn tripwire(
    upstream: String,
    trip_after: u64,
    on_trip: impl Fn() + Send + Sync + 'static,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let tripped = Arc::new(AtomicBool::new(false));
    let on_trip = Arc::new(on_trip);
    let up = upstream.trim_start_matches("http://").to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(client) = conn else { break };
            if tripped.load(Ordering::SeqCst) {
                break;
            }
            let Ok(server) = TcpStream::connect(&up) else {
                continue;
            };
            let (sent, tripped, on_trip) = (sent.clone(), tripped.clone(), on_trip.clone());
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match c_read.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if sent.fetch_add(n as u64, Ordering::SeqCst) + n as u64 > trip_after {
                        if !tripped.swap(true, Ordering::SeqCst) {
                            on_trip();
                        }
                        break;
                    }
                    if s_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = c_read.shutdown(std::net::Shutdown::Both);
                let _ = s_write.shutdown(std::net::Shutdown::Both);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s_read, &mut c_write);
                let _ = c_write.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    format!("http://{addr}")
}
