//! Escaping for Markdown and HTML, anchors, code spans and fenced blocks.
//!
//! Everything that comes from the cluster goes through [`markdown`] (Tera's autoescape
//! function for `.md` templates), so that an object name is shown as text and can neither
//! start a table cell, a link, emphasis nor raw HTML.

/// Escapes text for inline Markdown (CommonMark/GFM): every character that can start
/// markup is backslash-escaped, line breaks become spaces. `>` starts markup only at the
/// start of a line (a block quote), so it is escaped only there: `a -> b` stays readable in
/// the Markdown source.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '|' | '{' | '}' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    // A leading character that would start a block (list, heading, quote) when the value
    // begins a line: escaping `-`, `+`, `=`, `#` or `>` is harmless elsewhere.
    if let Some(first) = out.chars().next()
        && matches!(first, '-' | '+' | '=' | '#' | '>')
    {
        out.insert(0, '\\');
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A stable anchor fragment: lowercase ASCII letters and digits, every other run of
/// characters one `-` (`CC6.1` → `cc6-1`, `164.312(a)(1)` → `164-312-a-1`).
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        out.push('x');
    }
    out
}

/// A Markdown code span showing `s` literally. In a table cell (`cell`), `|` is escaped
/// as GFM requires (the escape is removed inside the span).
pub fn code_span(s: &str, cell: bool) -> String {
    let s: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let s = if cell { s.replace('|', "\\|") } else { s };
    let longest = longest_run(&s, '`');
    let fence = "`".repeat(longest + 1);
    let pad = s.starts_with('`') || s.ends_with('`') || s.starts_with(' ') || s.is_empty();
    if pad {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// A fenced code block that contains `body` literally, whatever backticks it holds.
pub fn fenced(body: &str, info: &str) -> String {
    let fence = "`".repeat(longest_run(body, '`').max(2) + 1);
    let mut out = format!("{fence}{info}\n{body}");
    if !body.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_is_stable() {
        assert_eq!(slug("CC6.1"), "cc6-1");
        assert_eq!(slug("164.312(a)(2)(iv)"), "164-312-a-2-iv");
        assert_eq!(slug("rbac.least-privilege"), "rbac-least-privilege");
        assert_eq!(slug("<>"), "x");
    }

    #[test]
    fn markdown_escape_neutralises_markup() {
        assert_eq!(markdown("<script>"), "\\<script>");
        assert_eq!(markdown("a -> b"), "a -> b");
        assert_eq!(markdown("> quote"), "\\> quote");
        assert_eq!(markdown("a|b`c"), "a\\|b\\`c");
        assert_eq!(markdown("- item"), "\\- item");
        assert_eq!(markdown("task-api-sa"), "task-api-sa");
    }

    #[test]
    fn code_span_survives_backticks() {
        assert_eq!(code_span("a`b", false), "``a`b``");
        assert_eq!(code_span("`x", false), "`` `x ``");
        assert_eq!(code_span("a|b", true), "`a\\|b`");
    }

    #[test]
    fn fence_is_longer_than_any_backtick_run() {
        let f = fenced("x ```` y", "yaml");
        assert!(f.starts_with("`````yaml\n"));
    }
}
