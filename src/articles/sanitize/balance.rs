//! The linear pre-pass in front of ammonia.
//!
//! html5ever's tree builder checks element scopes by walking the stack of
//! open elements, so its cost grows with nesting depth times the number of
//! tags: 300 KB of unclosed `<ul><li>` takes tens of seconds of CPU. This
//! pass reads the input once with a lenient tokeniser (the HTML tokeniser's
//! rules for tags, attributes, comments and raw text) and writes markup that
//! is cheap to parse:
//! - only the tags the first ammonia pass keeps, with only the attributes it
//!   keeps, every element closed in order (balanced), nesting at most
//!   `MAX_DEPTH` deep (deeper start tags are left out, their text kept);
//! - `script`, `style` and the other raw-text elements, and the subtrees of
//!   `svg`, `math`, `object`, `template`..., left out with their content;
//! - comments, doctypes and processing instructions left out.
//!
//! This pass is not what makes the output safe (ammonia parses whatever it is
//! given like a browser would); it only bounds the work. It also keeps
//! formatting tags attribute-free, which bounds html5ever's list of active
//! formatting elements (at most three identical entries).

/// Deeper start tags are dropped (their content is kept).
const MAX_DEPTH: usize = 64;

/// Elements whose content is raw text: skipped up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Elements left out together with everything inside them.
const SUBTREE: &[&str] = &[
    "svg", "math", "template", "object", "applet", "select", "datalist", "button", "canvas",
    "video", "audio", "picture", "map", "dialog", "frameset", "xml",
];

pub(super) fn balance(html: &str, keep: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut open: Vec<String> = Vec::new();
    // Inside a left-out subtree: its name and how many of it are open.
    let mut skipping: Option<(String, usize)> = None;
    let mut i = 0;
    while i < html.len() {
        let Some(off) = html[i..].find('<') else {
            if skipping.is_none() {
                text(&html[i..], &mut out);
            }
            break;
        };
        if skipping.is_none() {
            text(&html[i..i + off], &mut out);
        }
        let at = i + off;
        let rest = &html[at..];
        let next = rest.as_bytes().get(1).copied();
        let token = match next {
            Some(b'!') if rest.starts_with("<!--") => {
                i = at + comment_len(rest);
                continue;
            }
            Some(b'!' | b'?') => {
                i = at + rest.find('>').map_or(rest.len(), |e| e + 1);
                continue;
            }
            Some(b'/') => match rest.as_bytes().get(2) {
                Some(c) if c.is_ascii_alphabetic() => match tag(&rest[2..]) {
                    Some(t) => {
                        i = at + 2 + t.len;
                        Token::End(t.name)
                    }
                    None => break, // end of input inside a tag
                },
                Some(b'>') => {
                    i = at + 3;
                    continue;
                }
                Some(_) => {
                    i = at + rest.find('>').map_or(rest.len(), |e| e + 1);
                    continue;
                }
                None => {
                    if skipping.is_none() {
                        out.push_str("&lt;/");
                    }
                    break;
                }
            },
            Some(c) if c.is_ascii_alphabetic() => match tag(&rest[1..]) {
                Some(t) => {
                    i = at + 1 + t.len;
                    Token::Start(t)
                }
                None => break,
            },
            _ => {
                if skipping.is_none() {
                    out.push_str("&lt;");
                }
                i = at + 1;
                continue;
            }
        };
        // Raw text is skipped up to its end tag, wherever it appears.
        if let Token::Start(t) = &token {
            if RAW_TEXT.contains(&t.name.as_str()) {
                i = raw_text_end(html, i, &t.name);
                continue;
            }
            if t.name == "plaintext" {
                break;
            }
        }
        if let Some((name, depth)) = &mut skipping {
            match &token {
                Token::Start(t) if t.name == *name => *depth += 1,
                Token::End(n) if n == name => *depth -= 1,
                _ => {}
            }
            if *depth == 0 {
                skipping = None;
            }
            continue;
        }
        match token {
            Token::Start(t) if SUBTREE.contains(&t.name.as_str()) => {
                skipping = Some((t.name, 1));
            }
            Token::Start(t) if matches!(t.name.as_str(), "br" | "img") => {
                write_start(&t, &mut out);
            }
            Token::Start(t) if keep(&t.name) => {
                auto_close(&t.name, &mut open, &mut out);
                if t.name == "hr" {
                    write_start(&t, &mut out);
                } else if open.len() < MAX_DEPTH {
                    write_start(&t, &mut out);
                    open.push(t.name);
                }
            }
            Token::Start(_) => {}
            Token::End(n) if n == "br" => out.push_str("<br>"),
            Token::End(n) => {
                if let Some(pos) = open.iter().rposition(|o| *o == n) {
                    for name in open.drain(pos..).rev() {
                        write_end(&name, &mut out);
                    }
                }
            }
        }
    }
    for name in open.into_iter().rev() {
        write_end(&name, &mut out);
    }
    out
}

const FORMATTING: &[&str] = &["b", "strong", "i", "em", "u"];

/// The end tags HTML leaves implicit: a new paragraph, list item, cell or
/// row closes the open one, as the tree builder would.
fn auto_close(name: &str, open: &mut Vec<String>, out: &mut String) {
    let inline = |n: &str| FORMATTING.contains(&n);
    let in_item = |n: &str| inline(n) || matches!(n, "p" | "div" | "address");
    let in_table = |n: &str| n != "table";
    let heading = |n: &str| matches!(n, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
    let mut close = |targets: &[&str], through: &dyn Fn(&str) -> bool| {
        for pos in (0..open.len()).rev() {
            if targets.contains(&open[pos].as_str()) {
                for n in open.drain(pos..).rev() {
                    write_end(&n, out);
                }
                return;
            }
            if !through(&open[pos]) {
                return;
            }
        }
    };
    match name {
        "li" => close(&["li"], &in_item),
        "dt" | "dd" => close(&["dt", "dd"], &in_item),
        "td" | "th" => close(&["td", "th"], &in_table),
        "tr" => close(&["tr"], &in_table),
        "thead" | "tbody" | "tfoot" => close(&["thead", "tbody", "tfoot"], &in_table),
        _ => {}
    }
    if heading(name) {
        close(&["h1", "h2", "h3", "h4", "h5", "h6"], &|_| false);
    }
    let closes_p = !inline(name)
        && !matches!(
            name,
            "br" | "img" | "td" | "th" | "tr" | "caption" | "thead" | "tbody" | "tfoot"
        );
    if closes_p {
        close(&["p"], &inline);
    }
}

enum Token {
    Start(Tag),
    End(String),
}

struct Tag {
    name: String,
    /// Attribute names (lower case) and their values as written (entities
    /// undecoded); the first of duplicates wins, as in HTML.
    attrs: Vec<(String, String)>,
    /// Bytes from the first letter of the name to just after `>`.
    len: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// A tag from the first letter of its name, following the HTML tokeniser's
/// states for names, attributes and quoted values. `None` when the input
/// ends inside the tag (a browser drops such a tag).
fn tag(s: &str) -> Option<Tag> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name = s[..i].to_ascii_lowercase();
    let mut attrs: Vec<(String, String)> = Vec::new();
    loop {
        while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
            i += 1;
        }
        match b.get(i) {
            None => return None,
            Some(b'>') => {
                return Some(Tag {
                    name,
                    attrs,
                    len: i + 1,
                })
            }
            Some(_) => {}
        }
        // Attribute name: a leading `=` belongs to it.
        let start = i;
        i += 1;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let attr = s[start..i].to_ascii_lowercase();
        let mut j = i;
        while j < b.len() && is_space(b[j]) {
            j += 1;
        }
        let mut value = String::new();
        if b.get(j) == Some(&b'=') {
            j += 1;
            while j < b.len() && is_space(b[j]) {
                j += 1;
            }
            match b.get(j) {
                None => return None,
                Some(&q @ (b'"' | b'\'')) => {
                    let end = s[j + 1..].find(q as char)? + j + 1;
                    value = s[j + 1..end].to_string();
                    i = end + 1;
                }
                Some(b'>') => i = j,
                Some(_) => {
                    let end = s[j..]
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .map_or(s.len(), |e| e + j);
                    value = s[j..end].to_string();
                    i = end;
                }
            }
        }
        if !attrs.iter().any(|(a, _)| *a == attr) {
            attrs.push((attr, value));
        }
    }
}

/// Length of a comment starting at `<!--`, by the tokeniser's rules
/// (`<!-->` and `<!--->` are empty comments; `--!>` also ends one).
fn comment_len(s: &str) -> usize {
    let body = &s[4..];
    if body.starts_with('>') {
        return 5;
    }
    if body.starts_with("->") {
        return 6;
    }
    let a = body.find("-->").map(|e| e + 3);
    let b = body.find("--!>").map(|e| e + 4);
    4 + match (a, b) {
        (Some(a), Some(b)) => a.min(b),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => body.len(),
    }
}

/// Just after the end tag closing a raw-text element whose content starts
/// at `from` (the end of the input when there is none).
fn raw_text_end(html: &str, from: usize, name: &str) -> usize {
    let b = html.as_bytes();
    let mut i = from;
    while let Some(off) = html[i..].find("</") {
        let at = i + off;
        let after = at + 2 + name.len();
        let matches = html
            .get(at + 2..after)
            .is_some_and(|n| n.eq_ignore_ascii_case(name));
        if matches
            && b.get(after)
                .is_none_or(|&c| is_space(c) || c == b'/' || c == b'>')
        {
            return match tag(&html[at + 2..]) {
                Some(t) => at + 2 + t.len,
                None => html.len(),
            };
        }
        i = at + 2;
    }
    html.len()
}

fn text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

fn write_start(t: &Tag, out: &mut String) {
    out.push('<');
    out.push_str(&t.name);
    let wanted: &[&str] = match t.name.as_str() {
        "img" => &["src", "width", "height", "alt"],
        "td" | "th" => &["colspan", "rowspan"],
        _ => &[],
    };
    for (name, value) in &t.attrs {
        if wanted.contains(&name.as_str()) {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            // Entities stay as written, for the HTML parser to decode.
            out.push_str(&value.replace('"', "&quot;"));
            out.push('"');
        }
    }
    out.push('>');
}

fn write_end(name: &str, out: &mut String) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}
