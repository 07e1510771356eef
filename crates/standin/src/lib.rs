//! A stand-in Kubernetes API server for tests and benchmarks.
//!
//! It serves a folder of objects over HTTPS on 127.0.0.1 the way a real API server does,
//! so the live collector is tested through the real `kube` client and `kubectl` can be
//! pointed at the same server:
//!
//! - a self-signed CA and a serving certificate for `127.0.0.1` and `localhost`;
//! - bearer-token authentication (401 otherwise);
//! - discovery: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/GROUP/VERSION`;
//! - list and get for every served resource, cluster-wide and per namespace, with
//!   `labelSelector`, `fieldSelector` (`metadata.name`, `metadata.namespace`), real
//!   `limit`/`continue` paging and `resourceVersion`;
//! - metadata-only responses (`PartialObjectMetadataList`) when the client asks for them;
//! - `SelfSubjectReview`;
//! - injectable faults per resource: 403, 429 with `Retry-After`, 500, latency, and an
//!   expired continue token (410 Gone).
//!
//! ```no_run
//! use standin::{Config, Server};
//! let server = Server::start(Config::new("examples/clusters/task-api")).unwrap();
//! server.write_kubeconfig(std::path::Path::new("standin.kubeconfig")).unwrap();
//! println!("serving on {}", server.url());
//! ```
//!
//! Built-in kinds (everything in [`auditpack::KINDS`] that is not a CRD) are always
//! served, empty when the folder has none; a CRD group is served only when the folder
//! holds objects of it, so "CRD not installed" can be tested by leaving them out.

mod proxy;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

pub use proxy::ConnectProxy;
pub use store::{Resource, Store, StoreError};

/// Faults injected into one resource's requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fault {
    /// Every request is refused with 403 Forbidden.
    pub forbidden: bool,
    /// The next N requests get 429 Too Many Requests.
    pub too_many_requests: u32,
    /// `Retry-After` seconds sent with 429.
    pub retry_after_secs: u64,
    /// Send `Retry-After` as an HTTP-date (now + the seconds) instead of delay-seconds.
    pub retry_after_date: bool,
    /// The next N requests get 500 (`u32::MAX`: always).
    pub server_errors: u32,
    /// Delay before answering every request.
    pub latency: Duration,
    /// The next N requests that carry a continue token get 410 Gone (token expired).
    pub expire_continue: u32,
    /// Every request gets 404 Not Found, while discovery still lists the resource.
    pub not_found: bool,
    /// Discovery does not list the resource, and every request gets 404.
    pub unlisted: bool,
    /// Every page of a list carries the same continue token (a list that never ends).
    pub repeat_continue: bool,
    /// Every page of a list carries a new continue token; pages past the end are empty.
    pub endless_continue: bool,
    /// Each list response is padded (with a large annotation on its first item) to at least
    /// this many bytes.
    pub huge_bytes: u64,
    /// Send list responses without a `Content-Length` (chunked), so that a client cannot
    /// refuse a large one before reading it.
    pub chunked: bool,
}

impl Fault {
    /// Parses a fault spec: comma-separated `403`, `429:N|always[:RETRY_AFTER[:date]]`,
    /// `500:N|always`, `latency:MS`, `410:N`, `404`, `unlisted`, `repeat-continue`,
    /// `endless-continue`, `huge:BYTES`, `chunked`.
    pub fn parse(spec: &str) -> Result<Fault, String> {
        let mut f = Fault::default();
        for part in spec.split(',') {
            let mut it = part.split(':');
            let head = it.next().unwrap_or("");
            let num = |s: Option<&str>, default: u64| -> Result<u64, String> {
                match s {
                    None => Ok(default),
                    Some("always") => Ok(u64::from(u32::MAX)),
                    Some(v) => v
                        .parse()
                        .map_err(|_| format!("fault `{part}`: `{v}` is not a number")),
                }
            };
            match head {
                "403" => f.forbidden = true,
                "429" => {
                    f.too_many_requests = num(it.next(), 1)? as u32;
                    f.retry_after_secs = num(it.next(), 1)?;
                    f.retry_after_date = match it.next() {
                        None => false,
                        Some("date") => true,
                        Some(v) => return Err(format!("fault `{part}`: `{v}` is not `date`")),
                    };
                }
                "500" => f.server_errors = num(it.next(), 1)?.min(u64::from(u32::MAX)) as u32,
                "latency" => f.latency = Duration::from_millis(num(it.next(), 100)?),
                "410" => f.expire_continue = num(it.next(), 1)? as u32,
                "404" => f.not_found = true,
                "unlisted" => f.unlisted = true,
                "repeat-continue" => f.repeat_continue = true,
                "endless-continue" => f.endless_continue = true,
                "huge" => f.huge_bytes = num(it.next(), 1 << 20)?,
                "chunked" => f.chunked = true,
                other => {
                    return Err(format!(
                        "unknown fault `{other}`: use 403, 429:N:SECS[:date], 500:N|always, latency:MS, 410:N, 404, unlisted, repeat-continue, endless-continue, huge:BYTES or chunked"
                    ));
                }
            }
        }
        Ok(f)
    }
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of YAML/JSON objects to serve.
    pub objects: PathBuf,
    /// Bearer token clients must send.
    pub token: String,
    /// Identity reported by SelfSubjectReview.
    pub username: String,
    /// Groups reported by SelfSubjectReview.
    pub groups: Vec<String>,
    /// `gitVersion` reported by `/version`.
    pub git_version: String,
    /// Port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// Faults by resource (`secrets`, `roles`, or `plural.group`; `selfsubjectreviews`).
    pub faults: BTreeMap<String, Fault>,
    /// Which certificate the server presents.
    pub cert: ServerCert,
    /// The names (DNS or IP) in the server certificate.
    pub cert_names: Vec<String>,
}

/// The certificate the server presents, and so what [`Server::ca_pem`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerCert {
    /// A leaf signed by a CA of its own; `ca_pem` is the CA.
    #[default]
    CaAndLeaf,
    /// A self-signed leaf (no CA:TRUE); `ca_pem` is the leaf itself.
    SelfSignedLeaf,
    /// A self-signed certificate with CA:TRUE, used as the server certificate (as many
    /// installers make them); `ca_pem` is that certificate.
    SelfSignedCa,
}

impl Config {
    /// Defaults for serving `objects`.
    pub fn new(objects: impl Into<PathBuf>) -> Config {
        Config {
            objects: objects.into(),
            token: "auditpack-standin-token".into(),
            username: "auditor@example.com".into(),
            groups: vec!["auditors".into(), "system:authenticated".into()],
            git_version: "v1.37.0".into(),
            port: 0,
            faults: BTreeMap::new(),
            cert: ServerCert::CaAndLeaf,
            cert_names: vec!["localhost".into(), "127.0.0.1".into()],
        }
    }

    /// Adds a fault for a resource.
    pub fn fault(mut self, resource: &str, fault: Fault) -> Config {
        self.faults.insert(resource.to_string(), fault);
        self
    }
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The objects folder could not be loaded.
    #[error("cannot load the objects to serve")]
    Store(#[from] StoreError),
    /// Certificate generation failed.
    #[error("cannot make the self-signed certificate")]
    Cert(#[from] rcgen::Error),
    /// TLS setup failed.
    #[error("cannot set up TLS")]
    Tls(#[from] rustls::Error),
    /// Binding the port or starting the runtime failed.
    #[error("cannot listen on 127.0.0.1:{port}")]
    Io {
        /// Port asked for.
        port: u16,
        /// Cause.
        source: std::io::Error,
    },
}

/// One request the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// Status code sent.
    pub status: u16,
}

struct State {
    config: Config,
    store: Store,
    resource_version: String,
    counters: Mutex<HashMap<String, Fault>>,
    log: Mutex<Vec<RequestRecord>>,
    addr: SocketAddr,
}

/// A running stand-in server; stops when dropped.
pub struct Server {
    state: Arc<State>,
    ca_pem: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Loads the objects, makes a certificate, and starts serving on a background thread.
    pub fn start(config: Config) -> Result<Server, ServerError> {
        let store = Store::load(&config.objects)?;
        let leaf_key = rcgen::KeyPair::generate()?;
        let mut leaf_params = rcgen::CertificateParams::new(config.cert_names.clone())?;
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "kube-apiserver");
        let (chain, trust_pem) = match config.cert {
            ServerCert::CaAndLeaf => {
                let ca_key = rcgen::KeyPair::generate()?;
                let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
                ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
                ca_params
                    .distinguished_name
                    .push(rcgen::DnType::CommonName, "auditpack stand-in CA");
                let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key)?;
                let leaf = leaf_params.signed_by(&leaf_key, &ca)?;
                (vec![leaf.der().clone(), ca.der().clone()], ca.pem())
            }
            ServerCert::SelfSignedLeaf | ServerCert::SelfSignedCa => {
                if config.cert == ServerCert::SelfSignedCa {
                    leaf_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
                }
                let leaf = leaf_params.self_signed(&leaf_key)?;
                (vec![leaf.der().clone()], leaf.pem())
            }
        };

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                chain,
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )?;
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

        let port = config.port;
        let io_err = |source| ServerError::Io { port, source };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(io_err)?;
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", port)).map_err(io_err)?;
        std_listener.set_nonblocking(true).map_err(io_err)?;
        let addr = std_listener.local_addr().map_err(io_err)?;
        let counters = config.faults.clone().into_iter().collect();
        let state = Arc::new(State {
            config,
            store,
            resource_version: "1000".into(),
            counters: Mutex::new(counters),
            log: Mutex::new(Vec::new()),
            addr,
        });
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let serve_state = state.clone();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((tcp, _)) = accepted else { continue };
                            let acceptor = acceptor.clone();
                            let state = serve_state.clone();
                            tokio::spawn(async move {
                                let Ok(tls) = acceptor.accept(tcp).await else { return };
                                let io = hyper_util::rt::TokioIo::new(tls);
                                let svc = hyper::service::service_fn(move |req| {
                                    let state = state.clone();
                                    async move { Ok::<_, std::convert::Infallible>(handle(&state, req).await) }
                                });
                                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, svc).await;
                            });
                        }
                    }
                }
            });
        });
        Ok(Server {
            state,
            ca_pem: trust_pem,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.state.addr)
    }

    /// The certificate clients must trust (PEM): the CA, or the self-signed server certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The bearer token.
    pub fn token(&self) -> &str {
        &self.state.config.token
    }

    /// A kubeconfig for this server (context `standin`).
    pub fn kubeconfig(&self) -> String {
        let ca = base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes());
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: standin\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\nusers:\n- name: standin-user\n  user:\n    token: {}\ncontexts:\n- name: standin\n  context:\n    cluster: standin\n    user: standin-user\ncurrent-context: standin\n",
            self.url(),
            self.token()
        )
    }

    /// Writes [`Server::kubeconfig`] to `path`.
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig())
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.log.lock().expect("log lock").clone()
    }

    /// Stops serving and waits for the server thread.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

/// A response body: whole, with its `Content-Length`, or (the `chunked` fault) without one.
type Body = http_body_util::Either<Full<Bytes>, Unsized>;

/// A body that does not declare its length: hyper sends it chunked, as a server streaming
/// a list would, so the client learns its size only by reading it.
pub struct Unsized(Full<Bytes>);

impl hyper::body::Body for Unsized {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }
    // `size_hint` stays unknown: that is the point.
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let uri = req.uri().to_string();
    let path = req.uri().path().to_string();
    let query = parse_query(req.uri().query().unwrap_or(""));
    let accept = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", state.config.token));
    // Drain the body (SelfSubjectReview posts one).
    let _ = req.into_body().collect().await;
    let response = if authorized {
        route(state, &method, &path, &query, &accept).await
    } else {
        status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized")
    };
    state.log.lock().expect("log lock").push(RequestRecord {
        method: method.to_string(),
        uri,
        status: response.status().as_u16(),
    });
    response
}

async fn route(
    state: &State,
    method: &Method,
    path: &str,
    query: &HashMap<String, String>,
    accept: &str,
) -> Response<Body> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match (method, segs.as_slice()) {
        (&Method::GET, ["version"]) => json_response(StatusCode::OK, version(state)),
        (&Method::GET, ["api"]) => json_response(
            StatusCode::OK,
            json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": state.addr.to_string()}]}),
        ),
        (&Method::GET, ["apis"]) => json_response(StatusCode::OK, group_list(state)),
        (&Method::GET, ["api", "v1"]) => {
            json_response(StatusCode::OK, resource_list(state, "", "v1"))
        }
        (&Method::GET, ["apis", group, version]) => {
            let list = resource_list(state, group, version);
            if list["resources"].as_array().is_some_and(|r| r.is_empty()) {
                not_found(path)
            } else {
                json_response(StatusCode::OK, list)
            }
        }
        (&Method::POST, ["apis", "authentication.k8s.io", "v1", "selfsubjectreviews"]) => {
            if let Some(resp) =
                inject(state, "selfsubjectreviews", "authentication.k8s.io", false).await
            {
                return resp;
            }
            json_response(
                StatusCode::CREATED,
                json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {"creationTimestamp": null},
                       "status": {"userInfo": {"username": state.config.username, "uid": "5d3c1a2e-0000-4000-8000-000000000001", "groups": state.config.groups}}}),
            )
        }
        (&Method::GET, ["api", "v1", rest @ ..]) => {
            serve_resource(state, "", "v1", rest, query, accept, path).await
        }
        (&Method::GET, ["apis", group, version, rest @ ..]) => {
            serve_resource(state, group, version, rest, query, accept, path).await
        }
        (&Method::GET, _) => not_found(path),
        _ => status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "the stand-in server only serves reads",
        ),
    }
}

fn version(state: &State) -> Value {
    let v = state.config.git_version.trim_start_matches('v');
    let mut parts = v.split('.');
    json!({
        "major": parts.next().unwrap_or("1"),
        "minor": parts.next().unwrap_or("0"),
        "gitVersion": state.config.git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-08-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

fn group_list(state: &State) -> Value {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in state.store.resources.keys().filter(|r| !r.group.is_empty()) {
        let versions = groups.entry(&r.group).or_default();
        if !versions.contains(&r.version.as_str()) {
            versions.push(&r.version);
        }
    }
    groups
        .entry("authentication.k8s.io")
        .or_default()
        .push("v1");
    // Built-in groups come before the groups of CRDs, as kube-apiserver lists them: kubectl
    // resolves a plural two groups serve (`networkpolicies`: networking.k8s.io and
    // Calico's) to the first.
    let custom = |g: &str| {
        state
            .store
            .resources
            .keys()
            .any(|r| r.group == g && r.custom)
    };
    let mut groups: Vec<(&str, Vec<&str>)> = groups.into_iter().collect();
    groups.sort_by_key(|(g, _)| custom(g));
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, versions)| {
            let vs: Vec<Value> = versions
                .iter()
                .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
                .collect();
            json!({"name": name, "versions": vs, "preferredVersion": vs[0].clone()})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn resource_list(state: &State, group: &str, version: &str) -> Value {
    let mut resources: Vec<Value> = state
        .store
        .resources
        .keys()
        .filter(|r| r.group == group && r.version == version)
        .filter(|r| {
            let qualified = format!("{}.{}", r.plural, r.group);
            let faults = &state.config.faults;
            !(faults.get(&r.plural).or(faults.get(&qualified))).is_some_and(|f| f.unlisted)
        })
        .map(|r| {
            json!({"name": r.plural, "singularName": r.kind.to_ascii_lowercase(), "namespaced": r.namespaced, "kind": r.kind, "verbs": ["get", "list"]})
        })
        .collect();
    if group == "authentication.k8s.io" && version == "v1" {
        resources.push(json!({"name": "selfsubjectreviews", "singularName": "selfsubjectreview", "namespaced": false, "kind": "SelfSubjectReview", "verbs": ["create"]}));
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

#[allow(clippy::too_many_arguments)]
async fn serve_resource(
    state: &State,
    group: &str,
    version: &str,
    rest: &[&str],
    query: &HashMap<String, String>,
    accept: &str,
    path: &str,
) -> Response<Body> {
    // [plural] | [plural, name] | ["namespaces", ns, plural] | ["namespaces", ns, plural, name]
    let (namespace, plural, name) = match rest {
        [plural] => (None, *plural, None),
        ["namespaces", name] if group.is_empty() => (None, "namespaces", Some(*name)),
        [plural, name] => (None, *plural, Some(*name)),
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        _ => return not_found(path),
    };
    let Some((resource, items)) = state.store.find(group, version, plural) else {
        return not_found(path);
    };
    if namespace.is_some() && !resource.namespaced {
        return not_found(path);
    }
    let continuing = query.get("continue").is_some_and(|c| !c.is_empty());
    if let Some(resp) = inject(state, plural, group, continuing).await {
        return resp;
    }
    let metadata_only = accept.contains("as=PartialObjectMetadata");
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let in_ns = |o: &&Value| {
        namespace
            .is_none_or(|ns| o.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns))
    };

    if let Some(name) = name {
        let found = items
            .iter()
            .filter(in_ns)
            .find(|o| auditpack::object_ref(o).1 == name);
        return match found {
            Some(o) if metadata_only => json_response(
                StatusCode::OK,
                json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": o["metadata"]}),
            ),
            Some(o) => json_response(StatusCode::OK, o.clone()),
            None => status(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("{plural} \"{name}\" not found"),
            ),
        };
    }

    let selector = match query
        .get("labelSelector")
        .map(|s| LabelSelector::parse(s))
        .transpose()
    {
        Ok(s) => s,
        Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", &e),
    };
    let fields = match query
        .get("fieldSelector")
        .map(|s| parse_field_selector(s))
        .transpose()
    {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", &e),
    };
    let matching: Vec<&Value> = items
        .iter()
        .filter(in_ns)
        .filter(|o| selector.as_ref().is_none_or(|s| s.matches(o)))
        .filter(|o| {
            fields.iter().all(|(f, v)| {
                o.pointer(&format!("/metadata/{f}"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    == v
            })
        })
        .collect();

    let start = match query.get("continue").filter(|c| !c.is_empty()) {
        None => 0,
        Some(token) => match decode_continue(token, &state.resource_version) {
            Some(start) => start,
            None => {
                return status(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "invalid continue token",
                );
            }
        },
    };
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let fault = {
        let faults = &state.config.faults;
        faults
            .get(plural)
            .or(faults.get(&format!("{plural}.{group}")))
            .cloned()
            .unwrap_or_default()
    };
    // A server that never ends a list: the same token every time, or always a new one.
    let start = if fault.repeat_continue { 0 } else { start };
    let end = limit.map_or(matching.len(), |l| (start + l).min(matching.len()));
    let page = &matching[start.min(matching.len())..end];
    let mut meta = json!({"resourceVersion": state.resource_version});
    if end < matching.len() || fault.repeat_continue || fault.endless_continue {
        let next = if fault.endless_continue {
            start + limit.unwrap_or(1)
        } else {
            end
        };
        meta["continue"] = Value::String(encode_continue(next, &state.resource_version));
        meta["remainingItemCount"] = json!(matching.len().saturating_sub(end));
    }
    let items: Vec<Value> = page
        .iter()
        .map(|o| {
            if metadata_only {
                json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": o["metadata"]})
            } else if resource.custom {
                (*o).clone()
            } else {
                // A typed list from the real API server omits each item's apiVersion and kind.
                let mut o = (*o).clone();
                if let Some(m) = o.as_object_mut() {
                    m.remove("apiVersion");
                    m.remove("kind");
                }
                o
            }
        })
        .collect();
    let mut items = items;
    if fault.huge_bytes > 0
        && let Some(Value::Object(first)) = items.first_mut()
    {
        // A real object, only far too large: one annotation of the size asked for.
        let meta = first.entry("metadata").or_insert_with(|| json!({}));
        if let Some(m) = meta.as_object_mut() {
            let notes = m.entry("annotations").or_insert_with(|| json!({}));
            notes["standin.auditpack.dev/padding"] =
                Value::String("x".repeat(fault.huge_bytes as usize));
        }
    }
    let body = if metadata_only {
        json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList", "metadata": meta, "items": items})
    } else {
        json!({"apiVersion": gv, "kind": format!("{}List", resource.kind), "metadata": meta, "items": items})
    };
    let resp = json_response(StatusCode::OK, body);
    if fault.chunked {
        resp.map(|b| match b {
            http_body_util::Either::Left(full) => http_body_util::Either::Right(Unsized(full)),
            other => other,
        })
    } else {
        resp
    }
}

/// Applies the configured faults for a resource; `Some` is the response to send instead.
async fn inject(
    state: &State,
    plural: &str,
    group: &str,
    continuing: bool,
) -> Option<Response<Body>> {
    let qualified = format!("{plural}.{group}");
    let (latency, outcome) = {
        let mut counters = state.counters.lock().expect("fault lock");
        let fault = match counters.get_mut(plural) {
            Some(f) => Some(f),
            None => counters.get_mut(&qualified),
        };
        let f = fault?;
        let outcome = if f.forbidden {
            Some((StatusCode::FORBIDDEN, None))
        } else if f.not_found || f.unlisted {
            Some((StatusCode::NOT_FOUND, None))
        } else if f.too_many_requests > 0 {
            if f.too_many_requests != u32::MAX {
                f.too_many_requests -= 1;
            }
            let secs = f.retry_after_secs;
            Some((
                StatusCode::TOO_MANY_REQUESTS,
                Some(if f.retry_after_date {
                    httpdate::fmt_http_date(
                        std::time::SystemTime::now() + Duration::from_secs(secs),
                    )
                } else {
                    secs.to_string()
                }),
            ))
        } else if f.server_errors > 0 {
            if f.server_errors != u32::MAX {
                f.server_errors -= 1;
            }
            Some((StatusCode::INTERNAL_SERVER_ERROR, None))
        } else if continuing && f.expire_continue > 0 {
            f.expire_continue -= 1;
            Some((StatusCode::GONE, None))
        } else {
            None
        };
        (f.latency, outcome)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (code, retry_after) = outcome?;
    let user = &state.config.username;
    let group_text = if group.is_empty() {
        "\"\"".to_string()
    } else {
        format!("\"{group}\"")
    };
    let mut resp = match code {
        StatusCode::FORBIDDEN => status(
            code,
            "Forbidden",
            &format!(
                "{plural} is forbidden: User \"{user}\" cannot list resource \"{plural}\" in API group {group_text} at the cluster scope"
            ),
        ),
        StatusCode::TOO_MANY_REQUESTS => status(
            code,
            "TooManyRequests",
            "too many requests, please try again later",
        ),
        StatusCode::NOT_FOUND => status(
            code,
            "NotFound",
            "the server could not find the requested resource",
        ),
        StatusCode::GONE => status(
            code,
            "Expired",
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
        ),
        _ => status(
            code,
            "InternalError",
            "Internal error occurred: injected by the stand-in server",
        ),
    };
    if let Some(value) = retry_after {
        resp.headers_mut()
            .insert("retry-after", value.parse().expect("header value"));
    }
    Some(resp)
}

fn encode_continue(start: usize, rv: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{{\"rv\":\"{rv}\",\"start\":{start}}}"))
}

fn decode_continue(token: &str, rv: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    if v["rv"].as_str()? != rv {
        return None;
    }
    v["start"].as_u64().map(|s| s as usize)
}

fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_field_selector(s: &str) -> Result<Vec<(String, String)>, String> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once("==")
                .or_else(|| p.split_once('='))
                .ok_or(format!("invalid field selector `{p}`"))?;
            match k {
                "metadata.name" => Ok(("name".to_string(), v.to_string())),
                "metadata.namespace" => Ok(("namespace".to_string(), v.to_string())),
                other => Err(format!("field label not supported: {other}")),
            }
        })
        .collect()
}

/// A parsed label selector (the `labelSelector` query syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        let mut reqs = Vec::new();
        let mut parts = Vec::new();
        let mut depth = 0;
        let mut cur = String::new();
        for c in s.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            }
            cur.push(c);
        }
        parts.push(cur);
        for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            let set = |rest: &str| -> Result<Vec<String>, String> {
                let inner = rest
                    .trim()
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or(format!("invalid label selector `{p}`"))?;
                Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
            };
            let req = if let Some((k, v)) = p.split_once("!=") {
                Requirement::NotEq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
                Requirement::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, rest)) = p.split_once(" notin ") {
                Requirement::NotIn(k.trim().into(), set(rest)?)
            } else if let Some((k, rest)) = p.split_once(" in ") {
                Requirement::In(k.trim().into(), set(rest)?)
            } else if let Some(k) = p.strip_prefix('!') {
                Requirement::NotExists(k.trim().into())
            } else {
                Requirement::Exists(p.to_string())
            };
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    /// Whether an object's labels match.
    pub fn matches(&self, object: &Value) -> bool {
        let label = |k: &str| {
            object
                .pointer("/metadata/labels")
                .and_then(|l| l.get(k))
                .and_then(Value::as_str)
        };
        self.0.iter().all(|r| match r {
            Requirement::Eq(k, v) => label(k) == Some(v.as_str()),
            Requirement::NotEq(k, v) => label(k) != Some(v.as_str()),
            Requirement::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => label(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            Requirement::Exists(k) => label(k).is_some(),
            Requirement::NotExists(k) => label(k).is_none(),
        })
    }
}

fn json_response(code: StatusCode, body: Value) -> Response<Body> {
    let mut resp = Response::new(http_body_util::Either::Left(Full::new(Bytes::from(
        serde_json::to_vec(&body).expect("json"),
    ))));
    *resp.status_mut() = code;
    resp.headers_mut()
        .insert("content-type", "application/json".parse().expect("header"));
    resp
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response<Body> {
    json_response(
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code.as_u16()}),
    )
}

fn not_found(path: &str) -> Response<Body> {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("the server could not find the requested resource ({path})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors_follow_the_api_syntax() {
        let o = json!({"metadata": {"labels": {"tier": "control-plane", "component": "kube-apiserver"}}});
        assert!(
            LabelSelector::parse("tier=control-plane")
                .unwrap()
                .matches(&o)
        );
        assert!(
            LabelSelector::parse("component in (kube-apiserver,etcd),tier")
                .unwrap()
                .matches(&o)
        );
        assert!(
            !LabelSelector::parse("component notin (kube-apiserver)")
                .unwrap()
                .matches(&o)
        );
        assert!(!LabelSelector::parse("!tier").unwrap().matches(&o));
        assert!(LabelSelector::parse("app!=web").unwrap().matches(&o));
    }

    #[test]
    fn continue_tokens_round_trip_and_reject_other_versions() {
        let t = encode_continue(42, "1000");
        assert_eq!(decode_continue(&t, "1000"), Some(42));
        assert_eq!(decode_continue(&t, "999"), None);
        assert_eq!(decode_continue("garbage", "1000"), None);
    }

    #[test]
    fn fault_specs_parse() {
        let f = Fault::parse("429:2:3,latency:50").unwrap();
        assert_eq!(
            (f.too_many_requests, f.retry_after_secs, f.latency),
            (2, 3, Duration::from_millis(50))
        );
        assert_eq!(Fault::parse("500:always").unwrap().server_errors, u32::MAX);
        assert!(Fault::parse("teapot").is_err());
    }

    #[test]
    fn query_values_are_percent_decoded() {
        let q = parse_query("labelSelector=tier%3Dcontrol-plane&limit=5");
        assert_eq!(q["labelSelector"], "tier=control-plane");
        assert_eq!(q["limit"], "5");
    }
}
