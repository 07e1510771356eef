//! Built-in templates (embedded) and the per-file override folder.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;

use super::RenderError;
use super::escape;

/// The built-in files besides the packet's templates (which are the sections' own,
/// `render::sections`).
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "questions.yaml",
        include_str!("../../templates/questions.yaml"),
    ),
    ("style.css", include_str!("../../templates/style.css")),
];

/// The template files in force and the Tera instance built from them.
#[derive(Clone)]
pub struct Templates {
    files: BTreeMap<String, String>,
    pub(crate) tera: tera::Tera,
}

struct CodeFilter;

impl tera::Filter for CodeFilter {
    fn filter(
        &self,
        value: &tera::Value,
        args: &HashMap<String, tera::Value>,
    ) -> tera::Result<tera::Value> {
        let cell = args
            .get("cell")
            .and_then(tera::Value::as_bool)
            .unwrap_or(false);
        let text = match value {
            tera::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Ok(tera::Value::String(escape::code_span(&text, cell)))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// `message`: a check's message (backticks mark literals) as Markdown, literals as code
/// spans and everything else escaped; `message(cell=true)` inside tables.
struct MessageFilter;

impl tera::Filter for MessageFilter {
    fn filter(
        &self,
        value: &tera::Value,
        args: &HashMap<String, tera::Value>,
    ) -> tera::Result<tera::Value> {
        let cell = args
            .get("cell")
            .and_then(tera::Value::as_bool)
            .unwrap_or(false);
        let text = value.as_str().unwrap_or_default();
        Ok(tera::Value::String(if cell {
            escape::message_cell(text)
        } else {
            escape::message(text)
        }))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// `evidence_link`: an evidence location, a packet file as a link to it.
fn evidence_filter(
    value: &tera::Value,
    _: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(escape::evidence_link(
        value.as_str().unwrap_or_default(),
    )))
}

fn slug_filter(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let text = value.as_str().map(str::to_string).unwrap_or_default();
    Ok(tera::Value::String(escape::slug(&text)))
}

/// `<a id="anchor"></a>`: an explicit anchor at the end of a heading, which GitHub and
/// cmark-gfm (`--unsafe`) keep as the link target, and which `index.html` turns into the
/// heading's own id (`render::html`). A `{#id}` heading attribute would be shown literally
/// by a CommonMark renderer.
struct AnchorFilter;

impl tera::Filter for AnchorFilter {
    fn filter(
        &self,
        value: &tera::Value,
        _: &HashMap<String, tera::Value>,
    ) -> tera::Result<tera::Value> {
        let text = value.as_str().unwrap_or_default();
        let id: String = text
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        Ok(tera::Value::String(format!("<a id=\"{id}\"></a>")))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// A status as shown in the packet: an icon and the word (gaps in bold), so that it reads
/// without colour and in black-and-white print; `index.html` colours it too
/// (`render::html::STATUS_MARKUP`).
struct StatusFilter;

impl tera::Filter for StatusFilter {
    fn filter(
        &self,
        value: &tera::Value,
        _: &HashMap<String, tera::Value>,
    ) -> tera::Result<tera::Value> {
        let s = value.as_str().unwrap_or_default();
        let shown = match s {
            "pass" => "✓ pass".to_string(),
            "fail" => "✗ **fail**".to_string(),
            "partial" => "◐ **partial**".to_string(),
            "manual" => "✎ *manual*".to_string(),
            "not-collected" => "∅ **not collected**".to_string(),
            "not-applicable" => "– not applicable".to_string(),
            other => escape::markdown(other),
        };
        Ok(tera::Value::String(shown))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

fn tera_message(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

impl Templates {
    /// The built-in templates (`builtin`, then [`BUILTIN_FILES`]), with every file of
    /// `dir` (if given) replacing one of the same name or adding (for `{% include %}`).
    pub fn load(
        builtin: Vec<(String, String)>,
        dir: Option<&Path>,
    ) -> Result<Templates, RenderError> {
        let mut files: BTreeMap<String, String> = builtin.into_iter().collect();
        files.extend(
            BUILTIN_FILES
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string())),
        );
        if let Some(dir) = dir {
            let rd = std::fs::read_dir(dir).map_err(|e| RenderError::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
            let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let p = e.path();
                if !p.is_file() {
                    continue;
                }
                let name = e.file_name().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&p).map_err(|err| RenderError::Io {
                    path: p.clone(),
                    source: err,
                })?;
                files.insert(name, text);
            }
        }
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![".md"]);
        tera.set_escape_fn(escape::markdown);
        tera.register_filter("code", CodeFilter);
        tera.register_filter("slug", slug_filter);
        tera.register_filter("message", MessageFilter);
        tera.register_filter("evidence_link", evidence_filter);
        tera.register_filter("anchor", AnchorFilter);
        tera.register_filter("status", StatusFilter);
        let md: Vec<(&str, &str)> = files
            .iter()
            .filter(|(n, _)| n.ends_with(".md"))
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        tera.add_raw_templates(md)
            .map_err(|e| RenderError::Template {
                name: "templates".into(),
                message: tera_message(&e),
            })?;
        Ok(Templates { files, tera })
    }

    /// A template file's text.
    pub fn file(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }

    /// The page stylesheet.
    pub fn css(&self) -> Result<String, RenderError> {
        Ok(self.file("style.css").unwrap_or("").to_string())
    }

    /// Adds an answer template (autoescaped as Markdown).
    pub fn add_answer(&mut self, name: &str, text: &str) -> Result<(), RenderError> {
        self.tera
            .add_raw_template(name, text)
            .map_err(|e| RenderError::Template {
                name: name.into(),
                message: tera_message(&e),
            })
    }

    /// Renders one template with a serializable context.
    pub fn render<T: Serialize>(&self, name: &str, ctx: &T) -> Result<String, RenderError> {
        let c = tera::Context::from_serialize(ctx).map_err(|e| RenderError::Template {
            name: name.into(),
            message: tera_message(&e),
        })?;
        self.tera
            .render(name, &c)
            .map_err(|e| RenderError::Template {
                name: name.into(),
                message: tera_message(&e),
            })
    }
}

/// Collapses runs of blank lines left by template control flow (outside fenced code
/// blocks, whose content is evidence and kept exactly) and ends with one newline.
pub fn tidy_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fence: Option<usize> = None;
    let mut blank_run = 0;
    for line in text.lines() {
        let ticks = line.chars().take_while(|c| *c == '`').count();
        match fence {
            None if ticks >= 3 => fence = Some(ticks),
            Some(n) if ticks >= n && line[ticks..].trim().is_empty() => fence = None,
            _ => {}
        }
        let inside = fence.is_some() && ticks < 3;
        if line.trim().is_empty() && !inside {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(if inside {
            line
        } else {
            line.trim_end_matches(' ')
        });
        out.push('\n');
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}
