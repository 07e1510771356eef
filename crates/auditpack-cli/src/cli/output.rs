//! `-o, --output FORMAT`: one spelling set for every command (`text`, `json`, `yaml`,
//! `markdown`, with `md` an alias of `markdown`), each command accepting the formats that
//! apply to it. Paths are `--out`; a `-o` value that looks like a path (the old meaning of
//! `-o` in `collect` and `packet`) is refused with an error that says so.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::builder::{PossibleValue, TypedValueParser};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Lines for a terminal.
    Text,
    /// JSON.
    Json,
    /// YAML (the same document as the JSON).
    Yaml,
    /// Markdown (`md` is accepted too).
    Markdown,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Markdown => "markdown",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Format::Text => "lines for a terminal",
            Format::Json => "JSON",
            Format::Yaml => "YAML (the same document as the JSON)",
            Format::Markdown => "Markdown",
        }
    }

    fn from_name(s: &str) -> Option<Format> {
        Some(match s.to_ascii_lowercase().as_str() {
            "text" => Format::Text,
            "json" => Format::Json,
            "yaml" | "yml" => Format::Yaml,
            "markdown" | "md" => Format::Markdown,
            _ => return None,
        })
    }
}

/// The value parser of a command's `-o, --output`: the formats in `allowed`.
#[derive(Debug, Clone, Copy)]
pub struct Formats(pub &'static [Format]);

/// Whether a `-o` value was meant as a file or folder: it holds a `/` or ends in a
/// packet or snapshot suffix.
pub fn looks_like_path(s: &str) -> bool {
    s.contains('/')
        || s.contains(std::path::MAIN_SEPARATOR)
        || [".json", ".yaml", ".yml", ".md", ".tar.gz", ".tgz", ".gz"]
            .iter()
            .any(|ext| s.len() > ext.len() && s.to_ascii_lowercase().ends_with(ext))
}

impl Formats {
    fn names(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(|f| f.name()).collect();
        names.join(", ")
    }
}

impl TypedValueParser for Formats {
    type Value = Format;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Format, clap::Error> {
        let s = value.to_string_lossy();
        if let Some(f) = Format::from_name(&s).filter(|f| self.0.contains(f)) {
            return Ok(f);
        }
        let msg = if looks_like_path(&s) {
            format!(
                "-o/--output is the output format ({}); {s:?} looks like a path: write it as --out {s}\n",
                self.names()
            )
        } else {
            format!(
                "invalid value {s:?} for -o/--output: the formats here are {} (a file or folder to write is --out PATH)\n",
                self.names()
            )
        };
        Err(clap::Error::raw(clap::error::ErrorKind::InvalidValue, msg).with_cmd(cmd))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().map(|f| {
            let v = PossibleValue::new(f.name()).help(f.help());
            if *f == Format::Markdown {
                v.alias("md")
            } else {
                v
            }
        })))
    }
}

/// The formats of a command that prints one document: text, JSON or YAML.
pub const TEXT_JSON_YAML: Formats = Formats(&[Format::Text, Format::Json, Format::Yaml]);

/// A serializable document as JSON (pretty, with a final newline) or YAML.
pub fn document<T: serde::Serialize>(value: &T, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Yaml => serde_saphyr::to_string(value).context("cannot write YAML")?,
        _ => {
            let mut s = serde_json::to_string_pretty(value)?;
            s.push('\n');
            s
        }
    })
}

/// Where `--out` sends a single file: a path, or standard output for `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// Standard output (`--out -`).
    Stdout,
    /// A file.
    File(PathBuf),
}

impl Dest {
    /// `-` is standard output; anything else a file (`./-` names a file called `-`).
    pub fn new(path: &Path) -> Dest {
        if path.as_os_str() == "-" {
            Dest::Stdout
        } else {
            Dest::File(path.to_path_buf())
        }
    }

    /// How messages name it.
    pub fn describe(&self) -> String {
        match self {
            Dest::Stdout => "standard output".into(),
            Dest::File(p) => p.display().to_string(),
        }
    }
}

/// Writes `text` to standard output; a reader that stops early (`| head`) is no error.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to standard output")
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_told_apart_from_formats() {
        for p in ["snap.json", "out/packet", "./x", "p.tar.gz", "q1.yaml"] {
            assert!(looks_like_path(p), "{p}");
        }
        for f in ["json", "yaml", "text", "md", "markdown", "packet"] {
            assert!(!looks_like_path(f), "{f}");
        }
    }

    #[test]
    fn md_is_markdown_and_unknowns_are_refused() {
        let cmd = clap::Command::new("t");
        let all = Formats(&[Format::Text, Format::Markdown]);
        assert_eq!(
            all.parse_ref(&cmd, None, OsStr::new("md")).unwrap(),
            Format::Markdown
        );
        let err = all
            .parse_ref(&cmd, None, OsStr::new("json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("text, markdown"), "{err}");
        let err = TEXT_JSON_YAML
            .parse_ref(&cmd, None, OsStr::new("snap.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("--out snap.json"), "{err}");
    }
}
