//! History: what changed between snapshots, and whether a series of packets is complete.

pub mod chain;
mod changes;
pub mod diff;

pub use changes::{Changes, Evidence, StatusChange, changes};
pub use diff::Diff;

/// Escapes text from the cluster for a Markdown table cell: no markup, no cell breaks.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
