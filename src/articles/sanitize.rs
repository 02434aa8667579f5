//! Article bodies: the allow-list sanitiser.
//!
//! A village clerk types into the editor (static/editor.js), pastes from
//! Word, WPS or WeChat, or — with JavaScript off — types plain lines into a
//! textarea. Whatever arrives, the stored body is a small, regular subset of
//! HTML that a set-top box can show and that can never carry a script:
//!
//! | output tag | attributes |
//! | --- | --- |
//! | `p` `h2` `h3` `ul` `ol` `li` `blockquote` | none |
//! | `strong` `em` `u` `br` | none |
//! | `table` `caption` `thead` `tbody` `tfoot` `tr` | none |
//! | `td` `th` | `colspan`, `rowspan` (2..=100) |
//! | `img` | `src` (only `/media/...`), `width`, `height` (1..=4096), `alt` |
//!
//! Decisions:
//! - No links: a set-top box cannot follow an arbitrary address, so `<a>` is
//!   dropped and its text kept.
//! - Images only from the media library (`/media/...`): anything else
//!   (`http(s):`, `//host`, `data:`, `javascript:`, `file:` from a Word paste)
//!   drops the whole `<img>`. Images are lifted out of paragraphs to the top
//!   level, so the TV paginator can give each its own screen.
//! - `h1` becomes `h2`, `h4`-`h6` become `h3`; `b`/`i` become `strong`/`em`.
//! - `div`, `section` (WeChat), `article`, `center`, `form`... are unwrapped;
//!   their loose text becomes paragraphs. `span`, `font`, `a`, `o:p` and other
//!   unknown tags are unwrapped, keeping their text.
//! - `script`, `style`, `xml`, `iframe`, `object`, `embed`, `svg`, `math`,
//!   `noscript`, `template`, form controls, media elements: removed with
//!   everything inside them. Comments (and with them Word's `<!--[if mso]>`
//!   blocks) are removed.
//! - Blank paragraphs (`<p>&nbsp;</p>`, `<p><br></p>`) collapse to at most
//!   one in a row, none at the start or end.
//! - Word wraps its HTML lines in the middle of Chinese text; a line break
//!   between two Chinese characters is removed instead of becoming a space.
//! - Paragraphs inside a table cell or list item become lines (`<br>`);
//!   a table nested in a cell becomes lines; a one-cell table (a layout
//!   wrapper) is unwrapped.
//! - Plain text (no tags at all) becomes paragraphs: one per block of lines
//!   separated by a blank line, single line breaks kept as `<br>`.
//!
//! How: a linear pre-pass (`balance`) keeps only the tags the next pass
//! allows, closes every element in order and caps the nesting depth, so that
//! no input can make the HTML parser slow (it is quadratic in depth); a first
//! ammonia pass with a wider allow-list parses that the way a browser would
//! and removes everything dangerous; the (regular, well-formed) result is
//! read into a small tree, reshaped by the rules above and written out; a
//! second ammonia pass with exactly the output allow-list is the final
//! guarantee, so a mistake in the reshaping can never let markup through.
//! `clean_body` is idempotent. The editor (static/editor.js) applies the same
//! allow-list in the browser; this is what counts.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};

mod balance;

/// What a stored body may contain.
#[rustfmt::skip]
const OUTPUT_TAGS: &[&str] = &[
    "p", "br", "h2", "h3", "strong", "em", "u", "ul", "ol", "li", "blockquote", "table", "caption",
    "thead", "tbody", "tfoot", "tr", "th", "td", "img",
];

/// Kept by the first pass only to be reshaped (renamed or unwrapped) here.
#[rustfmt::skip]
const RESHAPED_TAGS: &[&str] = &[
    "h1", "h4", "h5", "h6", "b", "i", "pre", "hr", "div", "section", "article", "header", "footer",
    "main", "aside", "nav", "figure", "figcaption", "center", "address", "dl", "dt", "dd",
    "details", "summary", "fieldset", "legend", "form", "hgroup",
];

/// Removed together with everything inside them.
#[rustfmt::skip]
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script", "style", "xml", "title", "head", "noscript", "noembed", "noframes", "iframe",
    "frame", "frameset", "object", "embed", "applet", "svg", "math", "template", "textarea",
    "select", "option", "optgroup", "datalist", "button", "canvas", "video", "audio", "picture",
    "map", "dialog", "plaintext", "xmp",
];

/// Deeper nesting than this is flattened (the reshaping is recursive).
const MAX_DEPTH: usize = 48;
const MAX_IMG_SIDE: u32 = 4096;
const MAX_SPAN: u32 = 100;
const MAX_ALT_CHARS: usize = 100;

fn attributes() -> HashMap<&'static str, HashSet<&'static str>> {
    let cell: HashSet<&str> = ["colspan", "rowspan"].into_iter().collect();
    HashMap::from([
        (
            "img",
            ["src", "width", "height", "alt"].into_iter().collect(),
        ),
        ("td", cell.clone()),
        ("th", cell),
    ])
}

fn builder(tags: HashSet<&'static str>) -> Builder<'static> {
    let mut b = Builder::empty();
    b.tags(tags)
        .clean_content_tags(DROPPED_WITH_CONTENT.iter().copied().collect())
        .generic_attributes(HashSet::new())
        .tag_attributes(attributes())
        .tag_attribute_values(HashMap::new())
        .url_schemes(HashSet::new())
        .url_relative(UrlRelative::PassThrough)
        .link_rel(None)
        .strip_comments(true);
    b
}

/// Parses like a browser and removes everything dangerous.
static FIRST_PASS: LazyLock<Builder<'static>> =
    LazyLock::new(|| builder(OUTPUT_TAGS.iter().chain(RESHAPED_TAGS).copied().collect()));

/// Exactly the output allow-list, with the attribute values checked again.
static FINAL_PASS: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = builder(OUTPUT_TAGS.iter().copied().collect());
    b.attribute_filter(|element, attribute, value| {
        let ok = match (element, attribute) {
            ("img", "src") => is_media_src(value),
            ("img", "width" | "height") => small_int(value, MAX_IMG_SIDE).is_some(),
            ("td" | "th", "colspan" | "rowspan") => small_int(value, MAX_SPAN).is_some(),
            ("img", "alt") => true,
            _ => false,
        };
        ok.then(|| value.into())
    });
    b
});

/// The sanitised article body (see the module documentation for the rules).
pub fn clean_body(html: &str) -> String {
    let blocks = reshape(html);
    let mut out = String::with_capacity(html.len().min(1 << 20));
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        write_node(b, &mut out);
    }
    FINAL_PASS.clean(&out).to_string()
}

/// The text of a body, for summaries, search and excerpts: no markup,
/// entities decoded, blocks separated by a space, whitespace collapsed.
pub fn plain_text(html: &str) -> String {
    let mut text = String::new();
    collect_text(&reshape(html), &mut text);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when the body shows nothing: no text but whitespace, and no image.
pub fn is_effectively_empty(html: &str) -> bool {
    !has_content(&reshape(html))
}

/// True for an image address from the media library: `/media/` followed by a
/// plain path (letters, digits, `_ . - /`, no `..` or `//`) and optionally a
/// plain query. Everything else is refused, relative or not.
pub fn is_media_src(src: &str) -> bool {
    let Some(rest) = src.strip_prefix("/media/") else {
        return false;
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    src.len() <= 200
        && !path.is_empty()
        && path.chars().all(|c| plain(c) || c == '/')
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && query.is_none_or(|q| q.chars().all(|c| plain(c) || c == '=' || c == '&'))
}

// ---------------------------------------------------------------- the tree

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    El(El),
}

#[derive(Debug, Clone, PartialEq)]
struct El {
    tag: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl El {
    fn new(tag: &str, children: Vec<Node>) -> El {
        El {
            tag: tag.to_string(),
            attrs: Vec::new(),
            children,
        }
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn br() -> Node {
    Node::El(El::new("br", Vec::new()))
}

fn is_tag(n: &Node, tag: &str) -> bool {
    matches!(n, Node::El(e) if e.tag == tag)
}

fn is_void(tag: &str) -> bool {
    matches!(tag, "br" | "img" | "hr")
}

/// The whole pipeline up to the tree of output blocks.
fn reshape(html: &str) -> Vec<Node> {
    let source = if looks_like_html(html) {
        Cow::Borrowed(html)
    } else {
        Cow::Owned(text_to_html(html))
    };
    let balanced = balance::balance(&source, |tag| {
        OUTPUT_TAGS.contains(&tag) || RESHAPED_TAGS.contains(&tag)
    });
    let first = FIRST_PASS.clean(&balanced).to_string();
    let mut out = Vec::new();
    flow(parse(&first), "p", &mut out);
    tidy_blanks(&mut out);
    out
}

/// A `<` that opens a tag, an end tag or a comment means HTML; a clerk's
/// "1<2" or "<<通知>>" does not.
fn looks_like_html(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?')))
}

/// Plain lines: blocks separated by blank lines become paragraphs, single
/// line breaks stay line breaks.
fn text_to_html(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::new();
    let mut lines: Vec<&str> = Vec::new();
    for line in s.split('\n').chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if !lines.is_empty() {
                out.push_str("<p>");
                for (i, l) in lines.iter().enumerate() {
                    if i > 0 {
                        out.push_str("<br>");
                    }
                    escape_into(l, false, &mut out);
                }
                out.push_str("</p>\n");
                lines.clear();
            }
        } else {
            lines.push(line);
        }
    }
    out
}

// ------------------------------------------- reading the first pass's output

/// Reads ammonia's serialisation: well-formed, attributes double-quoted, text
/// escaped, every non-void element closed, no comments. Nesting deeper than
/// `MAX_DEPTH` is flattened into the nearest kept ancestor.
fn parse(html: &str) -> Vec<Node> {
    let mut root: Vec<Node> = Vec::new();
    let mut stack: Vec<Option<El>> = Vec::new();
    // Entries below MAX_DEPTH are all kept elements, the ones above all
    // skipped, so the parent is found without a search.
    fn append(stack: &mut [Option<El>], root: &mut Vec<Node>, node: Node) {
        let kept = stack.len().min(MAX_DEPTH);
        match kept.checked_sub(1).and_then(|i| stack[i].as_mut()) {
            Some(parent) => parent.children.push(node),
            None => root.push(node),
        }
    }
    let mut rest = html;
    while !rest.is_empty() {
        let b = rest.as_bytes();
        if b[0] == b'<' && b.len() > 1 && b[1] == b'/' {
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            rest = &rest[end..];
            if let Some(Some(el)) = stack.pop() {
                append(&mut stack, &mut root, Node::El(el));
            }
        } else if b[0] == b'<' && b.len() > 1 && b[1].is_ascii_alphabetic() {
            let (el, len) = parse_tag(rest);
            rest = &rest[len..];
            if is_void(&el.tag) {
                append(&mut stack, &mut root, Node::El(el));
            } else if stack.len() >= MAX_DEPTH {
                stack.push(None);
            } else {
                stack.push(Some(el));
            }
        } else {
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let end = rest[first..].find('<').map_or(rest.len(), |e| e + first);
            append(&mut stack, &mut root, Node::Text(decode(&rest[..end])));
            rest = &rest[end..];
        }
    }
    while let Some(open) = stack.pop() {
        if let Some(el) = open {
            append(&mut stack, &mut root, Node::El(el));
        }
    }
    root
}

/// One start tag at the beginning of `s`; returns it and its length.
fn parse_tag(s: &str) -> (El, usize) {
    let name_end = s[1..]
        .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .map_or(s.len(), |e| e + 1);
    let mut el = El::new(&s[1..name_end].to_ascii_lowercase(), Vec::new());
    let mut i = name_end;
    let bytes = s.as_bytes();
    while i < s.len() {
        match bytes[i] {
            b'>' => return (el, i + 1),
            b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => i += 1,
            _ => {
                let n_end = s[i..]
                    .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>')
                    .map_or(s.len(), |e| i + e);
                let name = s[i..n_end].to_ascii_lowercase();
                i = n_end;
                let mut value = String::new();
                if bytes.get(i) == Some(&b'=') {
                    i += 1;
                    match bytes.get(i) {
                        Some(&q) if q == b'"' || q == b'\'' => {
                            let v_end = s[i + 1..].find(q as char).map_or(s.len(), |e| i + 1 + e);
                            value = decode(&s[i + 1..v_end]);
                            i = (v_end + 1).min(s.len());
                        }
                        _ => {
                            let v_end = s[i..]
                                .find(|c: char| c.is_ascii_whitespace() || c == '>')
                                .map_or(s.len(), |e| i + e);
                            value = decode(&s[i..v_end]);
                            i = v_end;
                        }
                    }
                }
                el.attrs.push((name, value));
            }
        }
    }
    (el, s.len())
}

/// Decodes the character references a serialiser writes.
fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&e| e <= 10).and_then(|e| {
            let c = match &rest[1..e] {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                r if r.starts_with("#x") || r.starts_with("#X") => u32::from_str_radix(&r[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                r if r.starts_with('#') => r[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

// ------------------------------------------------------------- reshaping

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Inline,
    Container,
    Heading(&'static str),
    Pre,
    List,
    Table,
    Quote,
    Rule,
}

fn kind(tag: &str) -> Kind {
    match tag {
        "strong" | "b" | "em" | "i" | "u" | "br" | "img" => Kind::Inline,
        "h1" | "h2" => Kind::Heading("h2"),
        "h3" | "h4" | "h5" | "h6" => Kind::Heading("h3"),
        "pre" => Kind::Pre,
        "ul" | "ol" => Kind::List,
        "table" => Kind::Table,
        "blockquote" => Kind::Quote,
        "hr" => Kind::Rule,
        // p, div, section, li outside a list, stray table parts, ...
        _ => Kind::Container,
    }
}

fn has_block(el: &El) -> bool {
    el.children.iter().any(|c| match c {
        Node::El(e) => kind(&e.tag) != Kind::Inline || has_block(e),
        Node::Text(_) => false,
    })
}

/// Turns mixed content into blocks, wrapping loose inline runs in `wrap`
/// (`p`, or the heading being read).
fn flow(nodes: Vec<Node>, wrap: &'static str, out: &mut Vec<Node>) {
    let mut run: Vec<Node> = Vec::new();
    for node in nodes {
        let el = match node {
            Node::El(el) => el,
            text => {
                run.push(text);
                continue;
            }
        };
        match kind(&el.tag) {
            Kind::Inline if !has_block(&el) => {
                run.push(Node::El(el));
                continue;
            }
            _ => flush(&mut run, wrap, out),
        }
        match kind(&el.tag) {
            Kind::Inline | Kind::Container => flow(el.children, wrap, out),
            Kind::Heading(h) => flow(el.children, h, out),
            Kind::Pre => flow(pre_breaks(el.children), wrap, out),
            Kind::List => out.extend(list(el).map(Node::El)),
            Kind::Table => table(el, out),
            Kind::Quote => {
                let mut inner = Vec::new();
                flow(el.children, "p", &mut inner);
                tidy_blanks(&mut inner);
                if !inner.is_empty() {
                    out.push(Node::El(El::new("blockquote", inner)));
                }
            }
            Kind::Rule => {}
        }
    }
    flush(&mut run, wrap, out);
}

/// Ends a run of inline content: a paragraph (or heading), images lifted out
/// of it, or one blank paragraph when it only held `&nbsp;` or `<br>`.
fn flush(run: &mut Vec<Node>, wrap: &'static str, out: &mut Vec<Node>) {
    if run.is_empty() {
        return;
    }
    let nodes: Vec<Node> = std::mem::take(run).into_iter().flat_map(inline).collect();
    let has_img = nodes.iter().any(|n| is_tag(n, "img"));
    let blank = !has_img && renders_blank(&nodes);
    let mut segment = Vec::new();
    for n in nodes {
        if is_tag(&n, "img") {
            emit(std::mem::take(&mut segment), wrap, out);
            out.push(n);
        } else {
            segment.push(n);
        }
    }
    let before = out.len();
    emit(segment, wrap, out);
    if blank && wrap == "p" && out.len() == before {
        out.push(Node::El(El::new("p", vec![br()])));
    }
}

fn emit(nodes: Vec<Node>, wrap: &str, out: &mut Vec<Node>) {
    let nodes = tidy_inline(nodes);
    if has_content(&nodes) {
        out.push(Node::El(El::new(wrap, nodes)));
    }
}

/// Inline content, normalised: `b`→`strong`, `i`→`em`, images checked and
/// split out of formatting, anything else unwrapped.
fn inline(node: Node) -> Vec<Node> {
    let el = match node {
        Node::El(el) => el,
        text => return vec![text],
    };
    match el.tag.as_str() {
        "br" => vec![br()],
        "img" => image(&el).map(Node::El).into_iter().collect(),
        "strong" | "b" => format("strong", el.children),
        "em" | "i" => format("em", el.children),
        "u" => format("u", el.children),
        _ => el.children.into_iter().flat_map(inline).collect(),
    }
}

fn format(tag: &str, children: Vec<Node>) -> Vec<Node> {
    let mut out = Vec::new();
    let mut segment = Vec::new();
    for n in children.into_iter().flat_map(inline) {
        match n {
            Node::El(e) if e.tag == tag => segment.extend(e.children),
            n if is_tag(&n, "img") => {
                if !segment.is_empty() {
                    out.push(Node::El(El::new(tag, std::mem::take(&mut segment))));
                }
                out.push(n);
            }
            n => segment.push(n),
        }
    }
    if !segment.is_empty() {
        out.push(Node::El(El::new(tag, segment)));
    }
    out
}

fn image(el: &El) -> Option<El> {
    let src = el.attr("src").filter(|s| is_media_src(s))?;
    let mut img = El::new("img", Vec::new());
    img.attrs.push(("src".into(), src.to_string()));
    for side in ["width", "height"] {
        if let Some(n) = el.attr(side).and_then(|v| small_int(v, MAX_IMG_SIDE)) {
            img.attrs.push((side.into(), n.to_string()));
        }
    }
    let alt: String = el
        .attr("alt")
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_ALT_CHARS)
        .collect();
    if !alt.is_empty() {
        img.attrs.push(("alt".into(), alt));
    }
    Some(img)
}

/// A positive integer of at most `max`, written with digits only.
fn small_int(v: &str, max: u32) -> Option<u32> {
    let v = v.trim();
    if v.is_empty() || v.len() > 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().filter(|n| (1..=max).contains(n))
}

/// Line breaks of preformatted text become `<br>`.
fn pre_breaks(nodes: Vec<Node>) -> Vec<Node> {
    let mut out = Vec::new();
    for n in nodes {
        match n {
            Node::Text(t) => {
                for (i, line) in t.split('\n').enumerate() {
                    if i > 0 {
                        out.push(br());
                    }
                    if !line.is_empty() {
                        out.push(Node::Text(line.to_string()));
                    }
                }
            }
            Node::El(mut e) => {
                e.children = pre_breaks(e.children);
                out.push(Node::El(e));
            }
        }
    }
    out
}

/// Only `&nbsp;`, full-width spaces or `<br>`: an intended blank line.
fn renders_blank(nodes: &[Node]) -> bool {
    nodes.iter().any(|n| match n {
        Node::Text(t) => t.contains(['\u{a0}', '\u{3000}']),
        Node::El(e) => e.tag == "br" || renders_blank(&e.children),
    })
}

/// Some text that is not whitespace, or an image.
fn has_content(nodes: &[Node]) -> bool {
    nodes.iter().any(|n| match n {
        Node::Text(t) => t.chars().any(|c| !c.is_whitespace()),
        Node::El(e) => e.tag == "img" || has_content(&e.children),
    })
}

/// Collapses whitespace, trims line breaks at the edges (and runs of more
/// than two), and unwraps formatting that holds nothing.
fn tidy_inline(nodes: Vec<Node>) -> Vec<Node> {
    let mut state = Spacing {
        prev: None,
        pending: None,
    };
    let mut nodes = prune(spacing(nodes, &mut state));
    while nodes.first().is_some_and(|n| is_tag(n, "br")) {
        nodes.remove(0);
    }
    while nodes.last().is_some_and(|n| is_tag(n, "br")) {
        nodes.pop();
    }
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    for n in nodes {
        let brs = out.iter().rev().take_while(|m| is_tag(m, "br")).count();
        if !(is_tag(&n, "br") && brs >= 2) {
            out.push(n);
        }
    }
    out
}

struct Spacing {
    /// The last character written in this block (`None` at its start and
    /// after a `<br>`).
    prev: Option<char>,
    /// Collapsible whitespace seen since; `true` when it held a line break.
    pending: Option<bool>,
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2e80}'..='\u{2fdf}' | '\u{3000}'..='\u{303f}' | '\u{3040}'..='\u{30ff}'
        | '\u{3100}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{fe30}'..='\u{fe4f}'
        | '\u{ff00}'..='\u{ffef}')
}

fn spacing(nodes: Vec<Node>, st: &mut Spacing) -> Vec<Node> {
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        match n {
            Node::Text(t) => {
                let mut s = String::with_capacity(t.len());
                for c in t.chars() {
                    if matches!(c, '\u{200b}' | '\u{feff}')
                        || (c.is_control() && !c.is_ascii_whitespace())
                    {
                        continue; // zero-width and control characters
                    }
                    if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
                        let newline = matches!(c, '\n' | '\r');
                        st.pending = Some(st.pending.unwrap_or(false) || newline);
                        continue;
                    }
                    if let (Some(newline), Some(prev)) = (st.pending.take(), st.prev) {
                        if !(newline && is_cjk(prev) && is_cjk(c)) {
                            s.push(' ');
                        }
                    }
                    s.push(c);
                    st.prev = Some(c);
                }
                if !s.is_empty() {
                    out.push(Node::Text(s));
                }
            }
            Node::El(e) if e.tag == "br" => {
                st.pending = None;
                st.prev = None;
                out.push(Node::El(e));
            }
            Node::El(e) if e.tag == "img" => {
                if st.pending.take().is_some() && st.prev.is_some() {
                    out.push(Node::Text(" ".into()));
                }
                st.prev = Some('\u{fffc}');
                out.push(Node::El(e));
            }
            Node::El(mut e) => {
                // A space before formatting goes outside it.
                if let (Some(newline), Some(prev), Some(next)) =
                    (st.pending, st.prev, first_char(&e.children))
                {
                    if !(newline && is_cjk(prev) && is_cjk(next)) {
                        out.push(Node::Text(" ".into()));
                    }
                    st.pending = None;
                }
                e.children = spacing(e.children, st);
                out.push(Node::El(e));
            }
        }
    }
    out
}

/// The first character a run of inline content shows (`None` when a line
/// break or nothing comes first).
fn first_char(nodes: &[Node]) -> Option<char> {
    for n in nodes {
        match n {
            Node::Text(t) => {
                if let Some(c) = t.chars().find(|c| !c.is_ascii_whitespace()) {
                    return Some(c);
                }
            }
            Node::El(e) if e.tag == "br" => return None,
            Node::El(e) if e.tag == "img" => return Some('\u{fffc}'),
            Node::El(e) => {
                if let Some(c) = first_char(&e.children) {
                    return Some(c);
                }
            }
        }
    }
    None
}

fn prune(nodes: Vec<Node>) -> Vec<Node> {
    let mut out = Vec::with_capacity(nodes.len());
    for n in nodes {
        match n {
            Node::El(mut e) if !is_void(&e.tag) => {
                e.children = prune(e.children);
                if has_content(&e.children) {
                    out.push(Node::El(e));
                } else {
                    out.extend(e.children);
                }
            }
            Node::Text(t) if t.is_empty() => {}
            n => out.push(n),
        }
    }
    out
}

fn is_blank(n: &Node) -> bool {
    matches!(n, Node::El(e) if e.tag == "p" && !has_content(&e.children))
}

/// At most one blank paragraph in a row, none at the start or end.
fn tidy_blanks(blocks: &mut Vec<Node>) {
    let mut prev_blank = true;
    blocks.retain(|b| {
        let blank = is_blank(b);
        let keep = !(blank && prev_blank);
        prev_blank = blank;
        keep
    });
    while blocks.last().is_some_and(is_blank) {
        blocks.pop();
    }
}

/// Content of a table cell or list item: lines, not paragraphs. Headings
/// become bold lines; lists stay; a nested table becomes lines.
fn lines(children: Vec<Node>) -> Vec<Node> {
    let mut blocks = Vec::new();
    flow(children, "p", &mut blocks);
    let mut out = Vec::new();
    lines_into(blocks, &mut out);
    out
}

fn lines_into(blocks: Vec<Node>, out: &mut Vec<Node>) {
    let push_line = |out: &mut Vec<Node>, line: Vec<Node>| {
        if !out.is_empty()
            && !out
                .last()
                .is_some_and(|n| is_tag(n, "ul") || is_tag(n, "ol"))
        {
            out.push(br());
        }
        out.extend(line);
    };
    for b in blocks {
        let Node::El(e) = b else { continue };
        match e.tag.as_str() {
            "p" if !has_content(&e.children) => {}
            "p" => push_line(out, e.children),
            "h2" | "h3" => push_line(out, vec![Node::El(El::new("strong", e.children))]),
            "img" => push_line(out, vec![Node::El(e)]),
            "blockquote" => lines_into(e.children, out),
            "table" => {
                for row in table_rows(&e) {
                    push_line(out, row);
                }
            }
            _ => out.push(Node::El(e)), // ul, ol
        }
    }
}

/// The rows of a reshaped table as lines of cell contents.
fn table_rows(table: &El) -> Vec<Vec<Node>> {
    let mut rows = Vec::new();
    for part in &table.children {
        let Node::El(part) = part else { continue };
        if part.tag == "caption" {
            rows.push(part.children.clone());
            continue;
        }
        for tr in &part.children {
            let Node::El(tr) = tr else { continue };
            let mut line = Vec::new();
            for cell in &tr.children {
                let Node::El(cell) = cell else { continue };
                if !has_content(&cell.children) {
                    continue;
                }
                if !line.is_empty() {
                    line.push(Node::Text("\u{3000}".into()));
                }
                // Lines inside a cell are joined by spaces here.
                for n in &cell.children {
                    if is_tag(n, "br") {
                        line.push(Node::Text(" ".into()));
                    } else {
                        line.push(n.clone());
                    }
                }
            }
            if !line.is_empty() {
                rows.push(line);
            }
        }
    }
    rows
}

fn list(el: El) -> Option<El> {
    let tag = if el.tag == "ol" { "ol" } else { "ul" };
    let mut items: Vec<Node> = Vec::new();
    let mut loose: Vec<Node> = Vec::new();
    let flush_loose = |loose: &mut Vec<Node>, items: &mut Vec<Node>| {
        if !loose.is_empty() {
            let content = lines(std::mem::take(loose));
            if has_content(&content) {
                items.push(Node::El(El::new("li", content)));
            }
        }
    };
    for child in el.children {
        match child {
            Node::El(li) if li.tag == "li" => {
                flush_loose(&mut loose, &mut items);
                let content = lines(li.children);
                if has_content(&content) {
                    items.push(Node::El(El::new("li", content)));
                }
            }
            Node::El(sub) if kind(&sub.tag) == Kind::List => {
                flush_loose(&mut loose, &mut items);
                if let Some(sub) = list(sub) {
                    match items.last_mut() {
                        Some(Node::El(last)) => last.children.push(Node::El(sub)),
                        _ => items.push(Node::El(El::new("li", vec![Node::El(sub)]))),
                    }
                }
            }
            other => loose.push(other),
        }
    }
    flush_loose(&mut loose, &mut items);
    (!items.is_empty()).then(|| El::new(tag, items))
}

fn count_cells(el: &El) -> usize {
    el.children
        .iter()
        .map(|c| match c {
            Node::El(e) if e.tag == "td" || e.tag == "th" => 1,
            Node::El(e) if matches!(e.tag.as_str(), "thead" | "tbody" | "tfoot" | "tr") => {
                count_cells(e)
            }
            _ => 0,
        })
        .sum()
}

fn table(el: El, out: &mut Vec<Node>) {
    // A one-cell table is a layout wrapper: keep its content, not the box.
    if count_cells(&el) == 1 {
        for part in el.children {
            let Node::El(part) = part else { continue };
            if part.tag == "caption" {
                flow(part.children, "p", out);
                continue;
            }
            let rows = if part.tag == "tr" {
                vec![Node::El(part)]
            } else {
                part.children
            };
            for tr in rows {
                let Node::El(tr) = tr else { continue };
                for cell in tr.children {
                    if let Node::El(cell) = cell {
                        if cell.tag == "td" || cell.tag == "th" {
                            flow(cell.children, "p", out);
                        }
                    }
                }
            }
        }
        return;
    }
    let mut caption = None;
    let mut parts: Vec<El> = Vec::new();
    for child in el.children {
        let Node::El(child) = child else { continue };
        match child.tag.as_str() {
            "caption" if caption.is_none() => {
                let content = lines(child.children);
                if has_content(&content) {
                    caption = Some(El::new("caption", content));
                }
            }
            "thead" | "tbody" | "tfoot" => {
                let rows = rows(child.children);
                if !rows.is_empty() {
                    parts.push(El::new(&child.tag, rows));
                }
            }
            "tr" => {
                let row = rows(vec![Node::El(child)]);
                match parts.last_mut() {
                    Some(p) if p.tag == "tbody" => p.children.extend(row),
                    _ if !row.is_empty() => parts.push(El::new("tbody", row)),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if parts.is_empty() {
        return;
    }
    let mut children: Vec<Node> = caption.into_iter().map(Node::El).collect();
    children.extend(parts.into_iter().map(Node::El));
    out.push(Node::El(El::new("table", children)));
}

fn rows(children: Vec<Node>) -> Vec<Node> {
    let mut out = Vec::new();
    for tr in children {
        let Node::El(tr) = tr else { continue };
        if tr.tag != "tr" {
            continue;
        }
        let mut cells = Vec::new();
        for cell in tr.children {
            let Node::El(cell) = cell else { continue };
            if cell.tag != "td" && cell.tag != "th" {
                continue;
            }
            let mut c = El::new(&cell.tag, Vec::new());
            for span in ["colspan", "rowspan"] {
                if let Some(n) = cell.attr(span).and_then(|v| small_int(v, MAX_SPAN)) {
                    if n > 1 {
                        c.attrs.push((span.into(), n.to_string()));
                    }
                }
            }
            c.children = lines(cell.children);
            cells.push(Node::El(c));
        }
        if !cells.is_empty() {
            out.push(Node::El(El::new("tr", cells)));
        }
    }
    out
}

// ------------------------------------------------------------- writing

fn escape_into(s: &str, attr: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

fn write_node(n: &Node, out: &mut String) {
    match n {
        Node::Text(t) => escape_into(t, false, out),
        Node::El(e) => {
            out.push('<');
            out.push_str(&e.tag);
            for (k, v) in &e.attrs {
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                escape_into(v, true, out);
                out.push('"');
            }
            out.push('>');
            if !is_void(&e.tag) {
                for c in &e.children {
                    write_node(c, out);
                }
                out.push_str("</");
                out.push_str(&e.tag);
                out.push('>');
            }
        }
    }
}

fn collect_text(nodes: &[Node], out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::El(e) if e.tag == "br" => out.push(' '),
            Node::El(e) => {
                let block = !matches!(e.tag.as_str(), "strong" | "em" | "u" | "img");
                if block {
                    out.push(' ');
                }
                collect_text(&e.children, out);
                if block {
                    out.push(' ');
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
