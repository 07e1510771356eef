//! The live client's connection stack: kube's own (the same layers `kube::Client::try_from`
//! puts together), with one difference: the server certificate verifier also accepts a
//! server whose certificate is itself one of the kubeconfig's `certificate-authority`
//! certificates (a pinned self-signed leaf), as kubectl does. rustls' WebPKI verifier
//! refuses such a certificate (`CaUsedAsEndEntity` when it carries CA:TRUE; kube-rs#1767),
//! and kube offers no hook for the verifier, so the stack is built here from kube's public
//! pieces ([`ConfigExt`]): its rustls configuration (client certificates, exec
//! identities, `insecure-skip-tls-verify`), `tls-server-name`, `proxy-url` (HTTP CONNECT or
//! SOCKS5), the timeouts, the base URI, the credentials (tokens, exec and OIDC plugins) and
//! extra headers.

use std::sync::Arc;

use hyper_rustls::FixedServerNameResolver;
use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
use hyper_util::client::legacy::connect::{Connection, HttpConnector};
use hyper_util::rt::TokioExecutor;
use kube::client::{ClientBuilder, ConfigExt};
use kube::{Client, Config};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tower::ServiceBuilder;

/// Accepts a server certificate that is byte for byte one of the configured certificates
/// (the handshake signature is still checked against it); any other certificate goes to
/// rustls' WebPKI verifier over the same certificates as roots.
#[derive(Debug)]
pub(super) struct PinnedOrWebPki {
    pinned: Vec<Vec<u8>>,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl PinnedOrWebPki {
    /// `certs` are the DER certificates of `certificate-authority(-data)`.
    pub(super) fn new(certs: &[Vec<u8>], provider: Arc<CryptoProvider>) -> Self {
        let mut roots = RootCertStore::empty();
        for der in certs {
            // A certificate webpki cannot take as a trust anchor can still be pinned.
            let _ = roots.add(CertificateDer::from(der.clone()));
        }
        let webpki = (!roots.is_empty())
            .then(|| {
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .ok()
            })
            .flatten();
        PinnedOrWebPki {
            pinned: certs.to_vec(),
            webpki,
            provider,
        }
    }
}

impl ServerCertVerifier for PinnedOrWebPki {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|p| p.as_slice() == end_entity.as_ref())
        {
            return Ok(ServerCertVerified::assertion());
        }
        match &self.webpki {
            Some(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The kube client for `config`; the error is one line for the user.
pub(super) fn client(config: Config) -> Result<Client, String> {
    let chain = |e: &dyn std::error::Error| super::live::error_chain(e);
    let mut tls = config.rustls_client_config().map_err(|e| chain(&e))?;
    // In-cluster (a CA file) kube installs a verifier that follows CA rotation: keep it.
    if !config.accept_invalid_certs
        && config.root_cert_file.is_none()
        && let Some(certs) = &config.root_cert
    {
        let provider = tls.crypto_provider().clone();
        tls.dangerous()
            .set_certificate_verifier(Arc::new(PinnedOrWebPki::new(certs, provider)));
    }
    let mut builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    if let Some(name) = &config.tls_server_name {
        let name = ServerName::try_from(name.clone()).map_err(|e| {
            format!("tls-server-name {name:?} is not a DNS name or IP address: {e}")
        })?;
        builder = builder.with_server_name_resolver(FixedServerNameResolver::new(name));
    }
    let https = builder.enable_http1();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    match &config.proxy_url {
        None => finish(https.wrap_connector(http), &config),
        Some(p) if p.scheme_str() == Some("http") => {
            let mut tunnel = Tunnel::new(p.clone(), http);
            if let Some(auth) = proxy_basic_auth(p) {
                tunnel = tunnel.with_auth(auth);
            }
            finish(https.wrap_connector(tunnel), &config)
        }
        Some(p) if p.scheme_str() == Some("socks5") => {
            finish(https.wrap_connector(SocksV5::new(p.clone(), http)), &config)
        }
        Some(p) => Err(format!(
            "proxy-url {p} is not supported: use an http:// (CONNECT) or socks5:// proxy"
        )),
    }
}

/// `Proxy-Authorization: Basic` from the proxy URL's `user:password@`.
fn proxy_basic_auth(proxy: &http::Uri) -> Option<http::HeaderValue> {
    use base64::Engine;
    let (userinfo, _) = proxy.authority()?.as_str().split_once('@')?;
    let decoded = percent_decode(userinfo);
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(decoded)
    );
    http::HeaderValue::from_str(&value).ok()
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn finish<H>(connector: H, config: &Config) -> Result<Client, String>
where
    H: tower::Service<http::Uri> + Clone + Send + Sync + 'static,
    H::Response: Connection + hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static,
    H::Future: Send + 'static,
    H::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let chain = |e: &dyn std::error::Error| super::live::error_chain(e);
    let mut connector = hyper_timeout::TimeoutConnector::new(connector);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    connector.set_reset_reader_on_write(config.reset_reader_on_write);
    let http: hyper_util::client::legacy::Client<_, kube::client::Body> =
        hyper_util::client::legacy::Builder::new(TokioExecutor::new()).build(connector);
    let auth = config.auth_layer().map_err(|e| chain(&e))?;
    let headers = config.extra_headers_layer().map_err(|e| chain(&e))?;
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(auth)
        .layer(headers)
        .map_err(Box::<dyn std::error::Error + Send + Sync>::from)
        .service(http);
    Ok(ClientBuilder::new(service, config.default_namespace.clone()).build())
}
