//! Splits a sanitised article body into TV screen pages that never scroll.
//!
//! The body is a sequence of top-level blocks (paragraphs, headings, lists,
//! tables, images). Each block's height is estimated in text lines at the TV
//! font size; blocks are packed into pages of `LINES_PER_PAGE`. A paragraph
//! longer than a page is cut at character boundaries; a long table is cut
//! into row groups that repeat its header; an image gets a page of its own.

/// Chinese characters per line of article text on the TV (TV.md: at most ~24).
pub const CHARS_PER_LINE: usize = 24;
/// Lines of article text per screen.
pub const LINES_PER_PAGE: usize = 8;

/// How much text a screen page holds: characters a line, lines a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    pub chars: usize,
    pub lines: usize,
}

impl Fit {
    /// A 1280x720 screen: 800 px of text at 30 px.
    pub const HD: Fit = Fit {
        chars: CHARS_PER_LINE,
        lines: LINES_PER_PAGE,
    };
    /// A 720x576 screen: 480 px of text at 24 px, beside the page controls.
    pub const SD: Fit = Fit {
        chars: 20,
        lines: 7,
    };
}

#[derive(Debug, Clone, PartialEq)]
struct Block {
    html: String,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Heading,
    List,
    Table,
    Image,
}

/// Top-level blocks of well-formed (sanitised) HTML.
fn blocks(html: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    let mut start = 0usize;
    let mut loose = String::new();
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let end = match html[i..].find('>') {
                Some(e) => i + e + 1,
                None => break,
            };
            let tag = &html[i..end];
            let closing = tag.starts_with("</");
            let name: String = tag
                .trim_start_matches("</")
                .trim_start_matches('<')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            let void = matches!(name.as_str(), "br" | "img" | "hr") || tag.ends_with("/>");
            if depth == 0 && !closing {
                if !loose.trim().is_empty() {
                    out.push(Block {
                        html: format!("<p>{}</p>", loose.trim()),
                        kind: Kind::Text,
                    });
                }
                loose.clear();
                start = i;
            }
            if void {
                if depth == 0 && name == "img" {
                    out.push(Block {
                        html: tag.to_string(),
                        kind: Kind::Image,
                    });
                } else if depth == 0 && name == "br" {
                    // A stray line break between blocks carries nothing.
                }
            } else if closing {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let kind = match name.as_str() {
                        "h2" | "h3" => Kind::Heading,
                        "ul" | "ol" => Kind::List,
                        "table" => Kind::Table,
                        _ => Kind::Text,
                    };
                    out.push(Block {
                        html: html[start..end].to_string(),
                        kind,
                    });
                }
            } else {
                depth += 1;
            }
            i = end;
        } else {
            let next = html[i..].find('<').map_or(html.len(), |n| i + n);
            if depth == 0 {
                loose.push_str(&html[i..next]);
            }
            i = next;
        }
    }
    if !loose.trim().is_empty() {
        out.push(Block {
            html: format!("<p>{}</p>", loose.trim()),
            kind: Kind::Text,
        });
    }
    out
}

fn text_of(html: &str) -> String {
    super::sanitize::plain_text(html)
}

fn lines_for(text: &str, fit: Fit) -> usize {
    text.chars().count().div_ceil(fit.chars).max(1)
}

/// The estimated height of a block, in lines.
fn height(b: &Block, fit: Fit) -> usize {
    match b.kind {
        Kind::Text => lines_for(&text_of(&b.html), fit),
        Kind::Heading => lines_for(&text_of(&b.html), fit) + 1,
        Kind::List => b
            .html
            .split("<li")
            .skip(1)
            .map(|li| lines_for(&text_of(&format!("<li{li}")), fit))
            .sum::<usize>()
            .max(1),
        Kind::Table => rows(&b.html).len() + 1,
        Kind::Image => fit.lines,
    }
}

/// The `<tr>…</tr>` rows of a table.
fn rows(table: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = table;
    while let Some(s) = rest.find("<tr") {
        let Some(e) = rest[s..].find("</tr>") else {
            break;
        };
        out.push(rest[s..s + e + 5].to_string());
        rest = &rest[s + e + 5..];
    }
    out
}

/// Cuts a table into tables of `first` body rows (none when 0), then at most
/// `per` body rows each, every part repeating the header row.
fn split_table(table: &str, first: usize, per: usize) -> Vec<String> {
    let all = rows(table);
    let Some((header, body)) = all.split_first() else {
        return vec![table.to_string()];
    };
    let has_th = header.contains("<th");
    let (header, body): (Option<&String>, &[String]) = if has_th {
        (Some(header), body)
    } else {
        (None, &all[..])
    };
    let first = first.min(body.len());
    let mut chunks: Vec<&[String]> = Vec::new();
    if first > 0 {
        chunks.push(&body[..first]);
    }
    chunks.extend(body[first..].chunks(per.max(1)));
    chunks
        .into_iter()
        .map(|chunk| {
            let mut t = String::from("<table>");
            if let Some(h) = header {
                t.push_str(h);
            }
            for r in chunk {
                t.push_str(r);
            }
            t.push_str("</table>");
            t
        })
        .collect()
}

/// A paragraph of text alone: cutting it loses nothing (one with bold,
/// a line break or an image inside moves whole to the next page).
fn is_plain(html: &str) -> bool {
    html.strip_prefix("<p>")
        .and_then(|h| h.strip_suffix("</p>"))
        .is_some_and(|inner| !inner.contains('<'))
}

/// Characters the first line of a paragraph loses to its indent (tv.css:
/// `text-indent: 2em`).
const INDENT: usize = 2;

/// Closing punctuation, which never starts a page (UAX #14 class CL/IS/EX).
fn closes(c: char) -> bool {
    "，。、；：？！）》」』】〉〕］”’％·…,.;:?!)%".contains(c)
}

/// Cuts a paragraph's text: the first part fills `first` lines (its first
/// line indented), the others a page each, marked as going on (no indent:
/// `p.cont`). No part starts with closing punctuation.
fn split_text(html: &str, first: usize, fit: Fit) -> Vec<String> {
    let text: Vec<char> = text_of(html).chars().collect();
    let per_page = (fit.lines * fit.chars).max(1);
    let mut cut = (first * fit.chars)
        .saturating_sub(INDENT)
        .clamp(1, text.len().max(1));
    let mut parts = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = cut.min(text.len());
        while end < text.len() && end > start + 1 && closes(text[end]) {
            end -= 1;
        }
        let part: String = text[start..end].iter().collect();
        parts.push(if start == 0 {
            format!("<p>{}</p>", escape(&part))
        } else {
            format!("<p class=\"cont\">{}</p>", escape(&part))
        });
        start = end;
        cut = end + per_page;
    }
    parts
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The medium an `<img>` tag shows: the key in its `src`, `/media/{key}/…`
/// (the medium's token, or its id in older addresses).
fn image_key(tag: &str) -> Option<&str> {
    let at = tag.find("src=\"/media/")? + "src=\"/media/".len();
    tag[at..].split('/').next().filter(|k| !k.is_empty())
}

/// The media keys of the images in a body.
pub fn image_keys(body: &str) -> Vec<String> {
    body.match_indices("<img")
        .filter_map(|(i, _)| {
            body[i..]
                .find('>')
                .and_then(|e| image_key(&body[i..i + e + 1]))
                .map(str::to_string)
        })
        .collect()
}

/// Points every image at its `page` rendition (HD) with that rendition's
/// size (`sizes`: key, id, width, height); images not in `sizes` are left
/// out. TV pages show only live content, whose media are public: their id
/// addresses them.
pub fn with_page_images(body: &str, sizes: &[(String, i64, i32, i32)]) -> String {
    with_images(body, sizes, "page")
}

/// As [`with_page_images`], pointing at the rendition named `kind` (the SD
/// profile's `sdpage`), whose sizes `sizes` gives.
pub fn with_images(body: &str, sizes: &[(String, i64, i32, i32)], kind: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find("<img") {
        out.push_str(&rest[..i]);
        let Some(e) = rest[i..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[i..i + e + 1];
        if let Some((_, id, w, h)) =
            image_key(tag).and_then(|key| sizes.iter().find(|s| s.0 == key))
        {
            out.push_str(&format!(
                "<img src=\"/media/{id}/{kind}\" width=\"{w}\" height=\"{h}\" alt=\"\">"
            ));
        }
        rest = &rest[i + e + 1..];
    }
    out.push_str(rest);
    out
}

/// The body as screen pages of HTML for a 1280x720 screen; never empty.
pub fn paginate(body: &str) -> Vec<String> {
    paginate_to(body, Fit::HD)
}

/// The body as screen pages of HTML holding `fit` each; never empty.
pub fn paginate_to(body: &str, fit: Fit) -> Vec<String> {
    let mut pages: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut used = 0usize;
    let flush = |current: &mut String, used: &mut usize, pages: &mut Vec<String>| {
        if !current.is_empty() {
            pages.push(std::mem::take(current));
        }
        *used = 0;
    };
    for block in blocks(body) {
        let h = height(&block, fit);
        if block.kind == Kind::Image {
            flush(&mut current, &mut used, &mut pages);
            pages.push(block.html);
            continue;
        }
        if used + h <= fit.lines {
            current.push_str(&block.html);
            used += h;
            continue;
        }
        // A table that does not fit starts on this page when its header and
        // two rows still fit, and goes on over the next pages.
        let free = fit.lines - used;
        let parts = if block.kind == Kind::Table && free >= 3 {
            split_table(&block.html, free - 1, fit.lines - 1)
        } else if block.kind == Kind::Text && free >= 2 && is_plain(&block.html) {
            // A paragraph fills the page's free lines and goes on over the
            // next: whole paragraphs left half of an SD screen empty.
            split_text(&block.html, free, fit)
        } else {
            flush(&mut current, &mut used, &mut pages);
            if h <= fit.lines {
                current.push_str(&block.html);
                used = h;
                continue;
            }
            // Taller than a page: cut it.
            match block.kind {
                Kind::Table => split_table(&block.html, 0, fit.lines - 1),
                _ => split_text(&block.html, fit.lines, fit),
            }
        };
        // All parts but the last fill pages; the last may share its page.
        let last = parts.len().saturating_sub(1);
        for (n, part) in parts.into_iter().enumerate() {
            if n < last {
                current.push_str(&part);
                flush(&mut current, &mut used, &mut pages);
            } else {
                used = height(
                    &Block {
                        html: part.clone(),
                        kind: block.kind,
                    },
                    fit,
                );
                current = part;
            }
        }
    }
    flush(&mut current, &mut used, &mut pages);
    if pages.is_empty() {
        pages.push(String::new());
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_bodies_fit_one_page() {
        let pages = paginate("<p>各位村民：</p><p>明天上午九点开会。</p>");
        assert_eq!(pages.len(), 1);
        assert!(pages[0].contains("开会"));
    }

    #[test]
    fn long_text_is_cut_into_pages_that_fit() {
        let para = format!("<p>{}</p>", "村".repeat(CHARS_PER_LINE * 3));
        let body = para.repeat(10); // 30 lines
        let pages = paginate(&body);
        // Pages are filled: a paragraph that does not fit goes on over the
        // next page, so 30 lines take 4 pages of 8.
        assert_eq!(pages.len(), 4, "{pages:?}");
        for p in &pages {
            let lines: usize = blocks(p).iter().map(|b| height(b, Fit::HD)).sum();
            assert!(lines <= LINES_PER_PAGE, "{lines} lines on a page");
        }
        // An SD screen holds less: more pages, each within its fit.
        let sd = paginate_to(&body, Fit::SD);
        assert!(sd.len() > pages.len(), "{} SD pages", sd.len());
        for p in &sd {
            let lines: usize = blocks(p).iter().map(|b| height(b, Fit::SD)).sum();
            assert!(lines <= Fit::SD.lines, "{lines} lines on an SD page");
        }
        // Nothing is lost.
        let all: String = pages.iter().map(|p| text_of(p)).collect();
        assert_eq!(
            all.chars().filter(|c| *c == '村').count(),
            CHARS_PER_LINE * 30
        );
    }

    #[test]
    fn a_paragraph_longer_than_a_page_is_cut() {
        let body = format!(
            "<p>{}</p>",
            "字".repeat(CHARS_PER_LINE * LINES_PER_PAGE * 2 + 5)
        );
        let pages = paginate(&body);
        assert_eq!(pages.len(), 3);
    }

    #[test]
    fn a_paragraph_that_does_not_fit_fills_the_page_and_goes_on() {
        // 4 lines on an SD page of 7, then a paragraph of 5 lines: its first
        // 3 lines fill the page (less the indent), the rest goes on without.
        let first = format!("<p>{}</p>", "甲".repeat(4 * Fit::SD.chars));
        let second = "乙".repeat(5 * Fit::SD.chars - 7) + "，丙。";
        let pages = paginate_to(&format!("{first}<p>{second}</p>"), Fit::SD);
        assert_eq!(pages.len(), 2, "{pages:?}");
        let head = 3 * Fit::SD.chars - INDENT;
        assert!(
            pages[0].ends_with(&format!("<p>{}</p>", "乙".repeat(head))),
            "{}",
            pages[0]
        );
        assert!(pages[1].starts_with("<p class=\"cont\">乙"), "{}", pages[1]);
        // All of it is there, once.
        let all: String = pages.iter().map(|p| text_of(p)).collect();
        let all = all.chars().filter(|c| !c.is_whitespace()).count();
        assert_eq!(all, 4 * Fit::SD.chars + second.chars().count());
    }

    #[test]
    fn a_paragraph_with_markup_moves_whole_instead_of_losing_it() {
        let first = format!("<p>{}</p>", "甲".repeat(4 * Fit::SD.chars));
        let second = format!("<p>{}<strong>截止十二月十日</strong></p>", "乙".repeat(60));
        let pages = paginate_to(&format!("{first}{second}"), Fit::SD);
        assert_eq!(pages.len(), 2, "{pages:?}");
        assert_eq!(pages[1], second, "the bold part is kept");
    }

    #[test]
    fn no_page_starts_with_closing_punctuation() {
        // The cut would fall just before "，": it moves back one character.
        let fit = Fit {
            chars: 10,
            lines: 2,
        };
        let text = "甲".repeat(18) + "，" + &"乙".repeat(30);
        let parts = split_text(&format!("<p>{text}</p>"), 2, fit);
        for p in &parts[1..] {
            assert!(!text_of(p).starts_with('，'), "{parts:?}");
        }
        assert_eq!(parts.iter().map(|p| text_of(p)).collect::<String>(), text);
    }

    #[test]
    fn images_get_their_own_page() {
        let pages =
            paginate("<p>前</p><img src=\"/media/1/full\" width=\"1152\" height=\"648\"><p>后</p>");
        assert_eq!(pages.len(), 3);
        assert!(pages[1].starts_with("<img"));
    }

    #[test]
    fn long_tables_repeat_their_header() {
        let mut t = String::from("<table><tr><th>项目</th><th>金额</th></tr>");
        for i in 0..20 {
            t.push_str(&format!("<tr><td>支出{i}</td><td>{i}00</td></tr>"));
        }
        t.push_str("</table>");
        let pages = paginate(&t);
        assert!(pages.len() >= 3, "{}", pages.len());
        for p in &pages {
            assert!(p.contains("<th>项目</th>"), "{p}");
            assert!(rows(p).len() <= LINES_PER_PAGE);
        }
        let cells: usize = pages.iter().map(|p| p.matches("<td>支出").count()).sum();
        assert_eq!(cells, 20);
    }

    #[test]
    fn a_table_starts_below_a_short_paragraph() {
        let mut t = String::from("<p>说明</p><table><tr><th>项目</th><th>金额</th></tr>");
        for i in 0..10 {
            t.push_str(&format!("<tr><td>支出{i}</td><td>{i}00</td></tr>"));
        }
        t.push_str("</table>");
        let pages = paginate(&t);
        assert_eq!(pages.len(), 2, "{pages:?}");
        assert!(pages[0].contains("说明") && pages[0].contains("支出0"));
        let cells: usize = pages.iter().map(|p| p.matches("<td>支出").count()).sum();
        assert_eq!(cells, 10);
    }

    #[test]
    fn images_point_at_their_page_rendition() {
        let body = "<p>看</p><img src=\"/media/ab12/full\" width=\"1152\" height=\"648\" alt=\"x\"><img src=\"/media/9/full\">";
        assert_eq!(image_keys(body), vec!["ab12", "9"]);
        let out = with_page_images(body, &[("ab12".into(), 7, 760, 428)]);
        assert_eq!(
            out,
            "<p>看</p><img src=\"/media/7/page\" width=\"760\" height=\"428\" alt=\"\">"
        );
        let sd = with_images(body, &[("9".into(), 9, 400, 225)], "sdpage");
        assert_eq!(
            sd,
            "<p>看</p><img src=\"/media/9/sdpage\" width=\"400\" height=\"225\" alt=\"\">"
        );
    }

    #[test]
    fn empty_body_is_one_empty_page() {
        assert_eq!(paginate(""), vec![String::new()]);
    }
}
