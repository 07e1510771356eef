//! Ed25519 keys: generation, PKCS#8 / SPKI / OpenSSH encodings, key ids (the OpenSSH
//! fingerprint first), safe loading.
//!
//! Private keys are written as PKCS#8 **v1** PEM (the form `openssl genpkey -algorithm
//! ed25519` writes; OpenSSL 3.0 refuses the v2 form), optionally encrypted (PBES2 with
//! scrypt and AES-256-CBC). Keys made by `openssl genpkey` — plain or encrypted with
//! PBKDF2 — load here too. A private key file that group or others can read is refused,
//! as OpenSSH does.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use ed25519_dalek::pkcs8::{DecodePublicKey, EncodePublicKey, KeypairBytes};
use ed25519_dalek::{SigningKey, VerifyingKey};
use pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Everything that can go wrong creating or loading a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key file could not be read or written.
    #[error("{path}: cannot {action}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was attempted ("read", "create").
        action: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A key file refused by the input rules of `crate::infile` (a FIFO or device, a
    /// link out of its folder, too large).
    #[error(transparent)]
    Input(#[from] crate::infile::InputError),
    /// `keygen` never overwrites a key file.
    #[error(
        "{path} already exists; keygen never overwrites a key (choose another --name or --out)"
    )]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// The private key file is readable by group or others.
    #[error(
        "{path}: private key permissions {mode:04o} are too open (group or others can read it); run `chmod 600 {path}`"
    )]
    TooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The private key is encrypted and no passphrase was given.
    #[error("{path}: the private key is encrypted; give its passphrase with --passphrase-env VAR")]
    NeedPassphrase {
        /// The key file.
        path: PathBuf,
    },
    /// The passphrase is wrong or the encrypted key is damaged.
    #[error("{path}: cannot decrypt the private key (wrong passphrase, or unsupported encryption)")]
    Decrypt {
        /// The key file.
        path: PathBuf,
    },
    /// A file that should hold a private key does not hold an Ed25519 private key.
    #[error(
        "{path}: not an Ed25519 private key ({detail}); expected PKCS#8 PEM (BEGIN PRIVATE KEY / BEGIN ENCRYPTED PRIVATE KEY) or an OpenSSH private key"
    )]
    NotPrivateKey {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// A public key was expected but a private key was given.
    #[error(
        "{path}: this is a private key; give the public key instead (NAME.pub.pem or NAME.pub) — a verifier never needs the private key"
    )]
    PrivateKeyGiven {
        /// The file.
        path: PathBuf,
    },
    /// A file that should hold a public key does not hold an Ed25519 public key.
    #[error(
        "{origin}: not an Ed25519 public key ({detail}); expected SPKI PEM (BEGIN PUBLIC KEY) or an OpenSSH `ssh-ed25519 AAAA...` line"
    )]
    NotPublicKey {
        /// Where the text came from (file, file:line).
        origin: String,
        /// What was wrong.
        detail: String,
    },
    /// The key is of another algorithm than Ed25519 (RSA, EC …).
    #[error("{origin}: this is {found}; auditpack needs an Ed25519 key — {hint}")]
    NotEd25519 {
        /// Where the key came from (file, file:line).
        origin: String,
        /// The algorithm found, e.g. "an RSA private key (PKCS#8)".
        found: String,
        /// What to do instead.
        hint: &'static str,
    },
    /// The public key stored next to the secret key does not match it.
    #[error("{path}: the embedded public key does not match the private key")]
    PublicMismatch {
        /// The key file.
        path: PathBuf,
    },
    /// Encoding a key failed (should not happen).
    #[error("cannot encode the key: {0}")]
    Encode(String),
}

/// The files `generate` wrote and the new key's id.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// `NAME.key.pem`: PKCS#8 v1 PEM private key, mode 0600.
    pub private_key: PathBuf,
    /// `NAME.pub.pem`: SPKI PEM public key (for `openssl` and `--key`).
    pub public_pem: PathBuf,
    /// `NAME.pub`: OpenSSH public key line (for `ssh-keygen -Y verify` allowed_signers).
    pub public_openssh: PathBuf,
    /// The key id, see [`key_id`].
    pub key_id: String,
    /// Whether the private key is encrypted with a passphrase.
    pub encrypted: bool,
}

/// The key id: the OpenSSH SHA-256 fingerprint of the key, `SHA256:` followed by the
/// unpadded standard base64 of the SHA-256 of the SSH wire encoding of the `ssh-ed25519`
/// public key — exactly what `ssh-keygen -lf signer.pub` prints. It is the signer's
/// primary id everywhere: `packet.json` `signer.keyId`, verify output, chains, archive
/// indexes. The other ids of the same key, shown beside it and labelled, are
/// [`securesystemslib_keyid`] (the DSSE `keyid`) and, in packets sealed before this id was
/// adopted, [`legacy_key_id`].
pub fn key_id(key: &VerifyingKey) -> String {
    // string "ssh-ed25519" then string key: each a 4-byte big-endian length and the bytes.
    let mut wire = Vec::with_capacity(4 + 11 + 4 + 32);
    for part in [b"ssh-ed25519".as_slice(), key.as_bytes().as_slice()] {
        wire.extend_from_slice(&(part.len() as u32).to_be_bytes());
        wire.extend_from_slice(part);
    }
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(&wire)))
}

/// The key id packets sealed before the OpenSSH fingerprint became the id carry in
/// `packet.json` `signer.keyId`: `SHA256:` followed by the unpadded standard base64 of the
/// SHA-256 of the raw 32-byte public key. It looks like an OpenSSH fingerprint but is not
/// one; it is read (see `is_key_id_of`) and never written.
pub fn legacy_key_id(key: &VerifyingKey) -> String {
    format!(
        "SHA256:{}",
        STANDARD_NO_PAD.encode(Sha256::digest(key.as_bytes()))
    )
}

/// Whether `id` names `key`: its [`key_id`], or the [`legacy_key_id`] of packets sealed
/// before. Keys themselves are always matched by their bytes (a signature verifies or
/// not); this only checks the id a `packet.json` states against the key that signed.
pub fn is_key_id_of(id: &str, key: &VerifyingKey) -> bool {
    id == key_id(key) || id == legacy_key_id(key)
}

/// The key id Python `securesystemslib` computes for this key (used in DSSE envelopes):
/// hex SHA-256 of the canonical JSON
/// `{"keytype":"ed25519","keyval":{"public":"<hex>"},"scheme":"ed25519"}`.
pub fn securesystemslib_keyid(key: &VerifyingKey) -> String {
    let canonical = format!(
        r#"{{"keytype":"ed25519","keyval":{{"public":"{}"}},"scheme":"ed25519"}}"#,
        hex::encode(key.as_bytes())
    );
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// The key's other ids, labelled, to show beside its [`key_id`]: the DSSE `keyid`
/// (`securesystemslib keyid`) and the `legacy id` older packets carry.
pub fn other_key_ids(key: &VerifyingKey) -> [(&'static str, String); 2] {
    [
        ("securesystemslib keyid", securesystemslib_keyid(key)),
        ("legacy id", legacy_key_id(key)),
    ]
}

/// The raw public key as standard base64 (the form `packet.json` stores in `signer.publicKey`).
pub fn public_key_base64(key: &VerifyingKey) -> String {
    STANDARD.encode(key.as_bytes())
}

/// Decodes the `signer.publicKey` form of `packet.json` (base64 of the raw 32 bytes).
pub fn public_key_from_base64(text: &str) -> Option<VerifyingKey> {
    let bytes = STANDARD.decode(text.trim()).ok()?;
    let bytes: [u8; 32] = bytes.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// The SPKI PEM (`-----BEGIN PUBLIC KEY-----`) form of a public key.
pub fn spki_pem(key: &VerifyingKey) -> Result<String, KeyError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encode(e.to_string()))
}

/// The OpenSSH one-line form (`ssh-ed25519 AAAA... comment`) of a public key.
pub fn openssh_public(key: &VerifyingKey, comment: &str) -> Result<String, KeyError> {
    let public = ssh_key::PublicKey::new(
        ssh_key::public::KeyData::Ed25519(ssh_key::public::Ed25519PublicKey::from(key)),
        comment,
    );
    public
        .to_openssh()
        .map_err(|e| KeyError::Encode(e.to_string()))
}

/// The PKCS#8 v1 PEM of a private key, encrypted (PBES2 scrypt + AES-256-CBC) when a
/// passphrase is given.
pub fn private_pem(
    key: &SigningKey,
    passphrase: Option<&str>,
) -> Result<Zeroizing<String>, KeyError> {
    // `public_key: None` selects PKCS#8 v1 (RFC 5208), the form OpenSSL 3.0 accepts.
    let bytes = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let encode = |e: &dyn std::fmt::Display| KeyError::Encode(e.to_string());
    let Some(pass) = passphrase else {
        return bytes.to_pkcs8_pem(LineEnding::LF).map_err(|e| encode(&e));
    };
    // scrypt N=2^14, r=8, p=1 (16 MiB): OpenSSL's own `-scrypt` default. The pkcs8 crate's
    // default (N=2^15) needs more than OpenSSL's 32 MiB scrypt memory limit, so
    // `openssl pkey` could not read the key.
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut iv);
    let scrypt = pkcs8::pkcs5::scrypt::Params::new(14, 8, 1, 32).map_err(|e| encode(&e))?;
    let params = pkcs8::pkcs5::pbes2::Parameters::scrypt_aes256cbc(scrypt, &salt, &iv)
        .map_err(|e| encode(&e))?;
    let der = bytes.to_pkcs8_der().map_err(|e| encode(&e))?;
    let info = pkcs8::PrivateKeyInfo::try_from(der.as_bytes()).map_err(|e| encode(&e))?;
    let encrypted = info
        .encrypt_with_params(params, pass.as_bytes())
        .map_err(|e| encode(&e))?;
    encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|e| encode(&e))
}

/// Creates a new Ed25519 key pair in `out_dir`: `NAME.key.pem` (mode 0600), `NAME.pub.pem`
/// and `NAME.pub`. Never overwrites: if any of the three exists, nothing is written.
pub fn generate(
    out_dir: &Path,
    name: &str,
    passphrase: Option<&str>,
) -> Result<GeneratedKey, KeyError> {
    let signing = SigningKey::generate(&mut rand_core::OsRng);
    write_key_files(out_dir, name, &signing, passphrase)
}

/// Writes the three key files for an existing signing key (see [`generate`]).
pub fn write_key_files(
    out_dir: &Path,
    name: &str,
    signing: &SigningKey,
    passphrase: Option<&str>,
) -> Result<GeneratedKey, KeyError> {
    let verifying = signing.verifying_key();
    let private_key = out_dir.join(format!("{name}.key.pem"));
    let public_pem = out_dir.join(format!("{name}.pub.pem"));
    let public_openssh = out_dir.join(format!("{name}.pub"));
    for path in [&private_key, &public_pem, &public_openssh] {
        if fs::symlink_metadata(path).is_ok() {
            return Err(KeyError::Exists { path: path.clone() });
        }
    }
    let private_text = private_pem(signing, passphrase)?;
    let pem = spki_pem(&verifying)?;
    let mut ssh = openssh_public(&verifying, name)?;
    ssh.push('\n');

    let mut written: Vec<&Path> = Vec::new();
    // Each file is registered with the interrupt cleanup until all three are written, so an
    // interrupted keygen leaves none of them.
    let mut registered = Vec::new();
    let result = (|| {
        registered.push(create_new(&private_key, private_text.as_bytes(), 0o600)?);
        written.push(&private_key);
        registered.push(create_new(&public_pem, pem.as_bytes(), 0o644)?);
        written.push(&public_pem);
        registered.push(create_new(&public_openssh, ssh.as_bytes(), 0o644)?);
        written.push(&public_openssh);
        Ok(())
    })();
    drop(registered);
    if let Err(err) = result {
        for path in written {
            let _ = fs::remove_file(path);
        }
        return Err(err);
    }
    Ok(GeneratedKey {
        private_key,
        public_pem,
        public_openssh,
        key_id: key_id(&verifying),
        encrypted: passphrase.is_some(),
    })
}

fn create_new(
    path: &Path,
    bytes: &[u8],
    mode: u32,
) -> Result<crate::cleanup::Registered, KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        action: "create",
        source,
    };
    let (mut file, registered) = crate::cleanup::create(path, crate::cleanup::Kind::File, |p| {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(p)
    })
    .map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            io(source)
        }
    })?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(registered)
}

/// What to do with a private key of another algorithm.
const PRIVATE_HINT: &str =
    "make one with `auditpack keygen` or `openssl genpkey -algorithm ed25519`";
/// What to do with a public key of another algorithm.
const PUBLIC_HINT: &str = "ask the signer for their Ed25519 public key (SPKI PEM `BEGIN PUBLIC KEY`, or an `ssh-ed25519` line)";

/// The Ed25519 OID (RFC 8410).
const ED25519_OID: &str = "1.3.101.112";

/// A human name for an X.509 / PKCS#8 algorithm identifier: "RSA", "EC P-256", …
fn algorithm_name(alg: &pkcs8::AlgorithmIdentifierRef<'_>) -> String {
    let curve = alg
        .parameters
        .and_then(|p| p.decode_as::<pkcs8::ObjectIdentifier>().ok())
        .map(|o| o.to_string());
    match alg.oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "RSA".into(),
        "1.2.840.113549.1.1.10" => "RSA-PSS".into(),
        "1.2.840.10045.2.1" => match curve.as_deref() {
            Some(c) => ec_curve_name(c),
            None => "EC".into(),
        },
        "1.2.840.10040.4.1" => "DSA".into(),
        "1.3.101.110" => "X25519".into(),
        "1.3.101.111" => "X448".into(),
        ED25519_OID => "Ed25519".into(),
        "1.3.101.113" => "Ed448".into(),
        other => format!("algorithm OID {other}"),
    }
}

fn ec_curve_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.3.1.7" => "EC P-256".into(),
        "1.3.132.0.34" => "EC P-384".into(),
        "1.3.132.0.35" => "EC P-521".into(),
        "1.3.132.0.10" => "EC secp256k1".into(),
        other => format!("EC (curve {other})"),
    }
}

/// The curve of a SEC1 `EC PRIVATE KEY` (its named-curve OID), for an error message.
fn sec1_curve(text: &str) -> String {
    let block = text
        .find("-----BEGIN EC PRIVATE KEY-----")
        .and_then(|start| {
            let end = text[start..].find("-----END EC PRIVATE KEY-----")?;
            Some(&text[start..start + end + "-----END EC PRIVATE KEY-----".len()])
        });
    let curve = block
        .and_then(|b| pkcs8::der::pem::decode_vec(b.as_bytes()).ok())
        .and_then(|(_, der)| {
            // ECPrivateKey ::= SEQUENCE { version, privateKey, [0] namedCurve OID, … }
            [
                (
                    "1.2.840.10045.3.1.7",
                    &[0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7][..],
                ),
                ("1.3.132.0.34", &[0x2b, 0x81, 0x04, 0x00, 0x22][..]),
                ("1.3.132.0.35", &[0x2b, 0x81, 0x04, 0x00, 0x23][..]),
                ("1.3.132.0.10", &[0x2b, 0x81, 0x04, 0x00, 0x0a][..]),
            ]
            .into_iter()
            .find(|(_, bytes)| der.windows(bytes.len()).any(|w| w == *bytes))
            .map(|(oid, _)| oid)
        });
    curve.map_or_else(|| "EC".into(), ec_curve_name)
}

/// "an RSA …", "a DSA …": the article as the name is spoken.
fn with_article(name: &str) -> String {
    let an = ["RSA", "EC", "Ed", "X", "algorithm", "ssh", "ecdsa", "sk-"]
        .iter()
        .any(|p| name.starts_with(p));
    format!("{} {name}", if an { "an" } else { "a" })
}

/// The algorithm of an OpenSSH key type, e.g. `ssh-rsa` → "RSA (ssh-rsa)".
fn openssh_algorithm(alg: &ssh_key::Algorithm) -> String {
    let name = alg.as_str();
    let family = if name.starts_with("ssh-rsa") || name.starts_with("rsa-") {
        "RSA".to_string()
    } else if let Some(curve) = name.strip_prefix("ecdsa-sha2-nistp") {
        format!("EC P-{curve}")
    } else if name.starts_with("sk-ecdsa") {
        "EC P-256 security-key".into()
    } else if name.starts_with("sk-ssh-ed25519") {
        "Ed25519 security-key".into()
    } else if name == "ssh-dss" {
        "DSA".into()
    } else {
        name.to_string()
    };
    format!("{family} ({name})")
}

/// Refuses a PKCS#8 private key of another algorithm than Ed25519, naming what it is.
fn require_ed25519_private(der: &[u8], path: &Path, form: &str) -> Result<(), KeyError> {
    if let Ok(info) = pkcs8::PrivateKeyInfo::try_from(der)
        && info.algorithm.oid.to_string() != ED25519_OID
    {
        return Err(KeyError::NotEd25519 {
            origin: path.display().to_string(),
            found: with_article(&format!(
                "{} private key ({form})",
                algorithm_name(&info.algorithm)
            )),
            hint: PRIVATE_HINT,
        });
    }
    Ok(())
}

/// Largest key file read (an Ed25519 key file is well under 1 KiB).
pub const KEY_FILE_LIMIT: u64 = 64 << 10;

/// Loads an Ed25519 private key: PKCS#8 PEM (v1 or v2, plain or encrypted) or an OpenSSH
/// private key. Refuses a file group or others can read (`chmod 600 FILE`).
pub fn load_signing_key(path: &Path, passphrase: Option<&str>) -> Result<SigningKey, KeyError> {
    let read = |source| KeyError::Io {
        path: path.to_path_buf(),
        action: "read",
        source,
    };
    // Opened once: the permissions checked are those of the file read.
    let file = crate::infile::open_named(path)?;
    let meta = file.metadata().map_err(read)?;
    let bytes = Zeroizing::new(crate::infile::read_limited(
        file,
        path,
        KEY_FILE_LIMIT,
        "a key file",
    )?);
    let text = Zeroizing::new(
        String::from_utf8(bytes.to_vec())
            .map_err(|e| read(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?,
    );
    // A public key given by mistake gets that message, not advice to chmod it.
    if !text.contains("PRIVATE KEY-----") {
        return parse_signing_key(&text, path, passphrase);
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    parse_signing_key(&text, path, passphrase)
}

fn parse_signing_key(
    text: &str,
    path: &Path,
    passphrase: Option<&str>,
) -> Result<SigningKey, KeyError> {
    let not_private = |detail: &str| KeyError::NotPrivateKey {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    let other = |found: String| KeyError::NotEd25519 {
        origin: path.display().to_string(),
        found,
        hint: PRIVATE_HINT,
    };
    let bytes = if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let pass = passphrase.ok_or_else(|| KeyError::NeedPassphrase {
            path: path.to_path_buf(),
        })?;
        let (_, doc) = pkcs8::SecretDocument::from_pem(text.trim())
            .map_err(|e| not_private(&e.to_string()))?;
        let encrypted = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
            .map_err(|e| not_private(&e.to_string()))?;
        let plain = encrypted
            .decrypt(pass.as_bytes())
            .map_err(|_| KeyError::Decrypt {
                path: path.to_path_buf(),
            })?;
        require_ed25519_private(plain.as_bytes(), path, "encrypted PKCS#8")?;
        KeypairBytes::from_pkcs8_der(plain.as_bytes()).map_err(|e| not_private(&e.to_string()))?
    } else if text.contains("-----BEGIN PRIVATE KEY-----") {
        let (_, doc) = pkcs8::SecretDocument::from_pem(text.trim())
            .map_err(|e| not_private(&e.to_string()))?;
        require_ed25519_private(doc.as_bytes(), path, "PKCS#8")?;
        KeypairBytes::from_pkcs8_der(doc.as_bytes()).map_err(|e| not_private(&e.to_string()))?
    } else if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return parse_openssh_private(text, path, passphrase);
    } else if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
        return Err(other("an RSA private key (PKCS#1)".into()));
    } else if text.contains("-----BEGIN EC PRIVATE KEY-----") {
        return Err(other(with_article(&format!(
            "{} private key (SEC1)",
            sec1_curve(text)
        ))));
    } else if text.contains("-----BEGIN DSA PRIVATE KEY-----") {
        return Err(other("a DSA private key".into()));
    } else if text.contains("PUBLIC KEY") || text.trim_start().starts_with("ssh-") {
        return Err(not_private("this is a public key"));
    } else {
        return Err(not_private("no PEM private key block found"));
    };
    let signing = SigningKey::from_bytes(&bytes.secret_key);
    if let Some(public) = &bytes.public_key
        && public.0 != signing.verifying_key().to_bytes()
    {
        return Err(KeyError::PublicMismatch {
            path: path.to_path_buf(),
        });
    }
    Ok(signing)
}

fn parse_openssh_private(
    text: &str,
    path: &Path,
    passphrase: Option<&str>,
) -> Result<SigningKey, KeyError> {
    let mut key =
        ssh_key::PrivateKey::from_openssh(text.trim()).map_err(|e| KeyError::NotPrivateKey {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    if key.is_encrypted() {
        let pass = passphrase.ok_or_else(|| KeyError::NeedPassphrase {
            path: path.to_path_buf(),
        })?;
        key = key
            .decrypt(pass.as_bytes())
            .map_err(|_| KeyError::Decrypt {
                path: path.to_path_buf(),
            })?;
    }
    match key.key_data() {
        ssh_key::private::KeypairData::Ed25519(pair) => Ok(SigningKey::from(&pair.private)),
        _ => Err(KeyError::NotEd25519 {
            origin: path.display().to_string(),
            found: with_article(&format!(
                "{} private key (OpenSSH)",
                openssh_algorithm(&key.algorithm())
            )),
            hint: PRIVATE_HINT,
        }),
    }
}

/// Loads one Ed25519 public key from a file: SPKI PEM or an OpenSSH `ssh-ed25519` line.
/// A private key file is refused with a clear error.
pub fn load_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let bytes = crate::infile::read_named(path, KEY_FILE_LIMIT, "a key file")?;
    let text = String::from_utf8(bytes).map_err(|e| KeyError::Io {
        path: path.to_path_buf(),
        action: "read",
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    if text.contains("PRIVATE KEY-----") {
        return Err(KeyError::PrivateKeyGiven {
            path: path.to_path_buf(),
        });
    }
    parse_public_key(&text, &path.display().to_string())
}

/// Parses one Ed25519 public key from text: SPKI PEM or an OpenSSH `ssh-ed25519` line.
/// `origin` names the source in errors.
pub fn parse_public_key(text: &str, origin: &str) -> Result<VerifyingKey, KeyError> {
    let not_public = |detail: String| KeyError::NotPublicKey {
        origin: origin.to_string(),
        detail,
    };
    let other = |found: String| KeyError::NotEd25519 {
        origin: origin.to_string(),
        found,
        hint: PUBLIC_HINT,
    };
    let trimmed = text.trim();
    if trimmed.contains("-----BEGIN PUBLIC KEY-----") {
        let (_, der) = pkcs8::der::pem::decode_vec(trimmed.as_bytes())
            .map_err(|e| not_public(e.to_string()))?;
        if let Ok(spki) = pkcs8::SubjectPublicKeyInfoRef::try_from(der.as_slice())
            && spki.algorithm.oid.to_string() != ED25519_OID
        {
            return Err(other(with_article(&format!(
                "{} public key",
                algorithm_name(&spki.algorithm)
            ))));
        }
        return VerifyingKey::from_public_key_der(&der).map_err(|e| not_public(e.to_string()));
    }
    if trimmed.contains("-----BEGIN RSA PUBLIC KEY-----") {
        return Err(other("an RSA public key (PKCS#1)".into()));
    }
    if let Some(line) = trimmed
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        && (line.starts_with("ssh-") || line.starts_with("ecdsa-") || line.starts_with("sk-"))
    {
        let key = ssh_key::PublicKey::from_openssh(line).map_err(|e| not_public(e.to_string()))?;
        return match key.key_data() {
            ssh_key::public::KeyData::Ed25519(pk) => {
                VerifyingKey::from_bytes(&pk.0).map_err(|e| not_public(e.to_string()))
            }
            _ => Err(other(with_article(&format!(
                "{} public key (OpenSSH)",
                openssh_algorithm(&key.algorithm())
            )))),
        };
    }
    Err(not_public(
        "no PEM public key or ssh-ed25519 line found".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_v1_and_reads_v1_v2_and_encrypted() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let pem = private_pem(&key, None).unwrap();
        let (_, doc) = pkcs8::SecretDocument::from_pem(&pem).unwrap();
        let info = pkcs8::PrivateKeyInfo::try_from(doc.as_bytes()).unwrap();
        assert!(info.public_key.is_none(), "v1 carries no public key");
        assert_eq!(info.version(), pkcs8::Version::V1);
        let p = Path::new("k.pem");
        assert_eq!(
            parse_signing_key(&pem, p, None).unwrap().to_bytes(),
            key.to_bytes()
        );
        // ed25519-dalek's own encoding is v2 (with the public key): also accepted.
        let v2 = key.to_pkcs8_pem(LineEnding::LF).unwrap();
        assert!(v2.len() > pem.len());
        assert_eq!(
            parse_signing_key(&v2, p, None).unwrap().to_bytes(),
            key.to_bytes()
        );
        // v2 whose public key is someone else's is refused.
        let forged = KeypairBytes {
            secret_key: key.to_bytes(),
            public_key: Some(ed25519_dalek::pkcs8::PublicKeyBytes(
                SigningKey::from_bytes(&[6; 32]).verifying_key().to_bytes(),
            )),
        }
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap();
        assert!(matches!(
            parse_signing_key(&forged, p, None),
            Err(KeyError::PublicMismatch { .. })
        ));
        let enc = private_pem(&key, Some("pw")).unwrap();
        assert!(matches!(
            parse_signing_key(&enc, p, None),
            Err(KeyError::NeedPassphrase { .. })
        ));
        assert!(matches!(
            parse_signing_key(&enc, p, Some("nope")),
            Err(KeyError::Decrypt { .. })
        ));
        assert_eq!(
            parse_signing_key(&enc, p, Some("pw")).unwrap().to_bytes(),
            key.to_bytes()
        );
    }

    #[test]
    fn key_ids_are_stable() {
        let key = SigningKey::from_bytes(&[1; 32]).verifying_key();
        // Fixed vectors computed with Python `cryptography` (seed [1; 32]): changing either
        // id breaks every trusted-keys file and DSSE envelope already written.
        // The legacy id (raw-key hash) of packets sealed before the OpenSSH fingerprint.
        assert_eq!(
            legacy_key_id(&key),
            "SHA256:NHUPmL1Z/PyUbaRaqr6TO+FUpLUJThxKv0KGZQXzyX4"
        );
        // The OpenSSH fingerprint, as the ssh-key crate computes it (`ssh-keygen -lf`;
        // the CLI tests compare with ssh-keygen itself).
        let ssh = ssh_key::PublicKey::from_openssh(&openssh_public(&key, "c").unwrap()).unwrap();
        assert_eq!(
            key_id(&key),
            ssh.fingerprint(ssh_key::HashAlg::Sha256).to_string()
        );
        assert_ne!(key_id(&key), legacy_key_id(&key));
        assert!(is_key_id_of(&key_id(&key), &key));
        assert!(is_key_id_of(&legacy_key_id(&key), &key));
        let other = SigningKey::from_bytes(&[2; 32]).verifying_key();
        assert!(!is_key_id_of(&key_id(&other), &key));
        assert!(!is_key_id_of(&legacy_key_id(&other), &key));
        assert_eq!(
            securesystemslib_keyid(&key),
            "7ab6b86cb2c9684b0ddc10896153aa2595decf4d4327a5ff1a8ab7422c828b12"
        );
        let parsed = parse_public_key(&openssh_public(&key, "c").unwrap(), "t").unwrap();
        assert_eq!(parsed, key);
        let parsed = parse_public_key(&spki_pem(&key).unwrap(), "t").unwrap();
        assert_eq!(parsed, key);
        assert_eq!(public_key_from_base64(&public_key_base64(&key)), Some(key));
    }
}
