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

/// A check's message (observation, explanation, remediation) as Markdown. Messages are
/// plain text in which a span between two backticks is a literal (a flag, a field, a
/// command: `controls::util::code`), shown as a code span; everything else is text, escaped
/// ([`markdown`]). A backslash before a backtick or a backslash (`controls::util::value`)
/// stands for that character itself; a backtick without a partner is text.
pub fn message(s: &str) -> String {
    message_in(s, false)
}

/// [`message`] for a table cell: `|` in a literal is escaped as GFM requires.
pub fn message_cell(s: &str) -> String {
    message_in(s, true)
}

fn message_in(s: &str, cell: bool) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut text = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('`') | Some('\\')) => {
                text.push(chars.next().unwrap_or('\\'));
            }
            '`' => {
                let rest: String = chars.clone().collect();
                match literal_end(&rest) {
                    Some((lit, used)) => {
                        out.push_str(&markdown_inline(&text, out.is_empty()));
                        text.clear();
                        out.push_str(&code_span(&lit, cell));
                        for _ in 0..used {
                            chars.next();
                        }
                    }
                    None => text.push('`'),
                }
            }
            c => text.push(c),
        }
    }
    out.push_str(&markdown_inline(&text, out.is_empty()));
    out
}

/// The literal that `rest` (the text after an opening backtick) starts with, unescaped,
/// and how many characters it takes with its closing backtick; `None` without one.
fn literal_end(rest: &str) -> Option<(String, usize)> {
    let mut lit = String::new();
    let mut chars = rest.chars().peekable();
    let mut used = 0;
    while let Some(c) = chars.next() {
        used += 1;
        match c {
            '\\' if matches!(chars.peek(), Some('`') | Some('\\')) => {
                lit.push(chars.next().unwrap_or('\\'));
                used += 1;
            }
            '`' => return (!lit.is_empty()).then_some((lit, used)),
            c => lit.push(c),
        }
    }
    None
}

/// [`markdown`], with the line-start escape only for the start of the whole message.
fn markdown_inline(text: &str, at_start: bool) -> String {
    if at_start {
        markdown(text)
    } else {
        // Not at a line start: a leading `-` or `#` starts nothing.
        let escaped = markdown(&format!("x{text}"));
        escaped[1..].to_string()
    }
}

/// A JSON pointer (RFC 6901) as a field path a reader knows from kubectl and YAML:
/// `/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration` →
/// `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`,
/// `/spec/containers/0/image` → `spec.containers[0].image`. Empty for the whole object.
pub fn field_path(pointer: &str) -> String {
    let Some(rest) = pointer.strip_prefix('/') else {
        return pointer.to_string();
    };
    let mut out = String::with_capacity(pointer.len() + 8);
    for token in rest.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        let ident = token
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !token.is_empty() && token.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else if ident {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        } else {
            out.push_str(&format!("[{}]", serde_json::Value::String(token)));
        }
    }
    out
}

/// An evidence location as Markdown: a packet file (`evidence/pods.yaml`, with any remark
/// after it) is a link to that file, shown as code; anything else (`not collected …`) is
/// text. Safe in a table cell.
pub fn evidence_link(location: &str) -> String {
    if location.starts_with("evidence/") || location == "findings.json" {
        let (path, rest) = location.split_once(' ').unwrap_or((location, ""));
        let mut out = format!("[{}]({path})", code_span(path, true));
        if !rest.is_empty() {
            out.push(' ');
            out.push_str(&markdown(rest));
        }
        out
    } else {
        markdown(location)
    }
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
    fn messages_show_literals_as_code_and_values_as_text() {
        assert_eq!(
            message("wildcard (`*`) access for a*b"),
            "wildcard (`*`) access for a\\*b"
        );
        assert_eq!(message("a lone ` backtick"), "a lone \\` backtick");
        assert_eq!(message("name a\\`b end"), "name a\\`b end");
        assert_eq!(message("`--flag` set"), "`--flag` set");
        assert_eq!(message("- x `-y` -z"), "\\- x `-y` -z");
        assert_eq!(message("`a\\`b`"), "``a`b``");
    }

    #[test]
    fn pointers_read_as_field_paths() {
        assert_eq!(
            field_path("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"),
            "metadata.annotations[\"kubectl.kubernetes.io/last-applied-configuration\"]"
        );
        assert_eq!(
            field_path("/spec/containers/0/image"),
            "spec.containers[0].image"
        );
        assert_eq!(field_path("/data/a~0b"), "data[\"a~b\"]");
        assert_eq!(field_path(""), "");
    }

    #[test]
    fn fence_is_longer_than_any_backtick_run() {
        let f = fenced("x ```` y", "yaml");
        assert!(f.starts_with("`````yaml\n"));
    }
}
