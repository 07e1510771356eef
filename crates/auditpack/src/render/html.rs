//! `index.html`: the Markdown rendered by pulldown-cmark inside one self-contained page
//! (inline CSS, no scripts, nothing fetched from the network).

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::escape::html as esc;

/// How each status's icon and word come out of the Markdown (the `status` filter), and the
/// class that colours them: (HTML, status).
pub const STATUS_MARKUP: &[(&str, &str)] = &[
    ("✓ pass", "pass"),
    ("✗ <strong>fail</strong>", "fail"),
    ("◐ <strong>partial</strong>", "partial"),
    ("✎ <em>manual</em>", "manual"),
    ("∅ <strong>not collected</strong>", "not-collected"),
    ("– not applicable", "not-applicable"),
];

/// Renders the page. Raw HTML in the Markdown is shown as text, never passed through.
/// `summary_svg` (an inline chart made by `render::svg`, not from the Markdown) follows the
/// summary heading; `title` is also the running header of every printed page.
pub fn to_page(markdown: &str, title: &str, css: &str, summary_svg: &str) -> String {
    let markdown = &heading_anchors(markdown);
    let opts = Options::ENABLE_TABLES | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut nav: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    let mut anchor_open = false;
    let events: Vec<Event> = Parser::new_ext(markdown, opts)
        .map(|ev| match ev {
            // An anchor the `anchor` filter wrote (`<a id="x"></a>`, its id only letters,
            // digits and dashes) is kept: a link target inside a table cell. Any other raw
            // HTML is shown as text (a cluster value cannot write one: its `<` is escaped).
            Event::InlineHtml(h) if is_anchor_tag(&h) => {
                anchor_open = true;
                Event::InlineHtml(h)
            }
            Event::InlineHtml(h) if anchor_open && &*h == "</a>" => {
                anchor_open = false;
                Event::InlineHtml(h)
            }
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            other => {
                anchor_open = false;
                other
            }
        })
        .inspect(|ev| match ev {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                id: Some(id),
                ..
            }) => current = Some((id.to_string(), String::new())),
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, text)) = current.as_mut() {
                    text.push_str(t);
                }
            }
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                if let Some(h) = current.take() {
                    nav.push(h);
                }
            }
            _ => {}
        })
        .collect();
    let mut body = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut body, events.into_iter().map(strip_unsafe_links));
    let body = colour_statuses(&body);
    let body = match body.find("<h2 id=\"summary\">") {
        Some(i) if !summary_svg.is_empty() => {
            let end = i + body[i..].find("</h2>").map_or(0, |j| j + "</h2>".len());
            format!(
                "{}\n<figure class=\"chart\">\n{summary_svg}</figure>\n{}",
                &body[..end],
                &body[end..]
            )
        }
        _ => body,
    };
    let mut page = String::with_capacity(body.len() + css.len() + 4096);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n",
    );
    page.push_str(&format!("<title>{}</title>\n", esc(title)));
    page.push_str("<style>\n");
    page.push_str(&css.replace("</", "<\\/"));
    page.push_str(&format!(
        "\n@media print {{ @page {{ @top-left {{ content: \"{}\"; }} }} }}",
        css_string(title)
    ));
    page.push_str("\n</style>\n</head>\n<body>\n<main>\n");
    // The contents follow the cover (on screen the list is fixed beside the page; in print
    // it is the second thing the reader sees).
    let mut toc = String::from(
        "<nav class=\"toc\" aria-label=\"Contents\">\n<p class=\"toc-title\">Contents</p>\n<ol>\n",
    );
    for (id, text) in &nav {
        toc.push_str(&format!(
            "<li><a href=\"#{}\">{}</a></li>\n",
            esc(id),
            esc(text)
        ));
    }
    toc.push_str("</ol>\n</nav>\n");
    let at = body.find("<h2 ").unwrap_or(0);
    page.push_str(&body[..at]);
    page.push_str(&toc);
    page.push_str(&body[at..]);
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// `<a id="x">`, an id of lowercase letters, digits and dashes.
fn is_anchor_tag(h: &str) -> bool {
    h.strip_prefix("<a id=\"")
        .and_then(|r| r.strip_suffix("\">"))
        .is_some_and(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// Wraps each status the `status` filter wrote in a span that colours it (the icon and the
/// word stay: colour is never the only sign).
fn colour_statuses(body: &str) -> String {
    let mut out = body.to_string();
    for (markup, status) in STATUS_MARKUP {
        out = out.replace(
            markup,
            &format!("<span class=\"status status-{status}\">{markup}</span>"),
        );
    }
    out
}

/// Text as the body of a CSS string (`"…"`): quotes, backslashes and line breaks escaped,
/// `<` too (the stylesheet sits in a `<style>` element).
fn css_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' | '\\' | '<' | '>' => out.push_str(&format!("\\{:x} ", c as u32)),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The anchor a heading line ends with (` <a id="x"></a>`, as the `anchor` filter writes
/// it) becomes the heading's id (`{#x}`), outside fenced code. Any other raw HTML is still
/// shown as text; a cluster value can never end a heading with it, since its `<` is
/// escaped (`\<`).
fn heading_anchors(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut fence: Option<usize> = None;
    for line in markdown.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ticks = body.chars().take_while(|c| *c == '`').count();
        match fence {
            None if ticks >= 3 => fence = Some(ticks),
            Some(n) if ticks >= n && body[ticks..].trim().is_empty() => fence = None,
            _ => {}
        }
        if fence.is_none()
            && body.starts_with('#')
            && let Some((head, id)) = trailing_anchor(body)
        {
            out.push_str(head);
            out.push_str(" {#");
            out.push_str(id);
            out.push('}');
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// `("## Title", "id")` for `## Title <a id="id"></a>`.
fn trailing_anchor(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_suffix("\"></a>")?;
    let at = rest.rfind(" <a id=\"")?;
    let id = &rest[at + " <a id=\"".len()..];
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ok.then(|| (&rest[..at], id))
}

/// Links may only point inside the page (`#anchor`) or to packet files (relative paths):
/// any other destination is dropped so the page never reaches the network.
fn strip_unsafe_links(ev: Event<'_>) -> Event<'_> {
    match ev {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let safe = is_local(&dest_url);
            Event::Start(Tag::Link {
                link_type,
                dest_url: if safe { dest_url } else { CowStr::from("#") },
                title,
                id,
            })
        }
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => Event::Text("".into()),
        other => other,
    }
}

fn is_local(url: &str) -> bool {
    !url.contains(':') && !url.starts_with("//")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_text_and_links_stay_local() {
        let page = to_page(
            "## A <a id=\"a\"></a>\n\n| <a id=\"t\"></a>cell </a> <a id=\"X\"></a> |\n|---|\n\n## B {#b}\n\n```\n# c <a id=\"c\"></a>\n```\n\n<script>x</script>\n\nsee [l](https://e.example/) ![i](http://e.example/i.png) and <b>x</b>\n",
            "t\"</style>",
            "",
            "",
        );
        assert!(
            page.contains("content: \"t\\22 \\3c /style\\3e \";"),
            "{page}"
        );
        assert!(!page.contains("<script>"));
        assert!(!page.contains("<b>"));
        assert!(page.contains("<a href=\"#\">l</a>"), "{page}");
        assert!(!page.contains("https://e.example"), "{page}");
        assert!(!page.contains("http://e.example"));
        assert!(page.contains("<a href=\"#a\">A</a>"));
        assert!(page.contains("<h2 id=\"a\">A</h2>"), "{page}");
        assert!(page.contains("<h2 id=\"b\">B</h2>"), "{page}");
        assert!(
            page.contains("<th><a id=\"t\"></a>cell &lt;/a&gt; &lt;a id=\"X\"&gt;&lt;/a&gt;</th>"),
            "{page}"
        );
        assert!(page.contains("# c &lt;a id=\"c\"&gt;&lt;/a&gt;"), "{page}");
    }
}
