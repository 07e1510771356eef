//! S3-compatible object storage through the official AWS SDK (`aws-sdk-s3`): credentials
//! and region from the SDK's default chain (environment, profile, web identity / IRSA,
//! container and instance metadata), an endpoint from `--endpoint-url` or
//! `AWS_ENDPOINT_URL` (path-style addressing then, as local servers need). No signing or
//! XML is written here.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ObjectLockEnabled,
    ObjectLockLegalHoldStatus, ObjectLockMode,
};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::history::chain::{ChainOptions, ChainReport, verify_reports};
use crate::model::{ArchiveIndex, LockMode, PacketMeta, Retention, Stored};
use crate::seal::archive::Limits;
use crate::seal::{PACKET_JSON, Report, TrustStore, verify_archive_reader, write_archive};
use crate::store::list::{ListedPacket, Listing};
use crate::store::{S3Url, StoreError};

/// Where the store is and how to reach it; everything else comes from the SDK's default
/// chain.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// The endpoint (`--endpoint-url`); `AWS_ENDPOINT_URL` when `None`. Either turns on
    /// path-style addressing.
    pub endpoint_url: Option<String>,
    /// The region; the default chain's (`AWS_REGION`, profile) when `None`, else
    /// `us-east-1`.
    pub region: Option<String>,
}

/// How an archive is uploaded.
#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// Object Lock retention set on both objects.
    pub retention: Option<Retention>,
    /// An Object Lock legal hold on both objects.
    pub legal_hold: bool,
    /// Archives larger than this go up as a multipart upload (default 64 MiB).
    pub multipart_threshold: u64,
    /// Size of each part (default 16 MiB; S3 needs at least 5 MiB).
    pub part_size: u64,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            retention: None,
            legal_hold: false,
            multipart_threshold: 64 << 20,
            part_size: 16 << 20,
        }
    }
}

/// What [`archive_to_s3`] uploaded.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// The archive object.
    pub archive: S3Url,
    /// Its version id, when the bucket is versioned.
    pub archive_version: Option<String>,
    /// The index object.
    pub index: S3Url,
    /// Its version id.
    pub index_version: Option<String>,
    /// The index uploaded.
    pub index_doc: ArchiveIndex,
    /// Files in the archive.
    pub files: usize,
    /// Parts of the multipart upload (0: one PUT).
    pub parts: usize,
}

/// A store-level finding on one object (beside the packet's own verification).
#[derive(Debug, Clone, Serialize)]
pub struct StoreFinding {
    /// A stable id: `overwritten`, `checksum-mismatch`, `metadata-mismatch`,
    /// `index-mismatch`.
    pub rule: &'static str,
    /// One line.
    pub detail: String,
}

/// What the store says of one archive object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectFacts {
    /// `s3://BUCKET/KEY`.
    pub url: String,
    /// The version verified (the newest), when the bucket is versioned.
    pub version_id: Option<String>,
    /// Versions of the key (1 for an object written once; delete markers not counted).
    pub versions: usize,
    /// Delete markers of the key.
    pub delete_markers: usize,
    /// The object's Object Lock retention, as the server states it.
    pub retention: Option<Retention>,
    /// Whether that retention is still in force now.
    pub retention_in_force: bool,
    /// Whether a legal hold is on.
    pub legal_hold: bool,
    /// Bytes streamed.
    pub bytes: u64,
    /// SHA-256 (hex) of the bytes streamed.
    pub sha256: String,
    /// Store-level findings (any makes the object not verified).
    pub findings: Vec<StoreFinding>,
    /// What else a reader should know.
    pub notes: Vec<String>,
}

/// The verdict on one archive object.
#[derive(Debug)]
pub struct ObjectReport {
    /// The packet's verification, exactly as for a local archive.
    pub report: Report,
    /// What the store says of the object.
    pub object: ObjectFacts,
}

impl ObjectReport {
    /// Verified: the packet verifies and the store has no finding on the object.
    pub fn is_verified(&self) -> bool {
        self.report.is_verified() && self.object.findings.is_empty()
    }
}

/// The verdict on every archive under a prefix, as one series.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrefixChain {
    /// True when the chain is complete and no object has a store finding.
    pub complete: bool,
    /// The chain verdict, exactly as for a local series.
    pub chain: ChainReport,
    /// Each object, in the chain's order.
    pub objects: Vec<ObjectFacts>,
}

impl PrefixChain {
    /// Text: the chain's own text, then each object's store facts and findings.
    pub fn to_text(&self) -> String {
        let mut out = self.chain.to_text();
        for o in &self.objects {
            out.push_str(&facts_text(o));
        }
        if !self.complete && self.chain.complete {
            out.push_str("NOT COMPLETE: the store has findings on some objects (above)\n");
        }
        out
    }
}

impl ObjectFacts {
    /// Text lines of the object's store facts and findings.
    pub fn to_text(&self) -> String {
        facts_text(self)
    }
}

fn facts_text(o: &ObjectFacts) -> String {
    let mut out = format!("  object:    {}\n", o.url);
    out.push_str(&format!(
        "  version:   {} ({} version{} of the key{})\n",
        o.version_id.as_deref().unwrap_or("(unversioned)"),
        o.versions,
        if o.versions == 1 { "" } else { "s" },
        if o.delete_markers > 0 {
            format!(", {} delete marker(s)", o.delete_markers)
        } else {
            String::new()
        }
    ));
    out.push_str(&match &o.retention {
        Some(r) => format!(
            "  retention: {} until {} ({})\n",
            r.mode,
            ts(r.retain_until),
            if o.retention_in_force {
                "in force"
            } else {
                "expired"
            }
        ),
        None => "  retention: none\n".into(),
    });
    if o.legal_hold {
        out.push_str("  legal hold: on\n");
    }
    for f in &o.findings {
        out.push_str(&format!("  FAIL {} {}: {}\n", f.rule, o.url, f.detail));
    }
    for n in &o.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    out
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn runtime() -> Result<tokio::runtime::Runtime, StoreError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| StoreError::Io {
            path: PathBuf::from("(tokio runtime)"),
            action: "cannot start",
            source,
        })
}

async fn client(opts: &S3Options) -> Client {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http);
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
    }
    let sdk = loader.load().await;
    let mut b = aws_sdk_s3::config::Builder::from(&sdk)
        // The checksum auditpack computes (SHA-256) is sent as a header; the SDK adds no
        // trailing checksum of its own, which servers without flexible checksums refuse.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    if sdk.region().is_none() {
        b = b.region(Region::new("us-east-1"));
    }
    let endpoint = opts
        .endpoint_url
        .clone()
        .or_else(|| sdk.endpoint_url().map(str::to_string));
    if let Some(e) = endpoint {
        b = b.endpoint_url(e).force_path_style(true);
    }
    Client::from_conf(b.build())
}

/// The one-line reason of a failed request: the server's code and message (or HTTP status),
/// or why it could not be reached.
fn reason<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> String {
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let status = se.raw().status_code();
            match (err.code(), err.message()) {
                (Some(c), Some(m)) if !m.is_empty() => format!("{c}: {m} (HTTP {status})"),
                (Some(c), _) => format!("{c} (HTTP {status})"),
                _ => match status {
                    403 => "access denied (HTTP 403): check the credentials and the bucket policy"
                        .into(),
                    404 => "not found (HTTP 404)".into(),
                    s => format!("HTTP {s}"),
                },
            }
        }
        SdkError::DispatchFailure(d) => {
            let inner = aws_sdk_s3::error::DisplayErrorContext(e).to_string();
            if d.is_io() || d.is_timeout() {
                format!("the server cannot be reached or dropped the connection: {inner}")
            } else {
                format!("the request was not sent: {inner}")
            }
        }
        SdkError::TimeoutError(_) => "the request timed out".into(),
        other => aws_sdk_s3::error::DisplayErrorContext(other).to_string(),
    }
    .replace('\n', " ")
}

/// The HTTP status of a raw response (so [`reason`] works for every operation).
trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

fn status_of<E, R: HttpStatus>(e: &SdkError<E, R>) -> Option<u16> {
    match e {
        SdkError::ServiceError(se) => Some(se.raw().status_code()),
        _ => None,
    }
}

fn s3_err(bucket: &str, action: impl Into<String>, reason: String) -> StoreError {
    StoreError::S3 {
        bucket: bucket.to_string(),
        action: action.into(),
        reason,
    }
}

/// The bucket exists and these credentials reach it: a clear error before anything else.
async fn check_bucket(c: &Client, bucket: &str) -> Result<(), StoreError> {
    match c.head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) => Err(match status_of(&e) {
            Some(404) => s3_err(
                bucket,
                "open the bucket",
                "no such bucket (HTTP 404): create it, or check the name".into(),
            ),
            Some(403) => s3_err(
                bucket,
                "open the bucket",
                "access denied (HTTP 403): check the credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE, the Pod's role) and the bucket policy".into(),
            ),
            _ => s3_err(bucket, "open the bucket", reason(&e)),
        }),
    }
}

/// Whether a key exists (any version): HEAD it.
async fn exists(c: &Client, url: &S3Url) -> Result<bool, StoreError> {
    match c
        .head_object()
        .bucket(&url.bucket)
        .key(&url.key)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if status_of(&e) == Some(404) => Ok(false),
        Err(e) => Err(s3_err(&url.bucket, format!("read {url}"), reason(&e))),
    }
}

fn b64(digest: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(digest)
}

fn aws_time(t: DateTime<Utc>) -> aws_sdk_s3::primitives::DateTime {
    aws_sdk_s3::primitives::DateTime::from_secs(t.timestamp())
}

fn lock_mode(m: LockMode) -> ObjectLockMode {
    match m {
        LockMode::Compliance => ObjectLockMode::Compliance,
        LockMode::Governance => ObjectLockMode::Governance,
    }
}

/// The user metadata of both objects (`x-amz-meta-*`).
fn metadata(index: &ArchiveIndex) -> HashMap<String, String> {
    let mut m = HashMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put("packet-id", index.packet_id.clone());
    put("cluster", index.cluster.clone());
    put("period-start", index.period.map(|p| ts(p.start)));
    put("period-end", index.period.map(|p| ts(p.end)));
    put("manifest-sha256", Some(index.manifest_sha256.clone()));
    put("signer-key-id", Some(index.signer_key_id.clone()));
    put("archive-sha256", Some(index.archive_sha256.clone()));
    put("auditpack-version", index.auditpack_version.clone());
    m
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        path,
        action,
        source,
    }
}

/// Archives a sealed packet folder to `to` (a prefix): `PREFIX/ID.tar.gz` (Content-Type
/// `application/gzip`) and `PREFIX/ID.tar.gz.json` (`application/json`), each with its
/// `x-amz-checksum-sha256`, the packet's user metadata, `If-None-Match: *`, and the Object
/// Lock retention and legal hold asked for. Refuses a bucket without Object Lock when
/// retention is asked for, and an existing key. The archive is written to a temporary file
/// first (its SHA-256 goes into the request), then streamed from it, in parts when large:
/// memory stays flat.
pub fn archive_to_s3(
    dir: &Path,
    to: &S3Url,
    s3: &S3Options,
    opts: &UploadOptions,
) -> Result<Uploaded, StoreError> {
    let prefix = to.as_prefix();
    let packet_json = std::fs::read(dir.join(PACKET_JSON))
        .map_err(io_err(&dir.join(PACKET_JSON), "cannot read"))?;
    let id = PacketMeta::from_slice(&packet_json)
        .ok()
        .and_then(|m| m.id)
        .ok_or_else(|| StoreError::NoPacketId {
            dir: dir.to_path_buf(),
        })?;
    if id.is_empty()
        || id == "."
        || id == ".."
        || id.chars().any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return Err(StoreError::BadPacketId {
            dir: dir.to_path_buf(),
            id,
        });
    }
    let name = format!("{id}.tar.gz");
    let archive_url = prefix.join(&name);
    let index_url = prefix.join(&format!("{name}.json"));

    let rt = runtime()?;
    let c = rt.block_on(client(s3));
    // Everything that can be refused is refused before the archive is even made.
    rt.block_on(async {
        check_bucket(&c, &prefix.bucket).await?;
        if opts.retention.is_some() || opts.legal_hold {
            check_object_lock(&c, &prefix.bucket).await?;
        }
        for url in [&archive_url, &index_url] {
            if exists(&c, url).await? {
                return Err(StoreError::Exists {
                    url: url.to_string(),
                });
            }
        }
        Ok(())
    })?;

    let tmp = tempfile::Builder::new()
        .prefix(".auditpack-tmp-s3-")
        .tempdir()
        .map_err(io_err(
            &std::env::temp_dir(),
            "cannot create a temporary folder",
        ))?;
    let local = tmp.path().join(&name);
    let report = write_archive(dir, &local)?;
    let mut index = report.index_doc.clone();
    index.archive = name.clone();
    index.retention = Stored::Present(opts.retention);
    index.legal_hold = Some(opts.legal_hold);
    let index_bytes = index.to_bytes();
    let meta = metadata(&index);

    let (archive_version, parts) =
        rt.block_on(put_archive(&c, &archive_url, &local, &index, &meta, opts))?;
    let index_version = rt.block_on(async {
        let mut req = c
            .put_object()
            .bucket(&index_url.bucket)
            .key(&index_url.key)
            .content_type("application/json")
            .content_length(index_bytes.len() as i64)
            .checksum_sha256(b64(&Sha256::digest(&index_bytes)))
            .set_metadata(Some(meta.clone()))
            .if_none_match("*")
            .body(ByteStream::from(index_bytes.clone()));
        req = with_lock(req, opts);
        req.send()
            .await
            .map(|o| o.version_id)
            .map_err(|e| {
                s3_err(
                    &index_url.bucket,
                    format!("upload {index_url} (the archive {archive_url} is uploaded; verify reads it without its index)"),
                    reason(&e),
                )
            })
    })?;
    Ok(Uploaded {
        archive: archive_url,
        archive_version,
        index: index_url,
        index_version,
        index_doc: index,
        files: report.files,
        parts,
    })
}

fn with_lock(
    mut req: aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder,
    opts: &UploadOptions,
) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
    if let Some(r) = &opts.retention {
        req = req
            .object_lock_mode(lock_mode(r.mode))
            .object_lock_retain_until_date(aws_time(r.retain_until));
    }
    if opts.legal_hold {
        req = req.object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On);
    }
    req
}

async fn check_object_lock(c: &Client, bucket: &str) -> Result<(), StoreError> {
    match c
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => {
            let enabled = out
                .object_lock_configuration
                .and_then(|c| c.object_lock_enabled)
                == Some(ObjectLockEnabled::Enabled);
            if enabled {
                Ok(())
            } else {
                Err(StoreError::NoObjectLock {
                    bucket: bucket.to_string(),
                    detail: "its Object Lock configuration is not Enabled".into(),
                })
            }
        }
        Err(e) if matches!(status_of(&e), Some(404) | Some(400)) => Err(StoreError::NoObjectLock {
            bucket: bucket.to_string(),
            detail: reason(&e),
        }),
        Err(e) => Err(s3_err(
            bucket,
            "read the bucket's Object Lock configuration",
            reason(&e),
        )),
    }
}

/// SHA-256 of `len` bytes of `file` from `offset`.
fn hash_range(path: &Path, offset: u64, len: u64) -> io::Result<[u8; 32]> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = f.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive shrank while it was uploaded",
            ));
        }
        h.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(h.finalize().into())
}

async fn body(path: &Path, offset: u64, len: u64) -> Result<ByteStream, StoreError> {
    ByteStream::read_from()
        .path(path)
        .offset(offset)
        .length(Length::Exact(len))
        .buffer_size(1 << 20)
        .build()
        .await
        .map_err(|e| StoreError::Io {
            path: path.to_path_buf(),
            action: "cannot read",
            source: io::Error::other(e),
        })
}

/// Uploads the archive: one PUT, or a multipart upload (aborted on any failure, so no
/// object appears). Returns the version id and the number of parts.
async fn put_archive(
    c: &Client,
    url: &S3Url,
    local: &Path,
    index: &ArchiveIndex,
    meta: &HashMap<String, String>,
    opts: &UploadOptions,
) -> Result<(Option<String>, usize), StoreError> {
    let size = index.archive_bytes;
    let whole_b64 = index.archive_sha256_base64.clone().unwrap_or_default();
    if size <= opts.multipart_threshold {
        let mut req = c
            .put_object()
            .bucket(&url.bucket)
            .key(&url.key)
            .content_type(crate::model::ARCHIVE_CONTENT_TYPE)
            .content_length(size as i64)
            .checksum_sha256(whole_b64)
            .set_metadata(Some(meta.clone()))
            .if_none_match("*")
            .body(body(local, 0, size).await?);
        req = with_lock(req, opts);
        let out = req
            .send()
            .await
            .map_err(|e| s3_err(&url.bucket, format!("upload {url}"), reason(&e)))?;
        return Ok((out.version_id, 0));
    }
    let mut create = c
        .create_multipart_upload()
        .bucket(&url.bucket)
        .key(&url.key)
        .content_type(crate::model::ARCHIVE_CONTENT_TYPE)
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .set_metadata(Some(meta.clone()));
    if let Some(r) = &opts.retention {
        create = create
            .object_lock_mode(lock_mode(r.mode))
            .object_lock_retain_until_date(aws_time(r.retain_until));
    }
    if opts.legal_hold {
        create = create.object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On);
    }
    let upload_id = create
        .send()
        .await
        .map_err(|e| {
            s3_err(
                &url.bucket,
                format!("start the upload of {url}"),
                reason(&e),
            )
        })?
        .upload_id
        .unwrap_or_default();
    let result = upload_parts(c, url, local, size, opts.part_size.max(5 << 20), &upload_id).await;
    match result {
        Ok((version, parts)) => Ok((version, parts)),
        Err(e) => {
            let aborted = c
                .abort_multipart_upload()
                .bucket(&url.bucket)
                .key(&url.key)
                .upload_id(&upload_id)
                .send()
                .await;
            Err(match (e, aborted) {
                (
                    StoreError::S3 {
                        bucket,
                        action,
                        reason,
                    },
                    Err(_),
                ) => StoreError::S3 {
                    bucket,
                    action,
                    reason: format!(
                        "{reason}; no object was created (the incomplete upload {upload_id} could not be aborted: a lifecycle rule AbortIncompleteMultipartUpload removes it)"
                    ),
                },
                (
                    StoreError::S3 {
                        bucket,
                        action,
                        reason,
                    },
                    Ok(_),
                ) => StoreError::S3 {
                    bucket,
                    action,
                    reason: format!("{reason}; the upload was aborted, no object was created"),
                },
                (e, _) => e,
            })
        }
    }
}

async fn upload_parts(
    c: &Client,
    url: &S3Url,
    local: &Path,
    size: u64,
    part_size: u64,
    upload_id: &str,
) -> Result<(Option<String>, usize), StoreError> {
    use futures::StreamExt;
    let count = size.div_ceil(part_size);
    // At most 4 parts in flight; each streams from the file, so memory stays flat.
    let uploads = futures::stream::iter(0..count)
        .map(|i| async move {
            let offset = i * part_size;
            let len = part_size.min(size - offset);
            let path = local.to_path_buf();
            let digest = tokio::task::spawn_blocking(move || hash_range(&path, offset, len))
                .await
                .map_err(|e| io::Error::other(e.to_string()))
                .and_then(|r| r)
                .map_err(io_err(local, "cannot read"))?;
            let sum = b64(&digest);
            let number = (i + 1) as i32;
            let out = c
                .upload_part()
                .bucket(&url.bucket)
                .key(&url.key)
                .upload_id(upload_id)
                .part_number(number)
                .content_length(len as i64)
                .checksum_sha256(sum.clone())
                .body(body(local, offset, len).await?)
                .send()
                .await
                .map_err(|e| {
                    s3_err(
                        &url.bucket,
                        format!("upload part {number} of {url}"),
                        reason(&e),
                    )
                })?;
            Ok::<_, StoreError>(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag)
                    .checksum_sha256(sum)
                    .build(),
            )
        })
        .buffered(4);
    let parts: Vec<CompletedPart> = uploads
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let n = parts.len();
    let out = c
        .complete_multipart_upload()
        .bucket(&url.bucket)
        .key(&url.key)
        .upload_id(upload_id)
        .if_none_match("*")
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            s3_err(
                &url.bucket,
                format!("complete the upload of {url}"),
                reason(&e),
            )
        })?;
    Ok((out.version_id, n))
}

/// Chunks of the object's body handed from the runtime to the synchronous archive reader.
type Chunk = Result<Vec<u8>, String>;

/// The object's body as a synchronous reader (on the archive reader's own thread).
struct BodyReader {
    rx: tokio::sync::mpsc::Receiver<Chunk>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.blocking_recv() {
                Some(Ok(c)) => {
                    self.chunk = c;
                    self.pos = 0;
                }
                Some(Err(e)) => return Err(io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// What the server states of a key: its versions and delete markers.
async fn versions(c: &Client, url: &S3Url) -> Result<(usize, usize), StoreError> {
    let mut versions = 0;
    let mut markers = 0;
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    loop {
        let out = c
            .list_object_versions()
            .bucket(&url.bucket)
            .prefix(&url.key)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .map_err(|e| {
                s3_err(
                    &url.bucket,
                    format!("list the versions of {url}"),
                    reason(&e),
                )
            })?;
        versions += out
            .versions()
            .iter()
            .filter(|v| v.key() == Some(url.key.as_str()))
            .count();
        markers += out
            .delete_markers()
            .iter()
            .filter(|v| v.key() == Some(url.key.as_str()))
            .count();
        if out.is_truncated() != Some(true) {
            break;
        }
        key_marker = out.next_key_marker().map(str::to_string);
        version_marker = out.next_version_id_marker().map(str::to_string);
    }
    Ok((versions, markers))
}

/// Streams one archive object through the strict archive reader (no temporary file) and
/// checks it as a local archive; also reports its version id, whether the key has more
/// than one version (a finding: an overwritten quarter, even where the newest verifies),
/// its retention and whether that is in force at `now`, and whether the bytes match the
/// SHA-256 its metadata and its sidecar index state.
pub fn verify_object(
    url: &S3Url,
    s3: &S3Options,
    trust: &TrustStore,
    now: DateTime<Utc>,
) -> Result<ObjectReport, StoreError> {
    let rt = runtime()?;
    let c = rt.block_on(client(s3));
    rt.block_on(check_bucket(&c, &url.bucket))?;
    verify_with(&rt, &c, url, trust, now)
}

fn verify_with(
    rt: &tokio::runtime::Runtime,
    c: &Client,
    url: &S3Url,
    trust: &TrustStore,
    now: DateTime<Utc>,
) -> Result<ObjectReport, StoreError> {
    let got = rt.block_on(async {
        c.get_object()
            .bucket(&url.bucket)
            .key(&url.key)
            .send()
            .await
            .map_err(|e| {
                let why = if status_of(&e) == Some(404) {
                    "no such object (HTTP 404)".to_string()
                } else {
                    reason(&e)
                };
                s3_err(&url.bucket, format!("read {url}"), why)
            })
    })?;
    let version_id = got.version_id.clone();
    let retention = match (&got.object_lock_mode, got.object_lock_retain_until_date) {
        (Some(m), Some(t)) => Some(Retention {
            mode: match m {
                ObjectLockMode::Compliance => LockMode::Compliance,
                _ => LockMode::Governance,
            },
            retain_until: DateTime::from_timestamp(t.secs(), 0).unwrap_or_default(),
        }),
        _ => None,
    };
    let legal_hold = got.object_lock_legal_hold_status == Some(ObjectLockLegalHoldStatus::On);
    let meta = got.metadata.clone().unwrap_or_default();
    let mut stream = got.body;
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(8);
    let pump = rt.spawn(async move {
        let mut h = Sha256::new();
        let mut n = 0u64;
        let mut failed = None;
        loop {
            match stream.next().await {
                Some(Ok(b)) => {
                    h.update(&b);
                    n += b.len() as u64;
                    if tx.send(Ok(b.to_vec())).await.is_err() {
                        failed = Some("the archive reader stopped early".to_string());
                        break;
                    }
                }
                Some(Err(e)) => {
                    let e = format!("the download broke off: {e}");
                    let _ = tx.send(Err(e.clone())).await;
                    failed = Some(e);
                    break;
                }
                None => break,
            }
        }
        (hex::encode(h.finalize()), n, failed)
    });
    let reader = BodyReader {
        rx,
        chunk: Vec::new(),
        pos: 0,
    };
    let report = verify_archive_reader(
        reader,
        Path::new(&url.to_string()),
        trust,
        &Limits::default(),
    )?;
    let (sha256, bytes, failed) = rt
        .block_on(pump)
        .map_err(|e| s3_err(&url.bucket, format!("read {url}"), e.to_string()))?;

    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let (versions, delete_markers) = rt.block_on(versions(c, url))?;
    if versions > 1 {
        findings.push(StoreFinding {
            rule: "overwritten",
            detail: format!(
                "the key has {versions} versions: an archived packet is written once; the newest was verified, the older ones are what was there before (list them with aws s3api list-object-versions)"
            ),
        });
    }
    if let Some(f) = &failed
        && report.is_verified()
    {
        notes.push(f.clone());
    }
    if let Some(stated) = meta.get("archive-sha256")
        && failed.is_none()
        && *stated != sha256
    {
        findings.push(StoreFinding {
            rule: "checksum-mismatch",
            detail: format!(
                "the object's bytes hash to {sha256}, its metadata archive-sha256 states {stated}"
            ),
        });
    }
    let verified_meta = report.packet.as_ref();
    for (key, got) in [
        ("packet-id", verified_meta.and_then(|m| m.id.clone())),
        ("cluster", verified_meta.and_then(|m| m.cluster.clone())),
    ] {
        if let (Some(stated), Some(got)) = (meta.get(key), got)
            && *stated != got
        {
            findings.push(StoreFinding {
                rule: "metadata-mismatch",
                detail: format!("metadata {key} {stated:?}, the signed packet.json states {got:?}"),
            });
        }
    }
    // The sidecar index, when there is one, must describe these bytes.
    let index_url = S3Url {
        bucket: url.bucket.clone(),
        key: format!("{}.json", url.key),
    };
    match rt.block_on(read_small(c, &index_url))? {
        None => notes.push(format!("no sidecar index {index_url}")),
        Some(bytes_) => match ArchiveIndex::from_slice(&bytes_) {
            Ok(i) => {
                if i.archive_sha256 != sha256 {
                    findings.push(StoreFinding {
                        rule: "index-mismatch",
                        detail: format!(
                            "the index {index_url} states archiveSha256 {}, the object hashes to {sha256}",
                            i.archive_sha256
                        ),
                    });
                }
            }
            Err(e) => findings.push(StoreFinding {
                rule: "index-mismatch",
                detail: format!("the index {index_url} is refused: {e}"),
            }),
        },
    }
    let object = ObjectFacts {
        url: url.to_string(),
        version_id,
        versions,
        delete_markers,
        retention_in_force: retention.is_some_and(|r| r.retain_until > now) || legal_hold,
        retention,
        legal_hold,
        bytes,
        sha256,
        findings,
        notes,
    };
    Ok(ObjectReport { report, object })
}

/// A small object's bytes (the sidecar index), `None` when absent.
async fn read_small(c: &Client, url: &S3Url) -> Result<Option<Vec<u8>>, StoreError> {
    match c
        .get_object()
        .bucket(&url.bucket)
        .key(&url.key)
        .send()
        .await
    {
        Ok(out) => {
            if out.content_length.unwrap_or(0) > 16 << 20 {
                return Ok(Some(Vec::new()));
            }
            let data = out
                .body
                .collect()
                .await
                .map_err(|e| s3_err(&url.bucket, format!("read {url}"), e.to_string()))?;
            Ok(Some(data.into_bytes().to_vec()))
        }
        Err(e) if status_of(&e) == Some(404) => Ok(None),
        Err(e) => Err(s3_err(&url.bucket, format!("read {url}"), reason(&e))),
    }
}

/// The archive keys (`.tar.gz`) under a prefix, sorted; temporary names skipped.
async fn archive_keys(c: &Client, prefix: &S3Url) -> Result<Vec<S3Url>, StoreError> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = c
            .list_objects_v2()
            .bucket(&prefix.bucket)
            .prefix(&prefix.key)
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| s3_err(&prefix.bucket, format!("list {prefix}"), reason(&e)))?;
        for o in out.contents() {
            if let Some(k) = o.key()
                && k.ends_with(".tar.gz")
                && !crate::cleanup::is_temp_name(k.rsplit('/').next().unwrap_or(k))
            {
                keys.push(S3Url {
                    bucket: prefix.bucket.clone(),
                    key: k.to_string(),
                });
            }
        }
        if out.is_truncated() != Some(true) {
            break;
        }
        token = out.next_continuation_token().map(str::to_string);
    }
    keys.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(keys)
}

/// Verifies every archive under a prefix as one series: each object as
/// [`verify_object`] does, then every link as for a local series (ordered by signed
/// periods; missing quarters, forks and tampered packets named).
pub fn verify_prefix_chain(
    prefix: &S3Url,
    s3: &S3Options,
    trust: &TrustStore,
    opts: &ChainOptions,
    now: DateTime<Utc>,
) -> Result<PrefixChain, StoreError> {
    let prefix = prefix.as_prefix();
    let rt = runtime()?;
    let c = rt.block_on(client(s3));
    rt.block_on(check_bucket(&c, &prefix.bucket))?;
    let keys = rt.block_on(archive_keys(&c, &prefix))?;
    if keys.is_empty() {
        return Err(StoreError::Empty {
            location: prefix.to_string(),
        });
    }
    let mut reports = Vec::new();
    let mut facts = Vec::new();
    for k in &keys {
        let o = verify_with(&rt, &c, k, trust, now)?;
        reports.push(o.report);
        facts.push(o.object);
    }
    let chain = verify_reports(reports, opts)?;
    // The objects in the chain's order.
    let order: HashMap<String, usize> = chain
        .links
        .iter()
        .enumerate()
        .map(|(i, l)| (l.path.clone(), i))
        .collect();
    facts.sort_by_key(|f| order.get(&f.url).copied().unwrap_or(usize::MAX));
    let complete = chain.complete && facts.iter().all(|f| f.findings.is_empty());
    Ok(PrefixChain {
        complete,
        chain,
        objects: facts,
    })
}

/// Lists the packets under a prefix from their sidecar indexes and the objects' own
/// retention (HEAD); with `verify`, each archive is streamed and verified instead.
pub fn list_s3(
    prefix: &S3Url,
    s3: &S3Options,
    verify: Option<&TrustStore>,
    now: DateTime<Utc>,
) -> Result<Listing, StoreError> {
    let prefix = prefix.as_prefix();
    let rt = runtime()?;
    let c = rt.block_on(client(s3));
    rt.block_on(check_bucket(&c, &prefix.bucket))?;
    let keys = rt.block_on(archive_keys(&c, &prefix))?;
    if keys.is_empty() {
        return Err(StoreError::Empty {
            location: prefix.to_string(),
        });
    }
    let mut packets = Vec::new();
    for k in &keys {
        let mut listed = match verify {
            Some(trust) => {
                let o = verify_with(&rt, &c, k, trust, now)?;
                let mut l = ListedPacket::from_meta(k.to_string(), o.report.packet.as_ref());
                l.verified = Some(o.is_verified());
                l.notes = o
                    .report
                    .failures
                    .iter()
                    .take(3)
                    .map(|f| format!("{} {}: {}", f.rule, f.path, f.detail))
                    .chain(
                        o.object
                            .findings
                            .iter()
                            .map(|f| format!("{}: {}", f.rule, f.detail)),
                    )
                    .collect();
                l.retain_until = o.object.retention.map(|r| ts(r.retain_until));
                l.lock_mode = o.object.retention.map(|r| r.mode);
                l
            }
            None => {
                let index_url = k.join(".json");
                let mut l = match rt.block_on(read_small(&c, &index_url))? {
                    Some(b) => match ArchiveIndex::from_slice(&b) {
                        Ok(i) => ListedPacket::from_index(k.to_string(), &i),
                        Err(e) => {
                            let mut l = ListedPacket::from_meta(k.to_string(), None);
                            l.notes.push(format!("index {index_url} refused: {e}"));
                            l
                        }
                    },
                    None => {
                        let mut l = ListedPacket::from_meta(k.to_string(), None);
                        l.notes.push(format!(
                            "no sidecar index {index_url}: list --verify reads the archive itself"
                        ));
                        l
                    }
                };
                // The object's own retention, as the server states it now.
                let head = rt.block_on(c.head_object().bucket(&k.bucket).key(&k.key).send());
                if let Ok(h) = head {
                    l.retain_until = h
                        .object_lock_retain_until_date
                        .and_then(|t| DateTime::from_timestamp(t.secs(), 0))
                        .map(ts);
                    l.lock_mode = h.object_lock_mode.map(|m| match m {
                        ObjectLockMode::Compliance => LockMode::Compliance,
                        _ => LockMode::Governance,
                    });
                }
                l
            }
        };
        listed.location = k.to_string();
        packets.push(listed);
    }
    Ok(Listing::new(prefix.to_string(), verify.is_some(), packets))
}
