//! How much the verifier and the archive reader hold in memory: the caps that keep a
//! hostile packet from making them unbounded.

/// Largest `packet.json` read into memory.
pub(crate) const MAX_PACKET_JSON: u64 = 16 << 20;
/// Largest `SHA256SUMS` or DSSE envelope read into memory.
pub(crate) const MAX_MANIFEST: u64 = 256 << 20;
/// Largest signature file read into memory.
pub(crate) const MAX_SIGNATURE: u64 = 64 << 10;
/// Most failures a verification report keeps (in check order); the rest are only counted,
/// so a hostile packet with millions of bad entries cannot make the report unbounded.
pub const MAX_REPORTED_FAILURES: usize = 1000;
/// Longest path (in bytes) an archive entry may carry: Linux's `PATH_MAX` less its NUL.
/// It also caps the GNU long-name entry the reader accepts, so header metadata stays small.
pub const MAX_PATH_BYTES: usize = 4095;
