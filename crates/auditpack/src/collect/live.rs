//! Live collection through the cluster's API with the `kube` client.
//!
//! Every list is paginated (`limit` + `continue` until the token is empty; a `410 Gone`
//! on an expired continue token restarts that list from the beginning, a bounded number
//! of times). Lists run a few at a time. Throttling (429) and server errors (5xx) are
//! retried with exponential backoff, honouring `Retry-After`; every request has a
//! timeout. A kind the collector may not read (403) is recorded `forbidden`, one that
//! keeps failing `failed`, one the server does not serve (404, CRD not installed)
//! `absent`; collection carries on. Only a configuration that cannot be loaded, a server
//! that cannot be reached or credentials it rejects stop collection.
//!
//! Requests are built with kube's request builders (`kube::core::Request::list` and
//! `list_metadata`, the same ones `Api` uses) and sent with [`kube::Client::send`], so the
//! collector sees the raw status and the `Retry-After` header, and items keep the API's
//! own JSON shape.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use http_body_util::BodyExt;
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::Resource;
use kube::{Client, Config};
use serde_json::{Value, json};

use super::redact::{mask, redact_object, server_url};
use super::{CollectError, Warning};
use crate::snapshot::{
    CollectionStatus, Identity, Items, KINDS, KindInfo, Redaction, Snapshot, Source, SourceMode,
    kinds,
};

/// A list's objects, already redacted and compact, and beside each what redaction removed
/// from it.
type Listed = (Items, Vec<Vec<Redaction>>);

/// How to reach the cluster and how hard to try.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// kubeconfig file; `None` uses `KUBECONFIG`, `~/.kube/config`, then in-cluster
    /// credentials.
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context; `None` uses the current context.
    pub context: Option<String>,
    /// Namespaces to read namespaced kinds from; empty reads all.
    pub namespaces: Vec<String>,
    /// Timeout of each request (each page of a list).
    pub request_timeout: Duration,
    /// Objects per page.
    pub page_size: u32,
    /// Lists running at once.
    pub concurrency: usize,
    /// Attempts per request for 429, 5xx and connection errors.
    pub max_attempts: u32,
    /// Restarts of one list after an expired continue token (410).
    pub max_list_restarts: u32,
    /// Pages of one list at most (a server that hands out new continue tokens for ever
    /// stops here; one that repeats a token stops at once).
    pub max_pages: u32,
    /// Total time the lists of one kind (one per namespace with `namespaces`) may spend
    /// waiting to retry (backoff and `Retry-After`); a server that asks for more makes
    /// that kind `failed`.
    pub retry_deadline: Duration,
    /// Largest response body read; a larger one makes that kind `failed`.
    pub max_response_bytes: u64,
    /// Told of each list as it completes, for a caller that shows progress (the library
    /// itself prints nothing).
    pub progress: Option<ProgressSink>,
}

/// What a live collection has done so far: the events a [`ProgressSink`] receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The lists are known and about to start.
    Started {
        /// How many lists will run (one per kind, or per kind and namespace).
        lists: usize,
    },
    /// One list completed (whether it succeeded or not).
    Listed {
        /// Its kind key.
        kind: &'static str,
    },
    /// Every list completed.
    Finished,
}

/// A callback for [`Progress`] events, called from the collector's tasks.
#[derive(Clone)]
pub struct ProgressSink(std::sync::Arc<dyn Fn(Progress) + Send + Sync>);

impl ProgressSink {
    /// Wraps `f`.
    pub fn new(f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        ProgressSink(std::sync::Arc::new(f))
    }

    fn send(&self, p: Progress) {
        (self.0)(p)
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink(..)")
    }
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            kubeconfig: None,
            context: None,
            namespaces: Vec::new(),
            request_timeout: Duration::from_secs(30),
            page_size: 500,
            concurrency: 6,
            max_attempts: 5,
            max_list_restarts: 3,
            max_pages: 10_000,
            retry_deadline: Duration::from_secs(120),
            max_response_bytes: 512 << 20,
            progress: None,
        }
    }
}

/// Label selectors of the control-plane static pods in kube-system (they carry the
/// kube-apiserver flags the checks read): kubeadm labels them `tier=control-plane`, other
/// installers only `component=...`. Both lists run; a pod matching both is kept once.
pub const CONTROL_PLANE_SELECTORS: &[&str] = &[
    "tier=control-plane",
    "component in (kube-apiserver,kube-controller-manager,kube-scheduler,etcd)",
];

/// Reads the cluster into a snapshot (blocking; starts its own async runtime).
pub fn collect_live(options: &LiveOptions) -> Result<(Snapshot, Vec<Warning>), CollectError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CollectError::Runtime)?;
    rt.block_on(collect_live_async(options))
}

/// What the kubeconfig says about where we are connecting.
struct Target {
    config: Config,
    context: Option<String>,
    cluster: Option<String>,
}

async fn load_config(options: &LiveOptions) -> Result<Target, CollectError> {
    let chain = error_chain;
    let explicit = options.kubeconfig.is_some()
        || options.context.is_some()
        || std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
    let home_config = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".kube").join("config"))
        .filter(|p| p.exists());
    // Where the kubeconfig comes from, named as the user gave it (for errors).
    let env_paths = std::env::var_os("KUBECONFIG")
        .filter(|v| !v.is_empty())
        .map(|v| std::env::split_paths(&v).collect::<Vec<_>>());
    let (what, source, kubeconfig) = match (&options.kubeconfig, explicit, &home_config) {
        (Some(p), _, _) => (
            format!("kubeconfig {}", p.display()),
            p.display().to_string(),
            Some(read_kubeconfig(std::slice::from_ref(p), "--kubeconfig")),
        ),
        (None, true, _) | (None, false, Some(_)) => match &env_paths {
            Some(paths) => (
                format!(
                    "kubeconfig from KUBECONFIG={}",
                    std::env::var_os("KUBECONFIG")
                        .unwrap_or_default()
                        .to_string_lossy()
                ),
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                Some(read_kubeconfig(paths, "KUBECONFIG")),
            ),
            None => (
                "kubeconfig ~/.kube/config".to_string(),
                home_config
                    .as_ref()
                    .map_or("~/.kube/config".to_string(), |p| p.display().to_string()),
                Some(Kubeconfig::read().map_err(|e| chain(&e))),
            ),
        },
        (None, false, None) => (
            "in-cluster service account".to_string(),
            String::new(),
            None,
        ),
    };
    let Some(kubeconfig) = kubeconfig else {
        let config = Config::incluster().map_err(|e| CollectError::Config {
            what: what.clone(),
            detail: format!(
                "{} (no kubeconfig found either: give --kubeconfig or set KUBECONFIG)",
                chain(&e)
            ),
        })?;
        return Ok(Target {
            config,
            context: None,
            cluster: None,
        });
    };
    let kubeconfig = kubeconfig.map_err(|detail| CollectError::Config {
        what: what.clone(),
        detail,
    })?;
    let context = options
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone());
    // As kubectl words it: the context asked for is not there, and these are.
    if let Some(c) = &context
        && !kubeconfig.contexts.iter().any(|n| &n.name == c)
    {
        let names: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        let known = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        return Err(CollectError::Config {
            what,
            detail: format!("context \"{c}\" not found in {source}; contexts: {known}"),
        });
    }
    let cluster = context.as_ref().and_then(|c| {
        kubeconfig
            .contexts
            .iter()
            .find(|n| &n.name == c)
            .and_then(|n| n.context.as_ref())
            .map(|c| c.cluster.clone())
    });
    let kopts = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &kopts)
        .await
        .map_err(|e| CollectError::Config {
            what,
            detail: chain(&e),
        })?;
    Ok(Target {
        config,
        context,
        cluster,
    })
}

/// Reads and merges the kubeconfig files at `paths` (given through `how`); a file that is
/// not there is named plainly.
fn read_kubeconfig(paths: &[PathBuf], how: &str) -> Result<Kubeconfig, String> {
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        return Err(format!(
            "{} does not exist (give {how} the path of a kubeconfig file)",
            missing.display()
        ));
    }
    let mut merged: Option<Kubeconfig> = None;
    for p in paths {
        let one = Kubeconfig::read_from(p).map_err(|e| {
            let detail = error_chain(&e);
            // kube quotes the path twice ('"path"'); name it once, plainly.
            let quoted = format!("'{:?}'", p.display().to_string());
            detail.replace(&quoted, &p.display().to_string())
        })?;
        merged = Some(match merged {
            None => one,
            Some(m) => m.merge(one).map_err(|e| error_chain(&e))?,
        });
    }
    merged.ok_or_else(|| format!("{how} names no file"))
}

/// Why one request did not give a JSON document.
#[derive(Debug)]
enum ReqError {
    /// The server answered with this HTTP status.
    Status { code: u16, message: String },
    /// No complete answer within the request timeout.
    Timeout(Duration),
    /// Connection-level failure.
    Transport(String),
    /// The answer was not the JSON expected.
    Decode(String),
    /// The response body was larger than `--max-response-mib`.
    TooLarge(u64),
    /// The server broke the list protocol (a repeated continue token, endless pages).
    Protocol(String),
    /// Retrying would wait past the retry deadline.
    Deadline {
        /// The last error.
        last: Box<ReqError>,
        /// The wait the server asked for, or the backoff, in seconds.
        wait: f64,
        /// The deadline, in seconds.
        deadline: f64,
    },
}

impl std::fmt::Display for ReqError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReqError::Status { code, message } if message.is_empty() => write!(f, "HTTP {code}"),
            ReqError::Status { code, message } => write!(f, "HTTP {code}: {message}"),
            ReqError::Timeout(d) => write!(
                f,
                "timed out after {}s (raise --request-timeout for a slow API server)",
                d.as_secs_f64()
            ),
            ReqError::Transport(m) => write!(f, "connection failed: {m}"),
            ReqError::Decode(m) => write!(f, "unreadable response: {m}"),
            ReqError::TooLarge(limit) => write!(
                f,
                "response larger than {} MiB (raise --max-response-mib if the cluster really has a list that large, or lower --chunk-size)",
                limit >> 20
            ),
            ReqError::Protocol(m) => write!(f, "{m}"),
            ReqError::Deadline {
                last,
                wait,
                deadline,
            } => write!(
                f,
                "{last}; gave up: retrying would wait {wait:.1}s more, past this list's retry deadline of {deadline:.0}s (raise --retry-deadline)"
            ),
        }
    }
}

struct Fetcher {
    client: Client,
    timeout: Duration,
    max_attempts: u32,
    retry_deadline: Duration,
    max_response_bytes: u64,
}

/// An error and its causes on one line: each message's first line, repeats left out
/// (kube's errors often repeat their source's text).
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let first = |e: &dyn std::error::Error| {
        let t = e.to_string();
        let line = t.lines().next().unwrap_or("").trim();
        line.strip_prefix("error: ").unwrap_or(line).to_string()
    };
    let mut s = first(e);
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = first(c);
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    // kube's messages may quote the server URL, userinfo and all.
    mask::mask_text(&s).unwrap_or(s)
}

/// Seconds to wait from a `Retry-After` value: delay-seconds, or an HTTP-date (RFC 9110
/// section 10.2.3; a date already past means now). `None` when it is neither.
fn retry_after_secs(value: &str, now: std::time::SystemTime) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    // Round up: the date has one-second resolution and waiting less than asked is a retry
    // the server said it would refuse.
    Some(
        at.duration_since(now)
            .map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0)),
    )
}

impl Fetcher {
    /// Sends a request built by `build`, retrying 429, 5xx and connection errors with
    /// exponential backoff (or the server's `Retry-After`), as long as the waits charged
    /// to `waited` (nanoseconds, shared by every list of one kind) stay within the retry
    /// deadline.
    async fn fetch_within<F>(&self, build: F, waited: &AtomicU64) -> Result<Value, ReqError>
    where
        F: Fn() -> http::Request<Vec<u8>>,
    {
        let mut attempt = 1;
        loop {
            let (result, retry_after) = self.once(build()).await;
            let retryable = match &result {
                Ok(_) => false,
                Err(ReqError::Status { code, .. }) => *code == 429 || (500..600).contains(code),
                Err(ReqError::Transport(_)) => true,
                Err(
                    ReqError::Timeout(_)
                    | ReqError::Decode(_)
                    | ReqError::TooLarge(_)
                    | ReqError::Protocol(_)
                    | ReqError::Deadline { .. },
                ) => false,
            };
            if !retryable || attempt >= self.max_attempts {
                return match result {
                    Err(e @ ReqError::Status { .. } | e @ ReqError::Transport(_))
                        if attempt > 1 =>
                    {
                        Err(match e {
                            ReqError::Status { code, message } => ReqError::Status {
                                code,
                                message: format!("{message} (after {attempt} attempts)"),
                            },
                            ReqError::Transport(m) => {
                                ReqError::Transport(format!("{m} (after {attempt} attempts)"))
                            }
                            other => other,
                        })
                    }
                    other => other,
                };
            }
            let backoff = Duration::from_millis(250u64 << (attempt - 1).min(5));
            let wait = retry_after
                .map(|s| Duration::from_secs(s.min(60)))
                .unwrap_or(backoff.min(Duration::from_secs(8)));
            // Charged before waiting, in one step: lists of the same kind running at once
            // cannot both take the last of the budget.
            let deadline = u64::try_from(self.retry_deadline.as_nanos()).unwrap_or(u64::MAX);
            let step = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
            let charged = waited.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| {
                w.checked_add(step).filter(|total| *total <= deadline)
            });
            if charged.is_err() {
                let last = result.expect_err("only errors are retried");
                return Err(ReqError::Deadline {
                    last: Box::new(last),
                    wait: wait.as_secs_f64(),
                    deadline: self.retry_deadline.as_secs_f64(),
                });
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// [`Fetcher::fetch_within`] with a deadline of its own.
    async fn fetch<F>(&self, build: F) -> Result<Value, ReqError>
    where
        F: Fn() -> http::Request<Vec<u8>>,
    {
        self.fetch_within(build, &AtomicU64::new(0)).await
    }

    async fn once(&self, req: http::Request<Vec<u8>>) -> (Result<Value, ReqError>, Option<u64>) {
        let client = &self.client;
        let limit = self.max_response_bytes;
        let fut = async move {
            let res = client
                .send(req.map(kube::client::Body::from))
                .await
                .map_err(|e| (ReqError::Transport(error_chain(&e)), None))?;
            let status = res.status();
            let retry_after = res
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after_secs(v, std::time::SystemTime::now()));
            // A declared length over the limit is refused before reading; an undeclared one
            // is read only up to the limit.
            let declared = res
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > limit) {
                return Err((ReqError::TooLarge(limit), None));
            }
            let body = http_body_util::Limited::new(
                res.into_body(),
                usize::try_from(limit).unwrap_or(usize::MAX),
            )
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    (ReqError::TooLarge(limit), None)
                } else {
                    (ReqError::Transport(error_chain(e.as_ref())), None)
                }
            })?
            .to_bytes();
            if status.is_success() {
                return serde_json::from_slice::<Value>(&body)
                    .map_err(|e| (ReqError::Decode(e.to_string()), None));
            }
            let message = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                        .trim()
                        .to_string()
                });
            Err((
                ReqError::Status {
                    code: status.as_u16(),
                    message,
                },
                retry_after,
            ))
        };
        match tokio::time::timeout(self.timeout, fut).await {
            Err(_) => (Err(ReqError::Timeout(self.timeout)), None),
            Ok(Ok(v)) => (Ok(v), None),
            Ok(Err((e, ra))) => (Err(e), ra),
        }
    }

    async fn get(&self, path: &str) -> Result<Value, ReqError> {
        self.fetch(|| {
            http::Request::get(path)
                .header(http::header::ACCEPT, "application/json")
                .body(Vec::new())
                .expect("valid request")
        })
        .await
    }
}

/// One list to run: a kind, cluster-wide or in one namespace.
#[derive(Debug, Clone)]
struct ListJob {
    info: &'static KindInfo,
    /// Version to read (discovery may pick another than the preferred one).
    version: String,
    namespace: Option<String>,
    labels: Option<&'static str>,
    /// The extra control-plane pods list: its failure is a warning, not a failed kind.
    extra: bool,
}

/// Lists every page of one job; restarts on an expired continue token. Each page's
/// objects are redacted and made compact as it arrives, so only one parsed page per list
/// is ever held.
async fn run_list(
    fetcher: &Fetcher,
    job: &ListJob,
    options: &LiveOptions,
    waited: &AtomicU64,
) -> Result<Listed, ReqError> {
    let ar = api_resource(job);
    let url = DynamicObject::url_path(&ar, job.namespace.as_deref());
    let request = kube::core::Request::new(url);
    let mut restarts = 0;
    'restart: loop {
        let mut items = Items::default();
        let mut removed = Vec::new();
        let mut token = String::new();
        let mut tokens = std::collections::HashSet::new();
        let mut pages = 0u32;
        loop {
            pages += 1;
            if pages > options.max_pages.max(1) {
                return Err(ReqError::Protocol(format!(
                    "the server was still handing out continue tokens after {} pages of {} objects; stopped (a server that never ends a list: report it to the cluster's operators)",
                    options.max_pages, options.page_size
                )));
            }
            let lp = list_params(job, options, &token);
            let page = fetcher
                .fetch_within(
                    || {
                        if job.info.metadata_only {
                            request.list_metadata(&lp)
                        } else {
                            request.list(&lp)
                        }
                        .expect("list request builds")
                    },
                    waited,
                )
                .await;
            let mut page = match page {
                Err(ReqError::Status { code: 410, .. })
                    if !token.is_empty() && restarts < options.max_list_restarts =>
                {
                    restarts += 1;
                    continue 'restart;
                }
                Err(ReqError::Status { code: 410, message }) if !token.is_empty() => {
                    return Err(ReqError::Status {
                        code: 410,
                        message: format!(
                            "{message} (the continue token kept expiring; list restarted {restarts} times)"
                        ),
                    });
                }
                other => other?,
            };
            take_items(&mut page, &ar, job, &mut items, &mut removed)?;
            token = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if token.is_empty() {
                return Ok((items, removed));
            }
            if !tokens.insert(token.clone()) {
                return Err(ReqError::Protocol(format!(
                    "the server sent the same continue token again after {pages} pages: a list that would never end; stopped (report it to the cluster's operators)"
                )));
            }
        }
    }
}

/// The API resource a list job reads.
fn api_resource(job: &ListJob) -> ApiResource {
    ApiResource {
        group: job.info.group.to_string(),
        version: job.version.clone(),
        api_version: if job.info.group.is_empty() {
            job.version.clone()
        } else {
            format!("{}/{}", job.info.group, job.version)
        },
        kind: job.info.kind.to_string(),
        plural: job.info.plural.to_string(),
    }
}

/// One page's list parameters: the page size, the continue token, the job's labels.
fn list_params(job: &ListJob, options: &LiveOptions, token: &str) -> ListParams {
    let mut lp = ListParams::default().limit(options.page_size);
    if !token.is_empty() {
        lp = lp.continue_token(token);
    }
    if let Some(l) = job.labels {
        lp = lp.labels(l);
    }
    lp
}

/// Moves a page's items into `items`, redacted on the way in, with what was removed.
fn take_items(
    page: &mut Value,
    ar: &ApiResource,
    job: &ListJob,
    items: &mut Items,
    removed: &mut Vec<Vec<Redaction>>,
) -> Result<(), ReqError> {
    match page.get_mut("items").map(Value::take) {
        Some(Value::Array(page_items)) => {
            for mut item in page_items {
                if let Some(obj) = item.as_object_mut() {
                    // List items carry no apiVersion/kind; metadata-only items say
                    // PartialObjectMetadata. File them as what they are.
                    obj.insert("apiVersion".into(), json!(ar.api_version));
                    obj.insert("kind".into(), json!(ar.kind));
                    removed.push(redact_object(&mut item, job.info.key));
                    items.push_value(&item);
                }
            }
            Ok(())
        }
        Some(Value::Null) | None => Ok(()),
        Some(_) => Err(ReqError::Decode("items is not a list".into())),
    }
}

/// Kinds that are not optional (no CRD) but that older Kubernetes versions do not serve
/// at the version read: ValidatingAdmissionPolicy and its bindings are
/// `admissionregistration.k8s.io/v1` from 1.30.
const VERSION_DEPENDENT: &[&str] = &[
    kinds::VALIDATING_ADMISSION_POLICIES.key,
    kinds::VALIDATING_ADMISSION_POLICY_BINDINGS.key,
];

/// What a 404 on a list means: `absent` only when discovery does not list the kind and
/// the kind is one a cluster may lack (a CRD, or a kind newer than the cluster);
/// otherwise `failed`.
async fn not_found(
    fetcher: &Fetcher,
    info: &KindInfo,
    version: &str,
    message: &str,
) -> (CollectionStatus, String) {
    let gv = if info.group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{}/{version}", info.group)
    };
    let listed = match fetcher.get(&gv).await {
        Ok(list) => Some(
            list.get("resources")
                .and_then(Value::as_array)
                .is_some_and(|rs| {
                    rs.iter()
                        .any(|r| r.get("name").and_then(Value::as_str) == Some(info.plural))
                }),
        ),
        Err(ReqError::Status { code: 404, .. }) => Some(false),
        Err(_) => None,
    };
    let may_lack = info.optional || VERSION_DEPENDENT.contains(&info.key);
    match listed {
        Some(false) if may_lack => (
            CollectionStatus::Absent,
            format!(
                "not served by this API server: discovery ({gv}) does not list {} (HTTP 404: {message})",
                info.plural
            ),
        ),
        Some(false) => (
            CollectionStatus::Failed,
            format!(
                "HTTP 404 on {}, a kind every cluster serves, and discovery ({gv}) does not list it: the API server (or a proxy in front of it) is not answering as Kubernetes does; never read as \"no objects\"; check that the kubeconfig's server is the API server itself ({message})",
                info.plural
            ),
        ),
        Some(true) => (
            CollectionStatus::Failed,
            format!(
                "HTTP 404 on {}, which discovery ({gv}) lists as served: never read as \"no objects\"; collect again, and if it persists, ask the cluster's operators why the list is not served ({message})",
                info.plural
            ),
        ),
        None => (
            CollectionStatus::Failed,
            format!(
                "HTTP 404 on {}, and discovery ({gv}) could not be read to tell whether it is served ({message}); collect again",
                info.plural
            ),
        ),
    }
}

/// What discovery says about an optional kind.
enum Served {
    Yes(String),
    No(String),
    Unknown(String),
}

async fn discover(fetcher: &Fetcher, info: &KindInfo, groups: &Result<Value, String>) -> Served {
    let groups = match groups {
        Ok(g) => g,
        Err(e) => return Served::Unknown(format!("API discovery (/apis) failed: {e}")),
    };
    let group = groups
        .get("groups")
        .and_then(Value::as_array)
        .and_then(|gs| {
            gs.iter()
                .find(|g| g.get("name").and_then(Value::as_str) == Some(info.group))
        });
    let Some(group) = group else {
        return Served::No(format!(
            "API group {} is not served by this cluster (its CRD is not installed)",
            info.group
        ));
    };
    let mut versions: Vec<String> = group
        .get("versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter_map(|v| v.get("version").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    // Try our version first, then the group's preferred, then the rest.
    let preferred = group
        .pointer("/preferredVersion/version")
        .and_then(Value::as_str)
        .map(str::to_string);
    versions.sort_by_key(|v| (v != info.version, Some(v) != preferred.as_ref(), v.clone()));
    for v in &versions {
        match fetcher.get(&format!("/apis/{}/{}", info.group, v)).await {
            Ok(list) => {
                let served = list
                    .get("resources")
                    .and_then(Value::as_array)
                    .is_some_and(|rs| {
                        rs.iter()
                            .any(|r| r.get("name").and_then(Value::as_str) == Some(info.plural))
                    });
                if served {
                    return Served::Yes(v.clone());
                }
            }
            Err(e) => {
                return Served::Unknown(format!("API discovery of {}/{v} failed: {e}", info.group));
            }
        }
    }
    Served::No(format!(
        "API group {} is served but not the resource {} (versions {})",
        info.group,
        info.plural,
        versions.join(", ")
    ))
}

async fn whoami(fetcher: &Fetcher) -> Result<Identity, String> {
    let body = serde_json::to_vec(&json!({
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "SelfSubjectReview",
    }))
    .expect("json");
    let review = fetcher
        .fetch(|| {
            http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
                .header(http::header::ACCEPT, "application/json")
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .expect("valid request")
        })
        .await
        .map_err(|e| format!("SelfSubjectReview (authentication.k8s.io/v1) failed: {e}"))?;
    let user = review
        .pointer("/status/userInfo")
        .ok_or("SelfSubjectReview response has no status.userInfo")?;
    let username = user
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if username.is_empty() {
        return Err("SelfSubjectReview response names no user".into());
    }
    Ok(Identity {
        username,
        uid: user
            .get("uid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        groups: user
            .get("groups")
            .and_then(Value::as_array)
            .map(|g| {
                g.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// The async body of [`collect_live`].
pub async fn collect_live_async(
    options: &LiveOptions,
) -> Result<(Snapshot, Vec<Warning>), CollectError> {
    let started = chrono::Utc::now();
    super::check_namespace_names(&options.namespaces)?;
    let target = load_config(options).await?;
    let server = target.config.cluster_url.to_string();
    let server = server.trim_end_matches('/').to_string();
    // `https://user:pass@host` in a kubeconfig: the credentials never reach the snapshot,
    // an error message or the packet.
    let (server, server_redacted) = match server_url(&server) {
        Some(shown) => (shown, true),
        None => (server, false),
    };
    let unverified = target.config.accept_invalid_certs;
    let fetcher = fetcher(target.config, options, &server)?;
    let mut warnings = Vec::new();
    let version = server_version(&fetcher, &server, &mut warnings).await?;
    check_namespaces(&fetcher, &options.namespaces).await?;

    let mut snap = Snapshot::new(
        started,
        Source {
            mode: SourceMode::Live,
            server: Some(server.clone()),
            context: target.context,
            cluster: target.cluster,
            kubernetes_version: version,
            namespaces: options.namespaces.clone(),
            files: Vec::new(),
            server_identity_unverified: unverified,
        },
    );

    if server_redacted {
        snap.redactions.push(Redaction {
            kind: "Snapshot".into(),
            namespace: None,
            name: "source".into(),
            pointer: "/source/server".into(),
            reason: "credentials in the kubeconfig's server URL".into(),
        });
    }

    let (identity, groups) = tokio::join!(whoami(&fetcher), async {
        fetcher.get("/apis").await.map_err(|e| e.to_string())
    });
    match identity {
        Ok(id) => snap.collected_by = Some(id),
        Err(reason) => {
            warnings.push(Warning {
                subject: "identity".into(),
                message: format!("collecting identity unknown: {reason}"),
            });
            snap.collected_by_reason = Some(reason);
        }
    }

    let kinds = served_kinds(&fetcher, &groups, &mut snap).await;
    let jobs = list_jobs(&kinds, options);
    let results = run_jobs(&fetcher, jobs, options).await;
    fold_results(&fetcher, results, options, &mut snap, &mut warnings).await;
    for (key, c) in &snap.resources {
        if c.status == CollectionStatus::Failed && !warnings.iter().any(|w| &w.subject == key) {
            warnings.push(Warning {
                subject: key.clone(),
                message: format!("failed: {}", c.reason.as_deref().unwrap_or("")),
            });
        }
    }
    explain_secrets(&mut snap);
    super::dedup_items(&mut snap, &mut warnings);
    snap.normalize();
    Ok((snap, warnings))
}

/// The client and its limits. Our own retry (honouring Retry-After) replaces kube's; our
/// own timeout bounds each request, kube's read timeout is a backstop.
fn fetcher(
    mut config: Config,
    options: &LiveOptions,
    server: &str,
) -> Result<Fetcher, CollectError> {
    config.default_retry = false;
    config.read_timeout = Some(options.request_timeout + Duration::from_secs(5));
    config.connect_timeout = Some(options.request_timeout.min(Duration::from_secs(30)));
    let client = super::tls::client(config).map_err(|detail| CollectError::Config {
        what: format!("client for {server}"),
        detail,
    })?;
    Ok(Fetcher {
        client,
        timeout: options.request_timeout,
        max_attempts: options.max_attempts.max(1),
        retry_deadline: options.retry_deadline,
        max_response_bytes: options.max_response_bytes.max(1),
    })
}

/// `/version` first: it tells whether the server is there at all and takes our
/// credentials. Unreachable or unauthorized stops the collection; another failure leaves
/// the version unknown, with a warning.
async fn server_version(
    fetcher: &Fetcher,
    server: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Option<String>, CollectError> {
    let server = server.to_string();
    match fetcher.get("/version").await {
        Ok(v) => Ok(v
            .get("gitVersion")
            .and_then(Value::as_str)
            .map(str::to_string)),
        Err(ReqError::Transport(detail)) => Err(CollectError::Unreachable { server, detail }),
        Err(e @ ReqError::Timeout(_)) => Err(CollectError::Unreachable {
            server,
            detail: e.to_string(),
        }),
        Err(ReqError::Status { code: 401, message }) => Err(CollectError::Unauthorized {
            server,
            detail: message,
        }),
        Err(e) => {
            warnings.push(Warning {
                subject: "version".into(),
                message: format!("Kubernetes version unknown: /version: {e}"),
            });
            Ok(None)
        }
    }
}

/// `-n NAME` for a namespace the cluster does not have stops the collection, as kubectl
/// reports it, naming the namespaces that exist when they can be listed. A namespace that
/// may not be read (403) is left to the lists, which record what was refused.
async fn check_namespaces(fetcher: &Fetcher, chosen: &[String]) -> Result<(), CollectError> {
    let mut missing = Vec::new();
    for ns in chosen {
        if let Err(ReqError::Status { code: 404, .. }) =
            fetcher.get(&format!("/api/v1/namespaces/{ns}")).await
        {
            missing.push(ns.clone());
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let existing = fetcher.get("/api/v1/namespaces").await.ok().map(|list| {
        let mut names: Vec<String> = list
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|n| n.pointer("/metadata/name").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        names.sort();
        names
    });
    Err(CollectError::NoSuchNamespace {
        missing,
        existing,
        place: "the cluster",
    })
}

/// Which kinds to list, at which version: every required kind at its version, each
/// optional kind as discovery serves it (absent or failed in the snapshot otherwise).
async fn served_kinds(
    fetcher: &Fetcher,
    groups: &Result<Value, String>,
    snap: &mut Snapshot,
) -> Vec<(&'static KindInfo, String)> {
    let mut kinds: Vec<(&'static KindInfo, String)> = Vec::new();
    for info in KINDS {
        if !info.optional {
            kinds.push((info, info.version.to_string()));
            continue;
        }
        match discover(fetcher, info, groups).await {
            Served::Yes(v) => kinds.push((info, v)),
            Served::No(reason) => snap.mark(info.key, CollectionStatus::Absent, reason),
            Served::Unknown(reason) => {
                snap.mark(info.key, CollectionStatus::Failed, reason);
            }
        }
    }
    kinds
}

/// The lists to run: one per kind (one per namespace and namespaced kind with `-n`), and
/// with `-n` but not kube-system the control-plane pods of kube-system.
fn list_jobs(kinds: &[(&'static KindInfo, String)], options: &LiveOptions) -> Vec<ListJob> {
    let mut jobs = Vec::new();
    for (info, version) in kinds {
        if info.namespaced && !options.namespaces.is_empty() {
            for ns in &options.namespaces {
                jobs.push(ListJob {
                    info,
                    version: version.clone(),
                    namespace: Some(ns.clone()),
                    labels: None,
                    extra: false,
                });
            }
        } else {
            jobs.push(ListJob {
                info,
                version: version.clone(),
                namespace: None,
                labels: None,
                extra: false,
            });
        }
    }
    if !options.namespaces.is_empty() && !options.namespaces.iter().any(|n| n == "kube-system") {
        let pods = kinds::PODS;
        for selector in CONTROL_PLANE_SELECTORS {
            jobs.push(ListJob {
                info: pods,
                version: pods.version.to_string(),
                namespace: Some("kube-system".into()),
                labels: Some(selector),
                extra: true,
            });
        }
    }
    jobs
}

/// Runs the lists, `--concurrency` at a time, reporting progress; the results come in
/// the order they finish.
async fn run_jobs(
    fetcher: &Fetcher,
    jobs: Vec<ListJob>,
    options: &LiveOptions,
) -> Vec<(ListJob, Result<Listed, ReqError>)> {
    let progress = |p| {
        if let Some(sink) = &options.progress {
            sink.send(p)
        }
    };
    progress(Progress::Started { lists: jobs.len() });
    // Retry waits, per kind: every list of one kind (one per namespace with -n) draws on
    // the same --retry-deadline.
    let waits: BTreeMap<&str, AtomicU64> = jobs
        .iter()
        .map(|j| (j.info.key, AtomicU64::new(0)))
        .collect();
    let waits = &waits;
    let progress = &progress;
    let results = futures::stream::iter(jobs.into_iter().map(|job| async move {
        let r = run_list(fetcher, &job, options, &waits[job.info.key]).await;
        progress(Progress::Listed { kind: job.info.key });
        (job, r)
    }))
    .buffer_unordered(options.concurrency.max(1))
    .collect()
    .await;
    progress(Progress::Finished);
    results
}

/// Failed kinds so far: the status (forbidden wins) and every reason.
type Failures = BTreeMap<&'static str, (CollectionStatus, Vec<String>)>;

/// Folds the results per kind into the snapshot, in KINDS order so the outcome does not
/// depend on timing; a kind with any failed list is failed (or forbidden) as a whole.
async fn fold_results(
    fetcher: &Fetcher,
    mut results: Vec<(ListJob, Result<Listed, ReqError>)>,
    options: &LiveOptions,
    snap: &mut Snapshot,
    warnings: &mut Vec<Warning>,
) {
    results.sort_by(|(a, _), (b, _)| {
        (a.info.key, &a.namespace, a.extra, a.labels).cmp(&(
            b.info.key,
            &b.namespace,
            b.extra,
            b.labels,
        ))
    });
    let mut failures = Failures::new();
    let mut extra_warnings = Vec::new();
    for (job, result) in results {
        let key = job.info.key;
        match result {
            Ok(listed) => {
                if !failures.contains_key(key) {
                    take_listed(snap, &job, listed, options);
                }
            }
            Err(e) if job.extra => extra_warnings.push(Warning {
                subject: key.into(),
                message: format!(
                    "control-plane pods in kube-system ({}) not read: {e}",
                    job.labels.unwrap_or("")
                ),
            }),
            Err(ReqError::Status { code: 404, message }) => {
                // Absent only where discovery does not list the kind: a 404 on a kind the
                // server serves is a failure, never "no objects".
                let (status, reason) = not_found(fetcher, job.info, &job.version, &message).await;
                if status == CollectionStatus::Absent {
                    snap.mark(key, status, reason);
                } else {
                    let entry = failures.entry(key).or_insert((status, Vec::new()));
                    entry.1.push(reason);
                }
            }
            Err(e) => record_failure(&mut failures, &job, e),
        }
    }
    // A control-plane list that failed is only worth saying when Pods as a whole did not.
    extra_warnings.retain(|w| !failures.contains_key(w.subject.as_str()));
    warnings.extend(extra_warnings);
    for (key, (status, reasons)) in failures {
        let reason = reasons.join("; ");
        warnings.push(Warning {
            subject: key.into(),
            message: format!(
                "{}: {reason}",
                if status == CollectionStatus::Forbidden {
                    "forbidden"
                } else {
                    "failed"
                }
            ),
        });
        snap.mark(key, status, reason);
    }
}

/// Adds one list's items to its kind: as they are for the usual single list, else
/// filtered to the namespaces asked for and without control-plane pods already listed.
fn take_listed(
    snap: &mut Snapshot,
    job: &ListJob,
    (items, removed): Listed,
    options: &LiveOptions,
) {
    let key = job.info.key;
    snap.mark_collected(key);
    let c = snap.resources.entry(key.to_string()).or_default();
    let filter = key == kinds::NAMESPACES.key && !options.namespaces.is_empty();
    if c.items.is_empty() && !filter && !job.extra {
        // The usual case, one list for the whole kind: take it as it is.
        c.items = items;
        snap.redactions.extend(removed.into_iter().flatten());
        return;
    }
    for (item, removed) in items.iter().zip(removed) {
        if filter && !options.namespaces.iter().any(|n| n == item.name()) {
            continue;
        }
        if job.extra
            && c.items
                .iter()
                .any(|o| (o.namespace(), o.name()) == (item.namespace(), item.name()))
        {
            continue;
        }
        snap.redactions.extend(removed);
        c.items.push(item);
    }
}

/// Records a failed list of a kind: forbidden (403) or failed, with its namespace.
fn record_failure(failures: &mut Failures, job: &ListJob, e: ReqError) {
    let status = match e {
        ReqError::Status { code: 403, .. } => CollectionStatus::Forbidden,
        _ => CollectionStatus::Failed,
    };
    let text = match &job.namespace {
        Some(ns) => format!("namespace {ns}: {e}"),
        None => e.to_string(),
    };
    let entry = failures.entry(job.info.key).or_insert((status, Vec::new()));
    if status == CollectionStatus::Forbidden {
        entry.0 = status;
    }
    entry.1.push(text);
}

/// Says how collected Secrets were read: metadata only, or whole with their data removed.
fn explain_secrets(snap: &mut Snapshot) {
    if let Some(c) = snap.resources.get_mut(kinds::SECRETS.key)
        && c.status == CollectionStatus::Collected
    {
        c.reason = Some(if c.items.iter().any(|i| i.value().get("type").is_some()) {
            // The server ignored the metadata-only request; redaction removed the data.
            "metadata only: the server sent whole Secrets; their data was removed (see redactions)"
                .into()
        } else {
            "metadata only: listed as PartialObjectMetadata, so Secret data and type are never read"
                .into()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::retry_after_secs;
    use std::time::{Duration, SystemTime};

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(retry_after_secs(" 120 ", now), Some(120));
        // The three HTTP-date forms RFC 9110 requires a recipient to accept.
        for date in [
            "Sun, 06 Nov 1994 08:50:07 GMT",
            "Sunday, 06-Nov-94 08:50:07 GMT",
            "Sun Nov  6 08:50:07 1994",
        ] {
            assert_eq!(retry_after_secs(date, now), Some(30), "{date}");
        }
        assert_eq!(
            retry_after_secs(
                "Sun, 06 Nov 1994 08:49:38 GMT",
                now + Duration::from_millis(300)
            ),
            Some(1),
            "a part second rounds up"
        );
        assert_eq!(
            retry_after_secs("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(0)
        );
        assert_eq!(retry_after_secs("soon", SystemTime::now()), None);
        assert_eq!(retry_after_secs("-5", SystemTime::now()), None);
    }
}
