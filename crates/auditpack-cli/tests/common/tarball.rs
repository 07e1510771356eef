//! Building `.tar.gz` bytes by hand for the archive tests: gzip in exactly the form
//! `auditpack archive` writes, raw GNU tar headers with any name or type, and the
//! end-of-archive marker.

#![allow(dead_code)] // each test file uses a part

use std::io::{Read, Write};

/// A tar block.
pub const BLOCK: usize = 512;
/// The end-of-archive marker: two zero blocks.
pub const END: [u8; 1024] = [0; 1024];

/// One gzip member with the header `auditpack archive` writes (mtime 0, OS 255, default
/// compression, no name).
pub fn gzip(tar: &[u8]) -> Vec<u8> {
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::default());
    gz.write_all(tar).unwrap();
    gz.finish().unwrap()
}

/// The first gzip member's content.
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The tar stream without its end-of-archive marker (panics if it has none).
pub fn without_end(tar: &[u8]) -> Vec<u8> {
    assert!(tar.len() >= 1024 && tar[tar.len() - 1024..].iter().all(|&b| b == 0));
    tar[..tar.len() - 1024].to_vec()
}

/// A GNU header as `auditpack archive` writes it (mode 0644 / 0755, uid/gid 0, empty
/// owner names), but with any name bytes (up to 100) and any type; checksum set.
pub fn header(name: &[u8], kind: u8, size: u64, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_size(size);
    h.set_mode(if kind == b'5' { 0o755 } else { 0o644 });
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime);
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_cksum();
    h
}

/// A header's bytes followed by `data` padded with zeros to a block.
pub fn entry(h: &tar::Header, data: &[u8]) -> Vec<u8> {
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    out
}

/// The offsets of every header in a tar stream `auditpack archive` wrote (following sizes),
/// with each header's name field and type.
pub fn headers(tar: &[u8]) -> Vec<(usize, String, u8)> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + BLOCK <= tar.len() {
        let b = &tar[off..off + BLOCK];
        if b.iter().all(|&x| x == 0) {
            break;
        }
        let name = String::from_utf8_lossy(&b[..100])
            .trim_end_matches('\0')
            .to_string();
        let size = u64::from_str_radix(
            std::str::from_utf8(&b[124..135])
                .unwrap()
                .trim_matches('\0'),
            8,
        )
        .unwrap() as usize;
        out.push((off, name, b[156]));
        off += BLOCK + size.div_ceil(BLOCK) * BLOCK;
    }
    out
}
