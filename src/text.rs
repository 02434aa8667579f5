//! Text measured the way a TV row shows it: a CJK character takes two
//! columns, Latin letters and digits one (East Asian Width, UAX #11), and
//! text made breakable for engines without CJK line breaking: `<wbr>` at
//! the break opportunities of UAX #14 (never before closing punctuation
//! such as "，" or "。", never inside a Latin word or a number).

use unicode_linebreak::{linebreaks, BreakOpportunity};
use unicode_width::UnicodeWidthChar;

/// Escapes `text` for HTML and puts `<wbr>` where a line may break.
pub fn wbr(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    push_breakable(text, &mut out);
    out
}

/// The same for HTML (sanitised, well-formed): `<wbr>` goes into its text
/// only, never into a tag or an entity.
pub fn wbr_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len() * 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text_html(&rest[..lt], &mut out);
        let tail = &rest[lt..];
        let end = tail.find('>').map_or(tail.len(), |g| g + 1);
        out.push_str(&tail[..end]);
        rest = &tail[end..];
    }
    push_text_html(rest, &mut out);
    out
}

/// Text between tags, already escaped: entities are kept whole.
fn push_text_html(text: &str, out: &mut String) {
    let mut last = 0;
    for (at, kind) in linebreaks(text) {
        if kind == BreakOpportunity::Mandatory && at == text.len() {
            break;
        }
        let piece = &text[last..at];
        // A break point inside an entity (`&amp;` ... `;`) is no break.
        let in_entity = piece.rfind('&').is_some_and(|a| !piece[a..].contains(';'));
        if in_entity {
            continue;
        }
        out.push_str(piece);
        if !piece.ends_with(char::is_whitespace) {
            out.push_str("<wbr>");
        }
        last = at;
    }
    out.push_str(&text[last..]);
}

fn push_escaped(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

fn push_breakable(text: &str, out: &mut String) {
    let mut last = 0;
    for (at, kind) in linebreaks(text) {
        if kind == BreakOpportunity::Mandatory && at == text.len() {
            break;
        }
        let piece = &text[last..at];
        push_escaped(piece, out);
        // Spaces break by themselves.
        if !piece.ends_with(char::is_whitespace) {
            out.push_str("<wbr>");
        }
        last = at;
    }
    push_escaped(&text[last..], out);
}

/// Columns `text` takes on one line.
pub fn columns(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// `text` as it fits `max` columns: whole, or cut with "…" (which takes two
/// columns, as CJK fonts draw it) so the result never passes `max`.
pub fn cut(text: &str, max: usize) -> String {
    if columns(text) <= max {
        return text.to_string();
    }
    let room = max.saturating_sub(2);
    let mut out = String::with_capacity(text.len());
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    // No dangling opening bracket before the ellipsis.
    while out.ends_with(['【', '（', '(', '“', '《', ' ']) {
        out.pop();
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_between_chinese_characters_but_not_before_closing_punctuation() {
        let w = wbr("请关好门窗，收好粮食。");
        assert_eq!(
            w,
            "请<wbr>关<wbr>好<wbr>门<wbr>窗，<wbr>收<wbr>好<wbr>粮<wbr>食。"
        );
        assert!(!w.contains("<wbr>，") && !w.contains("<wbr>。"));
        // Latin words and numbers stay whole; spaces need no <wbr>.
        assert_eq!(wbr("STB0001 on 24"), "STB0001 on 24");
        assert_eq!(wbr("a<b"), "a&lt;b");
    }

    #[test]
    fn html_gets_breaks_in_its_text_only() {
        let html = "<p class=\"x\">村委会&amp;党支部通知</p>";
        let w = wbr_html(html);
        assert!(w.starts_with("<p class=\"x\">"), "{w}");
        assert!(w.contains("&amp;"), "entities stay whole: {w}");
        assert!(w.contains("党<wbr>支"), "{w}");
        assert!(w.ends_with("</p>"), "{w}");
    }

    #[test]
    fn cjk_counts_two() {
        assert_eq!(columns("耿井村"), 6);
        assert_eq!(columns("STB 1"), 5);
        assert_eq!(columns("【紧急】"), 8);
    }

    #[test]
    fn cuts_to_the_columns_given() {
        assert_eq!(cut("村委会通知", 10), "村委会通知");
        let long = "关于做好今冬明春农田水利基本建设和秸秆综合利用工作的通知";
        let short = cut(long, 20);
        assert!(short.ends_with('…'), "{short}");
        assert!(columns(&short) <= 20, "{short}");
        assert_eq!(short, "关于做好今冬明春农…");
        // Latin text counts one a letter.
        assert_eq!(cut("abcdefghij", 6), "abcd…");
        // A bracket is not left open before the cut.
        assert_eq!(cut("通知【紧急】停水", 6), "通知…");
    }
}
