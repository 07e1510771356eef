//! The packet's sections, in the order they appear.
//!
//! Each section is one file here holding its view (the data its template reads), the
//! builder of that view from the [`Inputs`], and its template fragment (Tera, Markdown,
//! autoescaped). [`SECTIONS`] lists them in order: the built-in `packet.md` is made from
//! it (one `{% include %}` per section), so it orders both `packet.md` and `index.html`,
//! which is rendered from that Markdown. The views are gathered in `render::context`.
//!
//! Each fragment is a template of its own, `section-<name>.md`, which `--templates DIR`
//! can replace like any built-in template.

pub mod access;
pub mod answers;
pub mod changes;
pub mod checklist;
pub mod checks;
pub mod cover;
pub mod frameworks;
pub mod matrix;
pub mod scope;
pub mod security;
mod shared;
pub mod summary;
pub mod verify;

pub use shared::Inputs;

/// One section of the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// Its name: the fragment is the template `section-<name>.md`.
    pub name: &'static str,
    /// The built-in fragment.
    pub template: &'static str,
}

impl Section {
    /// The fragment's template name (`section-cover.md`).
    pub fn template_name(&self) -> String {
        format!("section-{}.md", self.name)
    }
}

/// The sections, in the order of the packet: the body a reviewer reads (cover, scope,
/// summary, control matrix, one section per control, auditor answers, the verify recipe),
/// then the appendices with the per-object detail (checks and evidence, the access review,
/// the evidence checklist, the changes since the previous packet).
pub const SECTIONS: &[Section] = &[
    Section {
        name: "cover",
        template: cover::TEMPLATE,
    },
    Section {
        name: "scope",
        template: scope::TEMPLATE,
    },
    Section {
        name: "security",
        template: security::TEMPLATE,
    },
    Section {
        name: "summary",
        template: summary::TEMPLATE,
    },
    Section {
        name: "matrix",
        template: matrix::TEMPLATE,
    },
    Section {
        name: "frameworks",
        template: frameworks::TEMPLATE,
    },
    Section {
        name: "answers",
        template: answers::TEMPLATE,
    },
    Section {
        name: "verify",
        template: verify::TEMPLATE,
    },
    Section {
        name: "checks",
        template: checks::TEMPLATE,
    },
    Section {
        name: "access",
        template: access::TEMPLATE,
    },
    Section {
        name: "checklist",
        template: checklist::TEMPLATE,
    },
    Section {
        name: "changes",
        template: changes::TEMPLATE,
    },
];

/// The built-in `packet.md`: every section's fragment, in order.
pub fn packet_template() -> String {
    SECTIONS
        .iter()
        .map(|s| format!("{{% include \"{}\" %}}", s.template_name()))
        .collect()
}

/// The built-in packet templates by name: `packet.md` and each section's fragment.
pub fn builtin_templates() -> Vec<(String, String)> {
    let mut files = vec![("packet.md".to_string(), packet_template())];
    files.extend(
        SECTIONS
            .iter()
            .map(|s| (s.template_name(), s.template.to_string())),
    );
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_has_a_distinct_name_and_one_contents_heading() {
        let mut names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SECTIONS.len());
        for s in SECTIONS {
            // One H2 each (the page's table of contents), the cover's H1 apart.
            let h2 = s.template.lines().filter(|l| l.starts_with("## ")).count();
            let want = if s.name == "cover" { 0 } else { 1 };
            assert_eq!(h2, want, "section {} has {h2} H2 headings", s.name);
            // A fragment ends a line, so that the next one starts on its own.
            assert!(s.template.ends_with('\n'), "section {}", s.name);
        }
    }

    #[test]
    fn the_builtin_packet_includes_every_section_in_order() {
        let packet = packet_template();
        let mut at = 0;
        for s in SECTIONS {
            let include = format!("{{% include \"{}\" %}}", s.template_name());
            let found = packet[at..].find(&include).expect("included in order");
            at += found + include.len();
        }
        assert_eq!(at, packet.len());
    }
}
