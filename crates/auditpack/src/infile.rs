//! Opening the files a user names, or that an import folder holds, without being led
//! elsewhere: a symbolic link is followed only while it stays inside the folder it is in,
//! and only regular files are read.
//!
//! A folder someone else assembled (a kubectl export, a rotated audit log) may hold a link
//! to the collecting user's `~/.kube/config`, a FIFO that blocks a reader for ever, or
//! `/dev/zero`, which never ends. Every input auditpack reads goes through this module, so
//! one set of rules covers them all:
//!
//! - a path is resolved one component at a time, each opened relative to the folder before
//!   it with `O_NOFOLLOW` (no check-then-open race: what was checked is what is read);
//! - a symbolic link met on the way is refused ([`Links::Refuse`]) or followed only while
//!   its target stays inside the base folder ([`Links::WithinFolder`]); an absolute
//!   target, or a `..` that climbs out, is refused;
//! - the opened file must be a regular file (checked on the open descriptor, `fstat`): a
//!   FIFO (opened non-blocking, so the open itself cannot hang), socket, device or folder
//!   is refused;
//! - [`read_named`] reads at most a stated number of bytes.
//!
//! This module knows nothing of Kubernetes or packets: `seal` and `collect` both use it.

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Mode, OFlags};

/// How symbolic links met while opening a file are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Any symbolic link is an error ([`InputError::Symlink`]).
    Refuse,
    /// A link is followed while its target stays inside the base folder; one that leaves
    /// it is an error ([`InputError::LinkLeaves`]).
    WithinFolder,
}

/// Why an input file was not opened or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A symbolic link where none is followed.
    #[error(
        "{path} is a symbolic link (to {target}): links in an import folder are not followed, so that nothing outside the folder enters the snapshot; copy the file into the folder, or give --follow-symlinks to follow links that stay inside it"
    )]
    Symlink {
        /// The link.
        path: PathBuf,
        /// What it points to.
        target: String,
    },
    /// A symbolic link whose target is outside the folder it may be followed in.
    #[error(
        "{path} is a symbolic link to {target}, which is outside {folder}: auditpack follows a link only while it stays inside its folder; name the file itself, or copy it in"
    )]
    LinkLeaves {
        /// The link.
        path: PathBuf,
        /// What it points to.
        target: String,
        /// The folder the link had to stay in.
        folder: PathBuf,
    },
    /// Too many links in a row (a loop).
    #[error("{path}: too many symbolic links to follow (a loop?): name the file itself")]
    LinkLoop {
        /// The path being opened.
        path: PathBuf,
    },
    /// Not a regular file.
    #[error(
        "{path} is {what}, not a regular file: auditpack reads only regular files (a FIFO can block for ever, a device can be endless); save what it holds to a regular file and give that, or remove it from the folder"
    )]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is: "a FIFO", "a folder", ….
        what: &'static str,
    },
    /// Larger than the limit for this kind of file.
    #[error("{path} is larger than {limit} bytes, the limit for {what}: is this the right file?")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
        /// What the file was meant to be ("a key file").
        what: &'static str,
    },
}

/// Most links followed while opening one path (Linux's own limit is 40).
const MAX_LINKS: usize = 40;

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> InputError + '_ {
    move |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens a folder to resolve paths beneath (following links in its own path: the user
/// named it).
pub fn open_folder(dir: &Path) -> Result<File, InputError> {
    let fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io_err(dir)(e.into()))?;
    Ok(File::from(fd))
}

/// Opens the file a user named (`--key`, `--encryption-config`, an audit log): a link is
/// followed only while it stays inside the folder that holds the named path (a kubelet
/// Secret volume links `key.pem` to `..data/key.pem`), and the file must be regular.
pub fn open_named(path: &Path) -> Result<File, InputError> {
    let (folder, name) = split_named(path)?;
    let base = open_folder(&folder)?;
    open_beneath(&base, &folder, Path::new(name), Links::WithinFolder)
}

/// [`open_named`], then reads the whole file, refusing one larger than `limit` bytes.
pub fn read_named(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, InputError> {
    let file = open_named(path)?;
    read_limited(file, path, limit, what)
}

/// Reads an opened file whole, refusing one larger than `limit` bytes (checked on its
/// size first, and again while reading, in case it grows).
pub fn read_limited(
    mut file: File,
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>, InputError> {
    let too_large = || InputError::TooLarge {
        path: path.to_path_buf(),
        limit,
        what,
    };
    let len = file.metadata().map_err(io_err(path))?.len();
    if len > limit {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(len as usize);
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(io_err(path))?;
    if out.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(out)
}

/// The folder and file name of a named path (`key.pem` is in `.`).
fn split_named(path: &Path) -> Result<(PathBuf, &OsStr), InputError> {
    let name = match path.components().next_back() {
        Some(Component::Normal(n)) => n,
        _ => {
            return Err(InputError::NotRegular {
                path: path.to_path_buf(),
                what: "a folder",
            });
        }
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((folder, name))
}

/// Opens `rel` (a relative path) beneath the open folder `base` (shown as `base_path` in
/// errors), one component at a time with `O_NOFOLLOW`, treating links as `links` says, and
/// checks that the result is a regular file.
pub fn open_beneath(
    base: &File,
    base_path: &Path,
    rel: &Path,
    links: Links,
) -> Result<File, InputError> {
    let mut walk = Beneath {
        base,
        base_path,
        shown: base_path.join(rel),
        links,
        todo: Vec::new(),
        stack: Vec::new(),
        followed: 0,
        at: base_path.to_path_buf(),
    };
    push_components(&mut walk.todo, rel.as_os_str().as_bytes());
    while let Some(comp) = walk.todo.pop() {
        if let Some(file) = walk.step(&comp)? {
            return Ok(file);
        }
    }
    Err(InputError::NotRegular {
        path: walk.shown,
        what: "a folder",
    })
}

/// [`open_beneath`] walking a path one component at a time.
struct Beneath<'a> {
    base: &'a File,
    base_path: &'a Path,
    /// The path asked for, for messages.
    shown: PathBuf,
    links: Links,
    /// Components still to walk, last first (so links can push their targets' components).
    todo: Vec<Vec<u8>>,
    /// The folders opened so far below `base` (for `..`).
    stack: Vec<OwnedFd>,
    /// Links followed so far.
    followed: usize,
    /// The path as resolved so far, for messages.
    at: PathBuf,
}

impl Beneath<'_> {
    /// The folder the next component is opened in.
    fn dir(&self) -> BorrowedFd<'_> {
        match self.stack.last() {
            Some(d) => d.as_fd(),
            None => self.base.as_fd(),
        }
    }

    /// Walks one component; `Some` once the last one is open as a regular file.
    fn step(&mut self, comp: &[u8]) -> Result<Option<File>, InputError> {
        if comp == b"." {
            return Ok(None);
        }
        if comp == b".." {
            if self.stack.pop().is_none() {
                return Err(InputError::LinkLeaves {
                    path: self.shown.clone(),
                    target: OsStr::from_bytes(comp).to_string_lossy().into_owned(),
                    folder: self.base_path.to_path_buf(),
                });
            }
            self.at.pop();
            return Ok(None);
        }
        let last = self.todo.is_empty();
        let name = OsStr::from_bytes(comp);
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
        let flags = if last {
            // Non-blocking: opening a FIFO must not wait for a writer.
            flags | OFlags::NONBLOCK
        } else {
            flags | OFlags::DIRECTORY
        };
        match rustix::fs::openat(self.dir(), name, flags, Mode::empty()) {
            Ok(fd) => {
                self.at.push(name);
                if last {
                    return self.regular(fd).map(Some);
                }
                self.stack.push(fd);
                Ok(None)
            }
            Err(e) if e == rustix::io::Errno::LOOP || e == rustix::io::Errno::NOTDIR => {
                // ELOOP: the component is a link (O_NOFOLLOW). ENOTDIR: a link, or a file
                // where a folder was expected; readlinkat tells which.
                let target = match rustix::fs::readlinkat(self.dir(), name, Vec::new()) {
                    Ok(t) => t.into_bytes(),
                    Err(_) if e == rustix::io::Errno::NOTDIR => {
                        return Err(io_err(&self.at.join(name))(e.into()));
                    }
                    Err(e) => return Err(io_err(&self.at.join(name))(e.into())),
                };
                self.follow(name, target).map(|()| None)
            }
            Err(e) => Err(self.unopenable(name, last, e)),
        }
    }

    /// The last component, opened: it must be a regular file.
    fn regular(&self, fd: OwnedFd) -> Result<File, InputError> {
        let file = File::from(fd);
        let kind = file.metadata().map_err(io_err(&self.at))?.file_type();
        if !kind.is_file() {
            return Err(InputError::NotRegular {
                path: self.shown.clone(),
                what: describe(&kind),
            });
        }
        Ok(file)
    }

    /// The component `name` is a link to `target`: refused, or followed while it stays
    /// inside the base folder.
    fn follow(&mut self, name: &OsStr, target: Vec<u8>) -> Result<(), InputError> {
        let link = self.at.join(name);
        let target_text = OsStr::from_bytes(&target).to_string_lossy().into_owned();
        match self.links {
            Links::Refuse => Err(InputError::Symlink {
                path: link,
                target: target_text,
            }),
            Links::WithinFolder => {
                self.followed += 1;
                if self.followed > MAX_LINKS {
                    return Err(InputError::LinkLoop {
                        path: self.shown.clone(),
                    });
                }
                if target.first() == Some(&b'/') || !stays_inside(&target, self.stack.len()) {
                    return Err(InputError::LinkLeaves {
                        path: link,
                        target: target_text,
                        folder: self.base_path.to_path_buf(),
                    });
                }
                push_components(&mut self.todo, &target);
                Ok(())
            }
        }
    }

    /// Why the component `name` could not be opened (`e`).
    fn unopenable(&self, name: &OsStr, last: bool, e: rustix::io::Errno) -> InputError {
        // A socket cannot be opened at all (ENXIO): say what it is, rather than
        // "No such device or address". The entry is only described here, never
        // read: the refusal rests on the failed open.
        if last
            && let Ok(st) =
                rustix::fs::statat(self.dir(), name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
        {
            let kind = rustix::fs::FileType::from_raw_mode(st.st_mode);
            if let Some(what) = describe_raw(kind) {
                return InputError::NotRegular {
                    path: self.shown.clone(),
                    what,
                };
            }
        }
        io_err(&self.at.join(name))(e.into())
    }
}

/// Whether a relative link target, read at `depth` folders below the base, stays inside
/// the base (its `..` never climb above it).
fn stays_inside(target: &[u8], depth: usize) -> bool {
    let mut depth = depth as isize;
    for c in target.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => depth += 1,
        }
    }
    true
}

/// Pushes a path's components onto `todo` so that the first comes off first.
fn push_components(todo: &mut Vec<Vec<u8>>, path: &[u8]) {
    for c in path
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        todo.push(c.to_vec());
    }
}

/// What a non-regular file is, in words, from its mode; `None` for a regular file or a
/// folder.
fn describe_raw(kind: rustix::fs::FileType) -> Option<&'static str> {
    use rustix::fs::FileType as T;
    Some(match kind {
        T::Socket => "a socket",
        T::Fifo => "a FIFO (named pipe)",
        T::CharacterDevice => "a character device",
        T::BlockDevice => "a block device",
        T::Symlink => "a symbolic link",
        T::RegularFile | T::Directory => return None,
        _ => "not a regular file",
    })
}

/// What a non-regular file is, in words.
pub fn describe(kind: &std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a folder"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("in/sub")).unwrap();
        std::fs::write(d.path().join("in/a.yaml"), "a").unwrap();
        std::fs::write(d.path().join("in/sub/b.yaml"), "b").unwrap();
        std::fs::write(d.path().join("outside.yaml"), "secret").unwrap();
        d
    }

    fn open(d: &Path, rel: &str, links: Links) -> Result<String, InputError> {
        let base = open_folder(&d.join("in")).unwrap();
        let mut f = open_beneath(&base, &d.join("in"), Path::new(rel), links)?;
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        Ok(s)
    }

    #[test]
    fn links_inside_the_folder_are_followed_only_when_allowed() {
        let d = tree();
        symlink("sub/b.yaml", d.path().join("in/l1.yaml")).unwrap();
        symlink("../a.yaml", d.path().join("in/sub/l2.yaml")).unwrap();
        symlink("sub", d.path().join("in/dirlink")).unwrap();
        assert_eq!(open(d.path(), "l1.yaml", Links::WithinFolder).unwrap(), "b");
        assert_eq!(
            open(d.path(), "sub/l2.yaml", Links::WithinFolder).unwrap(),
            "a"
        );
        assert_eq!(
            open(d.path(), "dirlink/b.yaml", Links::WithinFolder).unwrap(),
            "b"
        );
        for rel in ["l1.yaml", "sub/l2.yaml", "dirlink/b.yaml"] {
            assert!(
                matches!(
                    open(d.path(), rel, Links::Refuse),
                    Err(InputError::Symlink { .. })
                ),
                "{rel}"
            );
        }
    }

    // A link out of the folder (absolute, or by climbing with ..) is never followed.
    #[test]
    fn links_that_leave_the_folder_are_refused() {
        let d = tree();
        symlink(d.path().join("outside.yaml"), d.path().join("in/abs.yaml")).unwrap();
        symlink("../outside.yaml", d.path().join("in/up.yaml")).unwrap();
        symlink("../../outside.yaml", d.path().join("in/sub/up2.yaml")).unwrap();
        symlink("sub/../../outside.yaml", d.path().join("in/zig.yaml")).unwrap();
        for rel in ["abs.yaml", "up.yaml", "sub/up2.yaml", "zig.yaml"] {
            let e = open(d.path(), rel, Links::WithinFolder).unwrap_err();
            assert!(matches!(e, InputError::LinkLeaves { .. }), "{rel}: {e}");
            assert!(
                e.to_string().contains(rel.rsplit('/').next().unwrap()),
                "{e}"
            );
        }
    }

    #[test]
    fn link_loops_end() {
        let d = tree();
        symlink("loop2.yaml", d.path().join("in/loop1.yaml")).unwrap();
        symlink("loop1.yaml", d.path().join("in/loop2.yaml")).unwrap();
        assert!(matches!(
            open(d.path(), "loop1.yaml", Links::WithinFolder),
            Err(InputError::LinkLoop { .. })
        ));
    }

    // A FIFO must be refused at once, not block the reader waiting for a writer.
    #[test]
    fn fifo_and_devices_are_refused_without_blocking() {
        let d = tree();
        let fifo = d.path().join("in/pipe.yaml");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let e = open(d.path(), "pipe.yaml", Links::WithinFolder).unwrap_err();
        assert!(
            matches!(
                e,
                InputError::NotRegular {
                    what: "a FIFO (named pipe)",
                    ..
                }
            ),
            "{e}"
        );
        let e = read_named(Path::new("/dev/zero"), 1 << 20, "a test file").unwrap_err();
        assert!(
            matches!(
                e,
                InputError::NotRegular {
                    what: "a character device",
                    ..
                }
            ),
            "{e}"
        );
        let e = read_named(&d.path().join("in"), 1 << 20, "a test file").unwrap_err();
        assert!(matches!(e, InputError::NotRegular { .. }), "{e}");
    }

    // A socket cannot be opened; the error said "No such device or address", not what
    // the path is.
    #[test]
    fn a_socket_is_named_as_one() {
        let d = tree();
        let _sock = std::os::unix::net::UnixListener::bind(d.path().join("in/s.yaml")).unwrap();
        let e = open(d.path(), "s.yaml", Links::WithinFolder).unwrap_err();
        assert!(
            matches!(
                e,
                InputError::NotRegular {
                    what: "a socket",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("s.yaml"), "{e}");
    }

    #[test]
    fn named_files_are_size_limited() {
        let d = tree();
        let p = d.path().join("in/a.yaml");
        assert_eq!(read_named(&p, 1, "a test file").unwrap(), b"a");
        std::fs::write(&p, "ab").unwrap();
        let e = read_named(&p, 1, "a test file").unwrap_err();
        assert!(matches!(e, InputError::TooLarge { limit: 1, .. }), "{e}");
    }

    // The kubelet lays out a Secret volume as key -> ..data/key, ..data -> ..2026_…/:
    // links that stay in the folder, which a named key file must be allowed to use.
    #[test]
    fn named_file_in_a_kubelet_secret_volume_is_read() {
        let d = tempfile::tempdir().unwrap();
        let vol = d.path().join("keys");
        std::fs::create_dir_all(vol.join("..2026_01_01_00_00_00.000")).unwrap();
        std::fs::write(vol.join("..2026_01_01_00_00_00.000/signing.pem"), "k").unwrap();
        symlink("..2026_01_01_00_00_00.000", vol.join("..data")).unwrap();
        symlink("..data/signing.pem", vol.join("signing.pem")).unwrap();
        assert_eq!(
            read_named(&vol.join("signing.pem"), 10, "a key").unwrap(),
            b"k"
        );
        std::fs::write(d.path().join("elsewhere.pem"), "x").unwrap();
        symlink(d.path().join("elsewhere.pem"), vol.join("out.pem")).unwrap();
        let e = read_named(&vol.join("out.pem"), 10, "a key").unwrap_err();
        assert!(matches!(e, InputError::LinkLeaves { .. }), "{e}");
    }
}
