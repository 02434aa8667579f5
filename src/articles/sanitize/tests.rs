use super::*;

/// Filter-evasion payloads in the style of the OWASP XSS cheat sheet, and
/// what a clerk's paste could smuggle in.
const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    "<<SCRIPT>alert(\"XSS\");//<</SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=20 y=20>XSS</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<math href=\"javascript:alert(1)\">CLICKME</math>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>",
    "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></object>",
    "<embed src=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">",
    "<style>@import 'http://xss.example/xss.css';</style><p>正文</p>",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<div style=\"background:url(javascript:alert(1))\">文字</div>",
    "<p style=\"width: expression(alert(1));\">文字</p>",
    "<a href=\"javascript:alert(1)\">点我</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">点我</a>",
    "<a href=\"&#14;javascript:alert(1)\">点我</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">点我</a>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\"><TR><TD BACKGROUND=\"javascript:alert('XSS')\">a</TD><TD>b</TD></TR></TABLE>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg\">",
    "<base href=\"javascript:alert(1)//\">",
    "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
    "<form action=\"javascript:alert(1)\"><input type=submit></form>",
    "<input autofocus onfocus=alert(1)>",
    "<button formaction=\"javascript:alert(1)\">X</button>",
    "<img src=\"/media/1/full\" onerror=\"alert(1)\">",
    "<img src=\"data:image/png;base64,iVBORw0KGgo=\">",
    "<img src=\"//evil.example/x.jpg\">",
    "<img src=\"http://evil.example/x.jpg\">",
    "<img src=\"/media/../admin/logout\">",
    "<img src=\"/media/1/full?x=javascript:alert(1)\">",
    "<img src=\"/media/1/full\" style=\"width:expression(alert(1))\">",
    "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<table><style><img src=x onerror=alert(1)></style></table>",
    "<table><tr><td><style></td><img src=x onerror=alert(1)></style></td></tr></table>",
    "<p title=\"</p><script>alert(1)</script>\">x</p>",
    "<xmp><p title=\"</xmp><img src=x onerror=alert(1)>\"></xmp>",
    "<template><script>alert(1)</script></template>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>滚动</marquee>",
    "<XSS STYLE=\"behavior: url(xss.htc);\">",
    "<div id=\"x\" class=\"y\" onclick=\"alert(1)\" data-x=\"1\">文字</div>",
    "<h1 onmouseover=alert(1)>标题</h1>",
    "<td colspan=\"2 onmouseover=alert(1)\">x</td>",
    "<table><tr><td colspan=\"x onmouseover=alert(1)\">a</td><td>b</td></tr></table>",
    "<select><option><img src=x onerror=alert(1)></option></select>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<image src=x onerror=alert(1)>",
    "<isindex action=\"javascript:alert(1)\" type=image>",
];

/// The property every stored body has, checked two ways: forbidden strings
/// (as the issue lists them) and every tag and attribute on the allow-list.
fn assert_safe(payload: &str, out: &str) {
    check_safe(payload, out, true)
}

fn check_safe(payload: &str, out: &str, require_src: bool) {
    let lower = out.to_ascii_lowercase();
    for bad in [
        "<script",
        "javascript:",
        "style=",
        "<iframe",
        "srcdoc",
        "data:",
        "<svg",
        "<math",
        "<object",
        "<embed",
        "<style",
        "<a ",
        "href",
    ] {
        assert!(
            !lower.contains(bad),
            "{bad:?} survived\n payload: {payload}\n output: {out}"
        );
    }
    assert!(
        !has_event_handler(&lower),
        "an on*= handler survived\n payload: {payload}\n output: {out}"
    );
    // Every `<` in the output starts an allowed tag (text has `&lt;`).
    let allowed_attrs = ["src", "width", "height", "alt", "colspan", "rowspan"];
    for (i, _) in out.match_indices('<') {
        let tag = &out[i + 1..i + 1 + out[i..].find('>').expect("closed tag") - 1];
        let tag = tag.strip_prefix('/').unwrap_or(tag);
        let name = tag.split(' ').next().unwrap_or("");
        assert!(
            OUTPUT_TAGS.contains(&name),
            "tag {name:?} not allowed\n payload: {payload}\n output: {out}"
        );
        for attr in tag.split(' ').skip(1) {
            let attr_name = attr.split('=').next().unwrap_or("");
            if attr.contains('=') {
                assert!(
                    allowed_attrs.contains(&attr_name),
                    "attribute {attr_name:?} not allowed\n payload: {payload}\n output: {out}"
                );
            }
        }
    }
    for (i, _) in out.match_indices("<img") {
        let img = &out[i..i + out[i..].find('>').expect("closed img")];
        match img.split("src=\"").nth(1).and_then(|s| s.split('"').next()) {
            Some(src) => assert!(
                is_media_src(src),
                "img src not from the media library\n payload: {payload}\n output: {out}"
            ),
            None => assert!(
                !require_src,
                "img without a src\n payload: {payload}\n output: {out}"
            ),
        }
    }
}

/// `on` + letters + optional spaces + `=` anywhere: the issue's `on[a-z]+=`.
fn has_event_handler(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(2)).any(|i| {
        if &b[i..i + 2] != b"on" || (i > 0 && b[i - 1].is_ascii_alphabetic()) {
            return false;
        }
        let mut j = i + 2;
        while j < b.len() && b[j].is_ascii_lowercase() {
            j += 1;
        }
        j > i + 2 && {
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            j < b.len() && b[j] == b'='
        }
    })
}

#[test]
fn xss_table_is_large() {
    assert!(XSS.len() >= 30, "{} payloads", XSS.len());
}

#[test]
fn xss_payloads_are_neutralised() {
    for payload in XSS {
        let out = clean_body(payload);
        assert_safe(payload, &out);
        // Plain text never contains markup either.
        let text = plain_text(payload);
        assert!(!text.contains('<') || !text.to_ascii_lowercase().contains("<script"));
    }
}

#[test]
fn final_pass_alone_is_safe() {
    // The last ammonia pass is the guarantee, whatever the reshaping does.
    for payload in XSS {
        let out = FINAL_PASS.clean(payload).to_string();
        // (An `<img>` whose src was refused may stay, without a src.)
        check_safe(payload, &out, false);
    }
}

#[test]
fn xss_payloads_inside_content_are_neutralised() {
    for payload in XSS {
        for html in [
            format!("<p>前文{payload}后文</p>"),
            format!("<table><tr><td>{payload}</td><td>格</td></tr></table>"),
            format!("<ul><li>{payload}</li></ul>"),
            format!("<section style=\"color:red\"><p><span>{payload}</span></p></section>"),
        ] {
            let out = clean_body(&html);
            assert_safe(&html, &out);
        }
    }
}

#[test]
fn cleaning_is_idempotent() {
    let samples = XSS.iter().map(|s| s.to_string()).chain([
        WORD.to_string(),
        WECHAT.to_string(),
        TYPED.to_string(),
    ]);
    for s in samples {
        let once = clean_body(&s);
        assert_eq!(clean_body(&once), once, "input: {s}");
    }
}

#[test]
fn script_and_style_contents_are_not_shown_as_text() {
    let out =
        clean_body("<p>前</p><script>var secret = 1;</script><style>p{color:red}</style><p>后</p>");
    assert_eq!(out, "<p>前</p>\n<p>后</p>");
}

#[test]
fn media_image_keeps_only_its_sizes() {
    let out = clean_body(
        "<p>见下图：<img src=\"/media/7/full\" width=\"1152\" height=\"648\" alt=\" 村委会 \" \
         class=\"x\" onerror=\"alert(1)\" style=\"float:left\" data-id=\"7\"></p>",
    );
    assert_eq!(
        out,
        "<p>见下图：</p>\n<img src=\"/media/7/full\" width=\"1152\" height=\"648\" alt=\"村委会\">"
    );
    // Sizes that are not small integers are dropped, the image kept.
    let out = clean_body("<img src=\"/media/7/full\" width=\"100%\" height=\"-3\">");
    assert_eq!(out, "<img src=\"/media/7/full\">");
}

#[test]
fn media_src_rule() {
    for ok in [
        "/media/1/full",
        "/media/12/tile.jpg",
        "/media/ab-12_c/full?v=3&h=x",
    ] {
        assert!(is_media_src(ok), "{ok}");
    }
    for bad in [
        "",
        "/media/",
        "media/1/full",
        " /media/1/full",
        "/media//evil.example/x",
        "/media/../admin",
        "/media/%2e%2e/admin",
        "/media/1/full#x",
        "/media/1\\full",
        "/MEDIA/1/full",
        "//media/1/full",
        "http://host/media/1/full",
        "/media/1/full?a=javascript:x",
    ] {
        assert!(!is_media_src(bad), "{bad}");
    }
}

#[test]
fn links_keep_their_text() {
    assert_eq!(
        clean_body("<p>详见<a href=\"http://www.gov.cn/\" target=_blank>政府网站</a>。</p>"),
        "<p>详见政府网站。</p>"
    );
}

#[test]
fn headings_are_mapped() {
    assert_eq!(
        clean_body("<h1>一</h1><h2>二</h2><h3>三</h3><h4>四</h4><h5>五</h5><h6>六</h6>"),
        "<h2>一</h2>\n<h2>二</h2>\n<h3>三</h3>\n<h3>四</h3>\n<h3>五</h3>\n<h3>六</h3>"
    );
    assert_eq!(clean_body("<h2> </h2><p>x</p>"), "<p>x</p>");
}

#[test]
fn bold_and_italic_are_normalised() {
    assert_eq!(
        clean_body("<p><b>重要</b>、<i>注意</i>、<u>下划线</u>、<strong><b>双重</b></strong></p>"),
        "<p><strong>重要</strong>、<em>注意</em>、<u>下划线</u>、<strong>双重</strong></p>"
    );
    // Formatting around nothing disappears.
    assert_eq!(clean_body("<p>a<b> </b>b<i></i></p>"), "<p>a b</p>");
}

#[test]
fn divs_become_paragraphs_or_are_unwrapped() {
    assert_eq!(
        clean_body("<div>第一行</div><div>第二行<br>续行</div>"),
        "<p>第一行</p>\n<p>第二行<br>续行</p>"
    );
    assert_eq!(
        clean_body("<div class=\"WordSection1\"><p>甲</p><div><p>乙</p>丙</div></div>"),
        "<p>甲</p>\n<p>乙</p>\n<p>丙</p>"
    );
}

#[test]
fn blank_paragraphs_collapse() {
    assert_eq!(
        clean_body(
            "<p>&nbsp;</p><p>甲</p><p>&nbsp;</p><p><br></p><p>\u{3000}</p><p>乙</p><p></p><p>&nbsp;</p>"
        ),
        "<p>甲</p>\n<p><br></p>\n<p>乙</p>"
    );
    // Empty markup between blocks is not a blank line.
    assert_eq!(
        clean_body("<p>甲</p>\n\n<p></p>\n<p>乙</p>"),
        "<p>甲</p>\n<p>乙</p>"
    );
}

#[test]
fn line_breaks_at_paragraph_edges_are_trimmed() {
    assert_eq!(
        clean_body("<p><br>甲<br><br><br><br>乙<br></p>"),
        "<p>甲<br><br>乙</p>"
    );
}

#[test]
fn word_line_wrapping_inside_chinese_text_is_removed() {
    assert_eq!(
        clean_body("<p>根据镇党委\n  政府工作安排，today\nwe 开会</p>"),
        "<p>根据镇党委政府工作安排，today we 开会</p>"
    );
    // A real space between Chinese characters stays.
    assert_eq!(clean_body("<p>甲 乙</p>"), "<p>甲 乙</p>");
}

#[test]
fn plain_text_becomes_paragraphs() {
    assert_eq!(clean_body(TYPED), TYPED_HTML);
    // Markup-looking text a clerk types is text, not markup.
    assert_eq!(
        clean_body("水费 1<2 吨 & <<通知>>"),
        "<p>水费 1&lt;2 吨 &amp; &lt;&lt;通知&gt;&gt;</p>"
    );
    assert_eq!(clean_body("  \n\r\n "), "");
    assert_eq!(clean_body(""), "");
}

const TYPED: &str = "各位村民：\r\n\r\n    本周六上午九点在村委会大院召开村民大会，\r\n请每户派一名代表参加。\r\n\r\n\r\n耿井村村委会\r\n2024年6月3日\r\n";
const TYPED_HTML: &str = "<p>各位村民：</p>\n<p>本周六上午九点在村委会大院召开村民大会，<br>请每户派一名代表参加。</p>\n<p>耿井村村委会<br>2024年6月3日</p>";

#[test]
fn lists_are_kept_and_repaired() {
    assert_eq!(
        clean_body(
            "<ul><li><p>一</p><p>续</p></li><li>  </li>散字<li>二<ol><li>二.1</li></ol></li></ul>"
        ),
        "<ul><li>一<br>续</li><li>散字</li><li>二<ol><li>二.1</li></ol></li></ul>"
    );
    assert_eq!(clean_body("<ol><li> </li></ol>"), "");
    // A list item outside a list is a paragraph.
    assert_eq!(clean_body("<li>孤项</li>"), "<p>孤项</p>");
}

#[test]
fn tables_keep_cells_and_spans() {
    let out = clean_body(
        "<table border=1 width=600 style=\"border-collapse:collapse\"><caption>收支</caption>\
         <colgroup><col width=100></colgroup>\
         <tr><th colspan=\"2\" rowspan=1>项目</th><th>金额</th></tr>\
         <tr><td><p>修路</p><p>二期</p></td><td></td><td colspan=\"99999\">1,200.00</td></tr>\
         <tr></tr></table>",
    );
    assert_eq!(
        out,
        "<table><caption>收支</caption><tbody><tr><th colspan=\"2\">项目</th><th>金额</th></tr>\
         <tr><td>修路<br>二期</td><td></td><td>1,200.00</td></tr></tbody></table>"
    );
}

#[test]
fn layout_and_nested_tables_are_flattened() {
    assert_eq!(
        clean_body("<table><tr><td><p>甲</p><p>乙</p></td></tr></table>"),
        "<p>甲</p>\n<p>乙</p>"
    );
    assert_eq!(
        clean_body(
            "<table><tr><td>外</td><td><table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table></td></tr></table>"
        ),
        "<table><tbody><tr><td>外</td><td>a\u{3000}b<br>c\u{3000}d</td></tr></tbody></table>"
    );
}

#[test]
fn deep_nesting_does_not_overflow() {
    let deep = format!(
        "{}深{}",
        "<div><b>".repeat(20_000),
        "</b></div>".repeat(20_000)
    );
    assert!(clean_body(&deep).contains('深'));
    let deep = format!("{}深", "<ul><li>".repeat(5_000));
    assert!(clean_body(&deep).contains('深'));
    let deep = format!("{}深", "<table><tr><td>".repeat(2_000));
    assert!(plain_text(&deep).contains('深'));
}

/// What Word (and WPS, which writes the same dialect) puts on the clipboard.
const WORD: &str = r##"<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta http-equiv=Content-Type content="text/html; charset=utf-8"><meta name=ProgId content=Word.Document><meta name=Generator content="Microsoft Word 15">
<link rel=File-List href="file:///C:/Users/ADMINI~1/AppData/Local/Temp/msohtmlclip1/01/clip_filelist.xml">
<!--[if gte mso 9]><xml>
 <o:OfficeDocumentSettings><o:AllowPNG/></o:OfficeDocumentSettings>
</xml><![endif]--><!--[if gte mso 9]><xml>
 <w:WordDocument><w:View>Normal</w:View><w:Zoom>0</w:Zoom><w:TrackMoves/><w:PunctuationKerning/><w:DrawingGridVerticalSpacing>7.8 磅</w:DrawingGridVerticalSpacing></w:WordDocument>
</xml><![endif]-->
<style>
<!--
 /* Font Definitions */
 @font-face {font-family:宋体; panose-1:2 1 6 0 3 1 1 1 1 1; mso-font-charset:134;}
p.MsoNormal, li.MsoNormal, div.MsoNormal {mso-style-unhide:no; margin:0cm; text-align:justify; font-size:10.5pt; font-family:等线;}
.MsoChpDefault {mso-style-type:export-only; font-family:等线;}
-->
</style>
</head>
<body lang=ZH-CN style='tab-interval:21.0pt;word-wrap:break-word;text-justify-trim:punctuation'>
<!--StartFragment-->
<h1 align=center style='text-align:center'><span style='font-family:黑体;mso-ascii-font-family:"Times New Roman"'>关于开展<span lang=EN-US>2024</span>年夏季防汛工作的通知<span lang=EN-US><o:p></o:p></span></span></h1>
<p class=MsoNormal style='text-indent:21.0pt'><span style='font-size:14.0pt;font-family:宋体;color:red'>各村民小组、各户村民：</span><span lang=EN-US style='font-size:14.0pt'><o:p></o:p></span></p>
<p class=MsoNormal style='text-indent:28.0pt;mso-char-indent-count:2.0'><span style='font-size:14.0pt;font-family:宋体;mso-ascii-font-family:"Times New Roman"'>根据镇党委、政府工作安排，为确保我村安全度汛，现将有关事项通知如下。汛期为<span lang=EN-US>6</span>月<span lang=EN-US>1</span>日至<span lang=EN-US>9</span>月<span
lang=EN-US>30</span>日，请各户注意收听广播，不要到河
道游泳。</span><span lang=EN-US style='font-size:14.0pt'><o:p></o:p></span></p>
<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>
<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>
<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>
<h2><span style='font-family:黑体'>一、值班安排</span></h2>
<p class=MsoListParagraph style='margin-left:18.0pt;text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span lang=EN-US style='font-family:Symbol'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp; </span></span><![endif]><b><span style='font-family:宋体'>白天</span></b><span style='font-family:宋体'>由村两委成员轮流值班。</span></p>
<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 width=553
 style='width:414.8pt;border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>
 <tr style='mso-yfti-irow:0;mso-yfti-firstrow:yes'>
  <td width=138 valign=top style='width:103.7pt;border:solid windowtext 1.0pt;mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt'>
  <p class=MsoNormal align=center style='text-align:center'><b><span style='font-family:宋体'>日期</span></b><span lang=EN-US><o:p></o:p></span></p>
  </td>
  <td width=138 valign=top style='width:103.7pt;border:solid windowtext 1.0pt;border-left:none'>
  <p class=MsoNormal align=center style='text-align:center'><b><span style='font-family:宋体'>值班人</span></b></p>
  </td>
  <td width=277 colspan=2 valign=top style='width:207.4pt;border:solid windowtext 1.0pt;border-left:none'>
  <p class=MsoNormal align=center style='text-align:center'><b><span style='font-family:宋体'>联系电话</span></b></p>
  </td>
 </tr>
 <tr style='mso-yfti-irow:1;mso-yfti-lastrow:yes'>
  <td width=138 valign=top style='width:103.7pt;border:solid windowtext 1.0pt;border-top:none'>
  <p class=MsoNormal><span lang=EN-US>6</span><span style='font-family:宋体'>月</span><span lang=EN-US>1</span><span style='font-family:宋体'>日</span></p>
  </td>
  <td width=138 valign=top style='width:103.7pt;border-top:none;border-left:none'>
  <p class=MsoNormal><span style='font-family:宋体;color:#0070C0'>张建国</span></p>
  </td>
  <td width=138 valign=top style='width:103.7pt'><p class=MsoNormal><span lang=EN-US>138 0000 0000</span></p></td>
  <td width=138 valign=top style='width:103.7pt'><p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p></td>
 </tr>
</table>
<p class=MsoNormal><span lang=EN-US><!--[if gte vml 1]><v:shape id="图片_x0020_1" o:spid="_x0000_i1025" type="#_x0000_t75" style='width:414.75pt;height:233.25pt'><v:imagedata src="file:///C:/Users/ADMINI~1/AppData/Local/Temp/msohtmlclip1/01/clip_image001.png" o:title=""/></v:shape><![endif]--><![if !vml]><img width=553 height=311 src="file:///C:/Users/ADMINI~1/AppData/Local/Temp/msohtmlclip1/01/clip_image002.jpg" v:shapes="图片_x0020_1"><![endif]></span></p>
<p class=MsoNormal align=right style='text-align:right'><span style='font-family:宋体'>耿井村村民委员会</span></p>
<!--EndFragment-->
</body>
</html>"##;

#[test]
fn word_paste_keeps_structure_and_loses_formatting() {
    let out = clean_body(WORD);
    let expected = [
        "<h2>关于开展2024年夏季防汛工作的通知</h2>",
        "<p>各村民小组、各户村民：</p>",
        "<p>根据镇党委、政府工作安排，为确保我村安全度汛，现将有关事项通知如下。汛期为6月1日至9月30日，请各户注意收听广播，不要到河道游泳。</p>",
        "<p><br></p>",
        "<h2>一、值班安排</h2>",
        "<p>·&nbsp;&nbsp;&nbsp;&nbsp; <strong>白天</strong>由村两委成员轮流值班。</p>",
        "<table><tbody><tr><td><strong>日期</strong></td><td><strong>值班人</strong></td><td colspan=\"2\"><strong>联系电话</strong></td></tr>\
         <tr><td>6月1日</td><td>张建国</td><td>138 0000 0000</td><td></td></tr></tbody></table>",
        "<p>耿井村村民委员会</p>",
    ]
    .join("\n");
    assert_eq!(out, expected);
    for gone in [
        "font",
        "宋体",
        "黑体",
        "color",
        "class",
        "mso",
        "o:p",
        "xml",
        "WordDocument",
        "file:",
        "width",
        "border",
        "style",
        "lang",
        "&lt;",
        "Font Definitions",
    ] {
        assert!(!out.contains(gone), "{gone:?} left in {out}");
    }
    assert_safe(WORD, &out);
}

/// What the WeChat article editor (and 135/秀米 layouts) put on the clipboard.
const WECHAT: &str = r#"<section style="margin: 0px; padding: 0px; max-width: 100%; box-sizing: border-box; overflow-wrap: break-word !important;" data-tools="135编辑器" data-id="94150"><section style="margin: 10px auto; text-align: center;" data-width="100%"><p style="margin: 0px; text-align: center;"><span style="color: rgb(255, 104, 39); font-size: 18px;"><strong><span style="font-family: 微软雅黑;">耿井村夏粮收购通知</span></strong></span></p></section><p style="margin: 0px 0px 16px; line-height: 1.75em; text-indent: 2em;"><span style="font-size: 15px; letter-spacing: 1px; color: rgb(62, 62, 62);">各位村民：今年夏粮收购点设在村东粮站，收购时间为<span style="color: rgb(255, 0, 0);" data-mce-style="color:red">6月15日至6月30日</span>，请大家提前晾晒。</span></p><p style="margin: 0px;"><br  /></p><p style="margin: 0px;"><br  /></p><section style="text-align: right;"><span style="font-size: 14px;">耿井村村委会</span></section><p style="display:none;"><mp-style-type data-value="3"></mp-style-type></p><p><img class="rich_pages wxw-img" data-src="https://mmbiz.qpic.cn/mmbiz_jpg/abc/640?wx_fmt=jpeg" data-ratio="0.75" data-w="1080" src="https://mmbiz.qpic.cn/mmbiz_jpg/abc/640?wx_fmt=jpeg"></p></section>"#;

#[test]
fn wechat_paste_keeps_paragraphs() {
    let out = clean_body(WECHAT);
    assert_eq!(
        out,
        "<p><strong>耿井村夏粮收购通知</strong></p>\n\
         <p>各位村民：今年夏粮收购点设在村东粮站，收购时间为6月15日至6月30日，请大家提前晾晒。</p>\n\
         <p><br></p>\n\
         <p>耿井村村委会</p>"
    );
    for gone in ["data-", "section", "style", "mmbiz", "135"] {
        assert!(!out.contains(gone), "{gone:?} left in {out}");
    }
}

#[test]
fn chinese_text_and_entities_are_intact() {
    let s = "<p>党员“先锋岗”&mdash;为民服务&amp;便民&lt;热线&gt;：☎ 12345 👍🏽 ㎡ 〇</p>";
    let out = clean_body(s);
    assert_eq!(
        out,
        "<p>党员“先锋岗”—为民服务&amp;便民&lt;热线&gt;：☎ 12345 👍🏽 ㎡ 〇</p>"
    );
    assert_eq!(
        plain_text(&out),
        "党员“先锋岗”—为民服务&便民<热线>：☎ 12345 👍🏽 ㎡ 〇"
    );
}

#[test]
fn plain_text_of_bodies() {
    assert_eq!(
        plain_text("<h2>标题</h2><p>第一段&nbsp;&nbsp;文字</p><p>第二段<br>续</p><table><tr><td>甲</td><td>乙</td></tr></table>"),
        "标题 第一段 文字 第二段 续 甲 乙"
    );
    assert_eq!(plain_text("<p><strong>加</strong>粗</p>"), "加粗");
    assert_eq!(plain_text("<script>alert(1)</script>正文"), "正文");
    assert_eq!(plain_text("直接 打字\n\n第二段"), "直接 打字 第二段");
    assert_eq!(plain_text(""), "");
    let text = plain_text(WORD);
    assert!(
        text.starts_with("关于开展2024年夏季防汛工作的通知 各村民小组"),
        "{text}"
    );
    assert!(!text.contains("mso") && !text.contains("宋体"), "{text}");
}

#[test]
fn effectively_empty_bodies() {
    for empty in [
        "",
        "   \n",
        "<p>&nbsp;</p><p><br></p>",
        "<p>\u{3000}</p>",
        "<div><span style=\"x\"> </span></div>",
        "<table><tr><td></td><td>&nbsp;</td></tr></table>",
        "<img src=\"http://evil.example/x.jpg\">",
        "<script>alert(1)</script>",
        "<p>\u{200b}</p>",
    ] {
        assert!(is_effectively_empty(empty), "{empty:?}");
    }
    for full in [
        "x",
        "<p>字</p>",
        "<img src=\"/media/1/full\">",
        "<table><tr><td>0</td></tr></table>",
    ] {
        assert!(!is_effectively_empty(full), "{full:?}");
    }
}

/// html5ever's tree builder is quadratic in nesting depth (300 KB of
/// `<ul><li>` took 20 s of CPU in a release build); the pre-pass bounds it.
/// The limit is generous for debug builds on a slow machine; the real cost
/// is about 1 s in debug, 50 ms in release.
#[test]
fn hostile_nesting_costs_little() {
    let n = 300_000; // the form's body limit
    let rep = |s: &str| s.repeat(n / s.len());
    let mut distinct = String::new();
    let mut k = 0;
    while distinct.len() < n {
        distinct.push_str(&format!("<div><b a={k}></div>x"));
        k += 1;
    }
    for (name, hostile) in [
        ("div", rep("<div>")),
        ("list", rep("<ul><li>")),
        (
            "span then p",
            format!("{}{}", rep("<span>"), "<p>x</p>".repeat(1000)),
        ),
        (
            "div then p",
            format!("{}{}", "<div>".repeat(30_000), "<p>x</p>".repeat(18_000)),
        ),
        ("misnested formatting", distinct),
        ("table in div", rep("<div><table><tr><td></div>")),
        ("quote", rep("<blockquote>")),
        ("heading in formatting", rep("<b><h1>")),
    ] {
        let t = std::time::Instant::now();
        let out = clean_body(&hostile);
        let took = t.elapsed();
        assert!(took.as_secs() < 15, "{name}: {took:?}");
        assert_safe(name, &out);
    }
}

#[test]
fn unclosed_elements_close_as_in_html() {
    let many = "<p>段".repeat(200);
    let out = clean_body(&many);
    assert_eq!(out.matches("<p>段</p>").count(), 200, "{out}");
    assert_eq!(
        clean_body("<ul><li>一<li>二<ul><li>二.1<li>二.2</ul><li>三</ul>"),
        "<ul><li>一</li><li>二<ul><li>二.1</li><li>二.2</li></ul></li><li>三</li></ul>"
    );
    assert_eq!(
        clean_body("<table><tr><td>a<td>b<tr><th>c<td>d</table>后"),
        "<table><tbody><tr><td>a</td><td>b</td></tr><tr><th>c</th><td>d</td></tr></tbody></table>\n<p>后</p>"
    );
    assert_eq!(
        clean_body("<p>甲<div>乙</div>丙</p>"),
        "<p>甲</p>\n<p>乙</p>\n<p>丙</p>"
    );
    assert_eq!(
        clean_body("<h1>标题<h4>小标题</h4>正文"),
        "<h2>标题</h2>\n<h3>小标题</h3>\n<p>正文</p>"
    );
    assert_eq!(
        clean_body("<b>粗<i>斜</b>后</i>"),
        "<p><strong>粗<em>斜</em></strong>后</p>"
    );
}

#[test]
fn tokeniser_follows_html_rules() {
    // `>` inside quoted attribute values does not end the tag.
    assert_eq!(
        clean_body("<p title='a>b' class=\"c>d\">正文</p>"),
        "<p>正文</p>"
    );
    assert_eq!(
        clean_body("<img alt=\"a>b\" src='/media/3/full' width=10>"),
        "<img src=\"/media/3/full\" width=\"10\" alt=\"a&gt;b\">"
    );
    // Entities in kept attributes are decoded once, not twice.
    assert_eq!(
        clean_body("<img src=\"/media/3/full?a=1&amp;b=2\" alt=\"&quot;村&quot;\">"),
        "<img src=\"/media/3/full?a=1&amp;b=2\" alt=\"&quot;村&quot;\">"
    );
    // Comments end where a browser ends them.
    assert_eq!(
        clean_body("<!-->甲<!--->乙<!-- x --!>丙<!-- <p>丁 -->戊"),
        "<p>甲乙丙戊</p>"
    );
    // Raw text is skipped to its own end tag, whatever it contains.
    assert_eq!(
        clean_body("<style>p{}</p><p>x</style>甲<script>if (a</b) {}</SCRIPT >乙<textarea><p>丙</textarea>丁"),
        "<p>甲乙丁</p>"
    );
    // Subtrees of svg, math, select... go, nested ones included.
    assert_eq!(
        clean_body("甲<svg><svg><p>x</p></svg><text>y</text></svg>乙<select><option>z</select>丙"),
        "<p>甲乙丙</p>"
    );
    // Text that only looks like markup stays text.
    assert_eq!(
        clean_body("<p>a < b > c <3 </ d</p>"),
        "<p>a &lt; b &gt; c &lt;3</p>"
    );
    // A tag cut off by the end of the input is dropped, as a browser does.
    assert_eq!(
        clean_body("<p>甲</p><img src=\"/media/1/full\" onerror=\"x"),
        "<p>甲</p>"
    );
    assert_eq!(
        clean_body("<p>甲<br/>乙</br>丙</p>"),
        "<p>甲<br>乙<br>丙</p>"
    );
}
