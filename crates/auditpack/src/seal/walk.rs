//! Listing a packet folder (without following links) and hashing files, streamed and in
//! parallel.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::seal::manifest::path_problem;
use crate::seal::rule::{Failure, Rule};

/// Size of the read buffer each hashing thread uses: memory stays flat whatever the file
/// sizes.
pub const HASH_BUFFER: usize = 256 * 1024;

/// What a folder holds, seen without following links.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Regular files: relative path and absolute path, sorted by relative path bytes.
    pub files: Vec<(String, PathBuf)>,
    /// Every directory below the root (relative paths).
    pub dirs: Vec<String>,
    /// Entries that cannot be part of a packet (symlink, special file, unsafe name, empty
    /// directory), each with its rule.
    pub problems: Vec<Failure>,
}

/// Lists `root` recursively. Top-level names in `exclude` are left out (the manifest and
/// its signatures). Never follows symlinks.
pub(crate) fn list(root: &Path, exclude: &[&str]) -> io::Result<Listing> {
    let mut listing = Listing::default();
    walk(root, "", exclude, &mut listing)?;
    listing
        .files
        .sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(listing)
}

fn walk(dir: &Path, prefix: &str, exclude: &[&str], out: &mut Listing) -> io::Result<()> {
    let mut children: Vec<_> = fs::read_dir(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
        .collect::<io::Result<_>>()?;
    children.sort_by_key(|e| e.file_name());
    let mut count = 0usize;
    for child in children {
        let name = child.file_name();
        let Some(name_str) = name.to_str() else {
            let rel = format!("{prefix}{}", name.to_string_lossy());
            out.problems.push(Failure::new(
                Rule::UnsafePath,
                rel,
                "file name is not valid UTF-8".to_string(),
            ));
            count += 1;
            continue;
        };
        if prefix.is_empty() && exclude.contains(&name_str) {
            continue;
        }
        count += 1;
        let rel = format!("{prefix}{name_str}");
        let file_type = child.file_type()?;
        if file_type.is_symlink() {
            let target = fs::read_link(child.path())
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            out.problems.push(Failure::new(
                Rule::Symlink,
                rel,
                format!("symbolic link (to {target:?}); a packet holds regular files only"),
            ));
            continue;
        }
        if let Some(problem) = path_problem(&rel) {
            out.problems.push(Failure::new(
                Rule::UnsafePath,
                rel,
                format!("name cannot be listed safely: {problem}"),
            ));
            continue;
        }
        if file_type.is_dir() {
            out.dirs.push(rel.clone());
            walk(&child.path(), &format!("{rel}/"), exclude, out)?;
        } else if file_type.is_file() {
            out.files.push((rel, child.path()));
        } else {
            out.problems.push(Failure::new(
                Rule::SpecialFile,
                rel,
                "not a regular file (device, FIFO or socket)".to_string(),
            ));
        }
    }
    if count == 0 && !prefix.is_empty() {
        let rel = prefix.trim_end_matches('/').to_string();
        out.problems.push(Failure::new(
            Rule::EmptyDirectory,
            rel,
            "empty directory: a manifest lists files only, so it cannot be sealed".to_string(),
        ));
    }
    Ok(())
}

/// SHA-256 of a file, read through a fixed buffer.
pub fn hash_file(path: &Path) -> io::Result<[u8; 32]> {
    let file = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    hash_reader(file).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// SHA-256 of everything a reader yields, read through a fixed buffer.
pub fn hash_reader(mut reader: impl Read) -> io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; HASH_BUFFER];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finalize().into())
}

/// Hashes files in parallel (rayon), returning digests in the same order. The largest
/// files start first: a big file that sorted last would otherwise be hashed alone on one
/// core after the small ones are done (measured: 0.66 s against 0.45 s on a 1 GiB packet).
pub(crate) fn hash_all(files: &[(String, PathBuf)]) -> io::Result<Vec<[u8; 32]>> {
    let mut order: Vec<(u64, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, (_, abs))| (std::fs::metadata(abs).map_or(0, |m| m.len()), i))
        .collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let hashed: Vec<(usize, [u8; 32])> = order
        .par_iter()
        .with_max_len(1)
        .map(|&(_, i)| hash_file(&files[i].1).map(|h| (i, h)))
        .collect::<io::Result<_>>()?;
    let mut out = vec![[0u8; 32]; files.len()];
    for (i, h) in hashed {
        out[i] = h;
    }
    Ok(out)
}
