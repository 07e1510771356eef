//! The rules a packet can break and one broken rule: the verdict vocabulary that the
//! manifest parser, the folder walk, the archive reader and the verifier share.

use std::fmt;

use serde::Serialize;

/// A rule a packet can break. Its [`Rule::id`] is stable (scripts and the JSON output
/// rely on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `SHA256SUMS` is absent.
    MissingManifest,
    /// `SHA256SUMS.sig` or `SHA256SUMS.sshsig` is absent.
    MissingSignature,
    /// A signature does not verify against any trusted key (or is malformed).
    BadSignature,
    /// The signature verifies, but with a key the user did not name.
    UntrustedSigner,
    /// The signature verifies with a trusted key whose validity window excludes `sealedAt`.
    KeyExpired,
    /// `packet.json`'s `signer` does not name the key that signed.
    SignerMismatch,
    /// `packet.json` is missing or unreadable.
    BadPacketJson,
    /// The DSSE / in-toto attestation does not match or does not verify.
    BadAttestation,
    /// A manifest line is not in the written form.
    MalformedManifest,
    /// A path is absolute, leaves the packet, or cannot be represented safely.
    UnsafePath,
    /// A path is listed (or archived) twice.
    DuplicateEntry,
    /// Manifest lines are not sorted by path bytes.
    UnsortedManifest,
    /// A listed file is absent.
    MissingFile,
    /// A file is present but not listed.
    UnlistedFile,
    /// A listed file's content differs.
    HashMismatch,
    /// A symbolic or hard link.
    Symlink,
    /// A device, FIFO, socket or other non-regular entry.
    SpecialFile,
    /// A directory stands where the manifest lists a file.
    NotAFile,
    /// An empty directory (a manifest cannot list it).
    EmptyDirectory,
    /// The archive is not a readable gzip-compressed tar.
    MalformedArchive,
    /// The archive expands beyond the reader's limits, or a file or header is larger than
    /// its cap.
    SizeLimit,
    /// A second gzip member follows the first.
    MultipleGzipMembers,
    /// Bytes follow the gzip stream, or the tar end-of-archive marker.
    TrailingData,
    /// A gzip or tar header field, or padding, is not what `auditpack archive` writes.
    NonCanonicalArchive,
    /// A directory entry with a non-zero size.
    DirectoryWithData,
    /// Entries out of the writer's order (seal files first, then sorted paths, each folder
    /// entry before its first file).
    ArchiveLayout,
}

impl Rule {
    /// The stable rule id, e.g. `hash-mismatch`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::MissingManifest => "missing-manifest",
            Rule::MissingSignature => "missing-signature",
            Rule::BadSignature => "bad-signature",
            Rule::UntrustedSigner => "untrusted-signer",
            Rule::KeyExpired => "key-expired",
            Rule::SignerMismatch => "signer-mismatch",
            Rule::BadPacketJson => "bad-packet-json",
            Rule::BadAttestation => "bad-attestation",
            Rule::MalformedManifest => "malformed-manifest",
            Rule::UnsafePath => "unsafe-path",
            Rule::DuplicateEntry => "duplicate-entry",
            Rule::UnsortedManifest => "unsorted-manifest",
            Rule::MissingFile => "missing-file",
            Rule::UnlistedFile => "unlisted-file",
            Rule::HashMismatch => "hash-mismatch",
            Rule::Symlink => "symlink",
            Rule::SpecialFile => "special-file",
            Rule::NotAFile => "not-a-file",
            Rule::EmptyDirectory => "empty-directory",
            Rule::MalformedArchive => "malformed-archive",
            Rule::SizeLimit => "size-limit",
            Rule::MultipleGzipMembers => "multiple-gzip-members",
            Rule::TrailingData => "trailing-data",
            Rule::NonCanonicalArchive => "non-canonical-archive",
            Rule::DirectoryWithData => "directory-with-data",
            Rule::ArchiveLayout => "archive-layout",
        }
    }

    /// Every rule, in declaration order (the documented list).
    pub fn all() -> &'static [Rule] {
        &[
            Rule::MissingManifest,
            Rule::MissingSignature,
            Rule::BadSignature,
            Rule::UntrustedSigner,
            Rule::KeyExpired,
            Rule::SignerMismatch,
            Rule::BadPacketJson,
            Rule::BadAttestation,
            Rule::MalformedManifest,
            Rule::UnsafePath,
            Rule::DuplicateEntry,
            Rule::UnsortedManifest,
            Rule::MissingFile,
            Rule::UnlistedFile,
            Rule::HashMismatch,
            Rule::Symlink,
            Rule::SpecialFile,
            Rule::NotAFile,
            Rule::EmptyDirectory,
            Rule::MalformedArchive,
            Rule::SizeLimit,
            Rule::MultipleGzipMembers,
            Rule::TrailingData,
            Rule::NonCanonicalArchive,
            Rule::DirectoryWithData,
            Rule::ArchiveLayout,
        ]
    }

    /// Whether the rule is about the archive's form (gzip and tar framing, limits) rather
    /// than one packet file: such failures are reported first.
    pub(crate) fn is_archive_level(self) -> bool {
        matches!(
            self,
            Rule::MalformedArchive
                | Rule::SizeLimit
                | Rule::MultipleGzipMembers
                | Rule::TrailingData
                | Rule::NonCanonicalArchive
                | Rule::DirectoryWithData
                | Rule::ArchiveLayout
        )
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One broken rule: which file, which rule, and the specifics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The rule.
    pub rule: Rule,
    /// The file (relative to the packet root) the rule is about.
    pub path: String,
    /// What exactly is wrong.
    pub detail: String,
}

impl Failure {
    /// A failure of `rule` about `path`.
    pub fn new(rule: Rule, path: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            rule,
            path: path.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.rule, self.path, self.detail)
    }
}
