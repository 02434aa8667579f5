//! The text of a generated article, section by section: titles, summaries
//! and bodies filled in from the phrase lists.

use chrono::{Datelike, Duration};

use super::phrases::*;
use super::places::Owner;
use super::rng::Rng;
use crate::access::PlaceKind;

pub(super) struct Text {
    pub(super) category: Option<&'static str>,
    pub(super) title: String,
    pub(super) summary: String,
    pub(super) body: String,
    /// (address, seconds) for videos.
    pub(super) video: Option<(String, i32)>,
}

pub(super) struct Writer<'a> {
    pub(super) rng: Rng,
    pub(super) owner: &'a Owner,
    pub(super) township: &'a Owner,
    pub(super) county: &'a Owner,
    pub(super) year: i32,
    pub(super) month: u32,
    pub(super) day: u32,
    pub(super) i: usize,
}

fn paragraphs(ps: &[String]) -> String {
    ps.iter()
        .map(|p| format!("<p>{p}</p>"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Writer<'_> {
    fn place(&self) -> &str {
        &self.owner.name
    }

    /// Who signs: 村民委员会, 人民政府 or 办事处.
    fn org(&self) -> String {
        let name = self.place();
        match self.owner.kind {
            PlaceKind::Village => format!("{name}村民委员会"),
            PlaceKind::Township if name.ends_with("街道") => format!("{name}办事处"),
            _ => format!("{name}人民政府"),
        }
    }

    fn party_org(&self) -> String {
        let name = self.place();
        match self.owner.kind {
            PlaceKind::Village => format!("{name}党支部"),
            PlaceKind::Township if name.ends_with("街道") => format!("{name}党工委"),
            PlaceKind::Township => format!("{name}党委"),
            PlaceKind::County => format!("中共{}委", name.trim_end_matches('区')),
        }
    }

    fn addressee(&self) -> &'static str {
        match self.owner.kind {
            PlaceKind::Village => "各位村民：",
            PlaceKind::Township => "各村（社区）、各有关单位：",
            PlaceKind::County => "各镇（街道），区直各部门、单位：",
        }
    }

    fn hall(&self) -> String {
        match self.owner.kind {
            PlaceKind::Village => "村委会便民服务室".into(),
            PlaceKind::Township => format!("{}便民服务中心", self.place()),
            PlaceKind::County => "各镇（街道）便民服务中心".into(),
        }
    }

    fn season(&self) -> usize {
        match self.month {
            12 | 1 | 2 => 0,
            3..=5 => 1,
            6..=8 => 2,
            _ => 3,
        }
    }

    fn date(&self) -> String {
        format!("{}月{}日", self.month, self.day)
    }

    /// A date `days` after the publication, as 月日.
    fn date_after(&self, days: i64) -> String {
        let d = chrono::NaiveDate::from_ymd_opt(self.year, self.month, self.day)
            .map(|d| d + Duration::days(days));
        match d {
            Some(d) => format!("{}月{}日", d.month(), d.day()),
            None => self.date(),
        }
    }

    fn signature(&self) -> [String; 2] {
        [
            self.org(),
            format!("{}年{}月{}日", self.year, self.month, self.day),
        ]
    }

    fn phone(&mut self) -> String {
        format!("0546-8{:06}", self.rng.below(1_000_000))
    }

    fn person(&mut self) -> String {
        format!("{}{}", self.rng.pick(SURNAMES), self.rng.pick(GIVEN_NAMES))
    }

    fn num(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.rng.below(hi - lo + 1)
    }

    fn pick_fill(&mut self, pool: &[&str], vars: &[(&str, &str)]) -> String {
        let template = *self.rng.pick(pool);
        self.fill(template, vars)
    }

    /// `n` distinct sentences from `pool` with the placeholders filled.
    fn sentences(&mut self, pool: &[&str], n: usize, vars: &[(&str, &str)]) -> String {
        let mut picked: Vec<usize> = Vec::with_capacity(n);
        while picked.len() < n.min(pool.len()) {
            let k = self.rng.below(pool.len());
            if !picked.contains(&k) {
                picked.push(k);
            }
        }
        picked.iter().map(|&k| self.fill(pool[k], vars)).collect()
    }

    /// Replaces `{name}` by its value: `place`, `date`, numbers `n`/`m`/`p`,
    /// a `person`, then the caller's `vars`.
    fn fill(&mut self, template: &str, vars: &[(&str, &str)]) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let key = &after[..close];
            let value = match key {
                "place" => self.place().to_string(),
                "township" => self.township.name.clone(),
                "county" => self.county.name.clone(),
                "date" => self.date(),
                "year" => self.year.to_string(),
                "person" => self.person(),
                "n" => self.num(30, 300).to_string(),
                "m" => self.num(1_500, 9_000).to_string(),
                "p" => self.num(5, 35).to_string(),
                "phone" => self.phone(),
                other => vars
                    .iter()
                    .find(|(k, _)| *k == other)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default(),
            };
            out.push_str(&value);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    pub(super) fn notice(&mut self, urgent: bool) -> Text {
        let season = self.season();
        let topic = if self.rng.below(2) == 0 {
            *self.rng.pick(SEASON_TOPICS[season])
        } else {
            *self.rng.pick(NOTICE_TOPICS)
        };
        let vars = [
            ("topic", topic),
            ("addressee", self.addressee()),
            ("upper", upper_of(self.owner.kind)),
        ];
        let title_pool = if urgent { URGENT_TITLES } else { NOTICE_TITLES };
        let title = self.pick_fill(title_pool, &vars);
        let opening = self.pick_fill(NOTICE_OPENINGS, &vars);
        let hall = self.hall();
        let days = self.num(7, 30) as i64;
        let (from, to) = (self.date_after(1), self.date_after(days));
        let time = format!("时间安排：{from}至{to}，每天上午8:30至11:30、下午2:00至5:00。");
        let place_line = format!("办理地点：{hall}。");
        let mut detail = vec![time, place_line];
        let extra = self.num(1, 2);
        detail.push(self.sentences(NOTICE_DETAILS, extra, &vars));
        let mut ps = vec![vars[1].1.to_string(), opening, detail.concat()];
        let mut body = String::new();
        if self.rng.below(3) == 0 {
            let items: Vec<String> = {
                let pool = REMINDERS[season];
                let mut picked = Vec::new();
                while picked.len() < 3 {
                    let r = *self.rng.pick(pool);
                    if !picked.contains(&r) {
                        picked.push(r);
                    }
                }
                picked.iter().map(|r| format!("<li>{r}</li>")).collect()
            };
            ps.push("请大家特别注意以下几点：".into());
            body = format!("\n<ul>{}</ul>", items.concat());
        }
        let phone = self.phone();
        let closing = format!(
            "如有疑问，请拨打咨询电话：{phone}。{}",
            if urgent {
                "请大家相互转告，务必高度重视！"
            } else {
                "特此通知。"
            }
        );
        let sig = self.signature();
        let summary = format!("{}，请{}", title, self.rng.pick(SUMMARY_TAILS));
        let head = paragraphs(&ps);
        Text {
            category: None,
            title,
            summary,
            body: format!(
                "{head}{body}\n{}",
                paragraphs(&[closing, sig[0].clone(), sig[1].clone()])
            ),
            video: None,
        }
    }

    pub(super) fn news(&mut self) -> Text {
        let event = *self.rng.pick(EVENTS);
        let industry = *self.rng.pick(INDUSTRIES);
        let facility = *self.rng.pick(FACILITIES);
        let work = SEASON_WORK[self.season()];
        let vars = [
            ("event", event),
            ("industry", industry),
            ("facility", facility),
            ("work", work),
        ];
        let kind = self.rng.below(NEWS_TITLES.len());
        let title = self.fill(NEWS_TITLES[kind], &vars);
        let lead = self.fill(NEWS_LEADS[kind], &vars);
        let mut ps = vec![lead];
        let more = self.num(1, 2);
        for _ in 0..more {
            let n = self.num(2, 3);
            ps.push(self.sentences(NEWS_SENTENCES, n, &vars));
        }
        ps.push(self.pick_fill(NEWS_ENDINGS, &vars));
        let summary = first_sentence(&ps[0]);
        Text {
            category: None,
            title,
            summary,
            body: paragraphs(&ps),
            video: None,
        }
    }

    pub(super) fn party(&mut self) -> Text {
        let porg = self.party_org();
        let study = *self.rng.pick(STUDY_TOPICS);
        let quarter = ["一", "二", "三", "四"][(self.month as usize - 1) / 3];
        let month = self.month.to_string();
        let vars = [
            ("porg", porg.as_str()),
            ("study", study),
            ("quarter", quarter),
            ("month", month.as_str()),
        ];
        let (category, titles, leads) = match self.rng.below(4) {
            0 => ("members", MEMBER_TITLES, MEMBER_LEADS),
            1 => ("meetings", MEETING_TITLES, MEETING_LEADS),
            2 => ("study", STUDY_TITLES, STUDY_LEADS),
            _ => ("organisation", ORG_TITLES, ORG_LEADS),
        };
        // The person of a title is the person of the story.
        let person = self.person();
        let vars: Vec<(&str, &str)> = vars
            .iter()
            .copied()
            .chain([("who", person.as_str())])
            .collect();
        let title = self.pick_fill(titles, &vars);
        let mut ps = vec![self.pick_fill(leads, &vars)];
        let n = self.num(2, 3);
        ps.push(self.sentences(PARTY_SENTENCES, n, &vars));
        ps.push(self.pick_fill(PARTY_ENDINGS, &vars));
        let summary = first_sentence(&ps[0]);
        Text {
            category: Some(category),
            title,
            summary,
            body: paragraphs(&ps),
            video: None,
        }
    }

    pub(super) fn affairs(&mut self) -> Text {
        let quarter_no = (self.month as usize - 1) / 3 + 1;
        // The quarter just ended (a Q1 report is published in April).
        let (year, quarter) = match quarter_no {
            1 => (self.year - 1, 4),
            q => (self.year, q - 1),
        };
        let project = *self.rng.pick(PROJECTS);
        let year_s = year.to_string();
        let quarter_s = ["", "一", "二", "三", "四"][quarter].to_string();
        let vars = [
            ("project", project),
            ("y", year_s.as_str()),
            ("q", quarter_s.as_str()),
        ];
        let village = self.owner.kind == PlaceKind::Village;
        let kind = self.rng.below(if village { 5 } else { 3 });
        let sig = self.signature();
        let phone = self.phone();
        let supervise = if village {
            format!("公示期七天。如有异议，请向村务监督委员会反映，电话：{phone}。")
        } else {
            format!("欢迎社会各界监督，监督电话：{phone}。")
        };
        let (title, mut ps, table) = match kind {
            0 => {
                let title = self.fill("{place}{y}年第{q}季度财务收支公开", &vars);
                let lead = self.fill("根据村务（政务）公开有关规定，现将{place}{y}年第{q}季度财务收支情况公布如下，请群众监督。", &vars);
                (title, vec![lead], Some(self.finance_table()))
            }
            1 => {
                let title = self.fill("{place}{project}项目建设情况公开", &vars);
                let budget = self.num(20, 380);
                let days = self.num(20, 90);
                let lead = self.fill(
                    "经研究决定，{place}实施{project}项目。现将项目有关情况公开如下：",
                    &vars,
                );
                let detail = format!(
                    "项目预算{budget}万元，资金来源为上级奖补资金和集体自筹资金，计划工期{days}天，施工单位经公开招标确定。工程质量和资金使用接受全程监督。"
                );
                (title, vec![lead, detail], None)
            }
            2 => {
                let title = self.fill("{place}{y}年耕地地力保护补贴发放情况公示", &vars);
                let acres = self.num(800, 6000);
                let money = self.num(100, 130);
                let lead = self.fill(
                    "根据上级有关文件要求，现将{place}{y}年耕地地力保护补贴发放情况公示如下。",
                    &vars,
                );
                let detail = format!(
                    "本次补贴面积共计{acres}亩，补贴标准为每亩{money}元，补贴资金通过“一卡通”直接发放到户。请各户核对本人补贴面积和金额。"
                );
                (title, vec![lead, detail], None)
            }
            3 => {
                let title = self.fill("{place}{y}年低保评议结果公示", &vars);
                let lead = "经户主申请、入户调查、村民代表民主评议，拟将以下家庭纳入（退出）最低生活保障，现予公示。".to_string();
                let mut rows = String::new();
                for k in 0..self.num(2, 4) {
                    let who = format!("{}某某", self.rng.pick(SURNAMES));
                    let group = self.num(1, 9);
                    let change = if k == 0 && self.rng.below(3) == 0 {
                        "退出"
                    } else {
                        "纳入"
                    };
                    let people = self.num(1, 4);
                    rows.push_str(&format!(
                        "<tr><td>第{group}组</td><td>{who}</td><td>{people}</td><td>{change}</td></tr>"
                    ));
                }
                let table = format!(
                    "<table><tbody><tr><th>组别</th><th>户主</th><th>人数</th><th>类别</th></tr>{rows}</tbody></table>"
                );
                (title, vec![lead], Some(table))
            }
            _ => {
                let title = self.fill("{place}村民代表会议决议公开", &vars);
                let present = self.num(25, 40);
                let agree = present - self.num(0, 4);
                let before = self.num(3, 10) as i64;
                let date = self.date_after(-before);
                let lead = self.fill(
                    "{mdate}，{place}召开村民代表会议，对{project}项目实施方案进行表决。",
                    &[("mdate", date.as_str()), ("project", project)],
                );
                let detail = format!(
                    "应到代表{}人，实到{present}人，同意{agree}人，会议表决通过。决议内容已张贴在村务公开栏。",
                    present + self.num(0, 5)
                );
                (title, vec![lead, detail], None)
            }
        };
        let mut body = paragraphs(&ps);
        if let Some(t) = table {
            body.push('\n');
            body.push_str(&t);
        }
        ps = vec![supervise, sig[0].clone(), sig[1].clone()];
        body.push('\n');
        body.push_str(&paragraphs(&ps));
        let summary = format!("{title}，欢迎群众监督。");
        Text {
            category: None,
            title,
            summary,
            body,
            video: None,
        }
    }

    fn finance_table(&mut self) -> String {
        let mut rows = String::new();
        let mut total: i64 = 0;
        let n_in = self.num(2, 3);
        let n_out = self.num(3, 5);
        let mut picked: Vec<usize> = Vec::new();
        for _ in 0..n_in {
            let k = self.rng.below(INCOME.len());
            if picked.contains(&k) {
                continue;
            }
            picked.push(k);
            let amount = self.num(8, 160) as i64 * 1000 + self.num(0, 9) as i64 * 100;
            total += amount;
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                INCOME[k].0,
                money(amount),
                INCOME[k].1
            ));
        }
        let mut picked: Vec<usize> = Vec::new();
        for _ in 0..n_out {
            let k = self.rng.below(SPENDING.len());
            if picked.contains(&k) {
                continue;
            }
            picked.push(k);
            let amount = self.num(1, 40) as i64 * 1000 + self.num(0, 99) as i64 * 10;
            total -= amount;
            rows.push_str(&format!(
                "<tr><td>{}</td><td>-{}</td><td>{}</td></tr>",
                SPENDING[k].0,
                money(amount),
                SPENDING[k].1
            ));
        }
        let sign = if total < 0 { "-" } else { "" };
        rows.push_str(&format!(
            "<tr><td>本季度结余</td><td>{sign}{}</td><td>存入集体账户</td></tr>",
            money(total.abs())
        ));
        format!("<table><tbody><tr><th>项目</th><th>金额（元）</th><th>说明</th></tr>{rows}</tbody></table>")
    }

    pub(super) fn video(&mut self) -> Text {
        let (kind, dir, topics, expert) = *self.rng.pick(VIDEO_KINDS);
        let topic = *self.rng.pick(topics);
        let title = format!("{kind}：{topic}");
        let vars = [("topic", topic), ("kind", kind), ("expert", expert)];
        let mut ps = vec![self.pick_fill(VIDEO_LEADS, &vars)];
        if self.rng.below(2) == 0 {
            ps.push(self.pick_fill(VIDEO_MORE, &vars));
        }
        let ext = if self.rng.below(3) == 0 {
            "mp4"
        } else {
            "m3u8"
        };
        let url = format!(
            "https://media.dongying.example.cn/{dir}/{:06}.{ext}",
            self.i
        );
        let seconds = self.num(5 * 60, 45 * 60) as i32;
        let summary = format!("本期{kind}讲解{topic}，时长约{}分钟。", seconds / 60);
        Text {
            category: None,
            title,
            summary,
            body: paragraphs(&ps),
            video: Some((url, seconds)),
        }
    }
}

fn upper_of(kind: PlaceKind) -> &'static str {
    match kind {
        PlaceKind::Village => "镇（街道）",
        PlaceKind::Township => "区委区政府",
        PlaceKind::County => "市委市政府",
    }
}

/// `124,500`
fn money(amount: i64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The text up to and with the first 。 (at most 80 characters).
fn first_sentence(s: &str) -> String {
    let end = s.find('。').map(|i| i + '。'.len_utf8()).unwrap_or(s.len());
    clip(&s[..end], 80)
}

pub(super) fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_thousands_separators() {
        assert_eq!(money(0), "0");
        assert_eq!(money(999), "999");
        assert_eq!(money(124500), "124,500");
        assert_eq!(money(1234567), "1,234,567");
    }
}
