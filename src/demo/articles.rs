//! Demo content: published, scheduled, pending and rejected articles in every
//! section for 耿井村 and 陈庄村, written and reviewed through the real workflow.

use chrono::{Duration, FixedOffset};
use diesel::prelude::*;

use crate::access::Actor;
use crate::articles::{workflow, ArticleForm};
use crate::db::schema::articles;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::{places, users};

/// What happens to a demo article after it is written.
#[derive(Clone, Copy)]
enum Fate {
    Published,
    /// Approved, with `publish_at` this many hours ahead.
    Scheduled(i64),
    Pending,
    Rejected(&'static str),
    Draft,
}

struct Item {
    section: &'static str,
    category: &'static str,
    title: &'static str,
    summary: &'static str,
    body: &'static str,
    pinned: bool,
    urgent: bool,
    video: Option<(&'static str, &'static str)>,
    fate: Fate,
}

const fn item(section: &'static str, title: &'static str, body: &'static str, fate: Fate) -> Item {
    Item {
        section,
        category: "",
        title,
        summary: "",
        body,
        pinned: false,
        urgent: false,
        video: None,
        fate,
    }
}

const AUTUMN_NEWS: &str = "<p>金秋十月，耿井村一千二百亩玉米喜获丰收。走进村东头的田地，收割机来回穿梭，金黄的玉米棒子堆成了小山，村民们脸上洋溢着丰收的喜悦。</p>\
<p>今年春天，村两委结合土壤检测结果，引导种植户选用耐密抗倒的新品种，并统一开展测土配方施肥。夏季高温干旱期间，村里组织党员志愿者分片包干，协调灌溉用水，保证了玉米关键生长期的用水需求。</p>\
{photo}\
<h2>亩产比去年增加一百多斤</h2>\
<p>据村农技员测产，今年全村玉米平均亩产一千二百八十斤，比去年增加一百一十斤。种植大户耿长青家的八十亩地，亩产达到一千四百斤，创下历年新高。</p>\
<p>“以前种地靠经验，现在靠科技。”耿长青一边查看烘干后的玉米，一边算起了收入账，“按今年的收购价，每亩能多收一百五十多块钱。”</p>\
<h2>合作社统一收购烘干</h2>\
<p>为解决农户晾晒难、销售难的问题，村股份经济合作社与县粮食收储公司签订了收购协议，合作社的烘干塔每天可烘干玉米八十吨，村民不出村就能把粮食卖上好价钱。</p>\
<p>村党支部书记表示，下一步村里将继续推广秸秆还田和小麦宽幅精播技术，为明年夏粮丰收打好基础，同时谋划发展鲜食玉米加工，让更多村民在家门口增收致富。</p>";

const FINANCE: &str = "<p>根据村务公开有关规定，现将本村2026年第三季度财务收支情况公布如下，请村民监督。如有疑问，请于公布之日起十日内向村务监督委员会反映。</p>\
<table><tr><th>项目</th><th>金额（元）</th><th>说明</th></tr>\
<tr><td>上级转移支付</td><td>86,000</td><td>村级组织运转经费</td></tr>\
<tr><td>集体土地发包收入</td><td>124,500</td><td>第三季度承包费</td></tr>\
<tr><td>合作社分红</td><td>38,200</td><td>烘干塔经营收益</td></tr>\
<tr><td>道路维修</td><td>-42,800</td><td>村北生产路修补</td></tr>\
<tr><td>路灯电费</td><td>-6,150</td><td>七至九月</td></tr>\
<tr><td>保洁员工资</td><td>-18,000</td><td>三名保洁员</td></tr>\
<tr><td>办公费用</td><td>-3,420</td><td>纸张、打印</td></tr>\
<tr><td>困难群众慰问</td><td>-5,000</td><td>十户</td></tr>\
<tr><td>本季度结余</td><td>173,330</td><td>存入村集体账户</td></tr></table>\
<p>村务监督委员会电话：0546-8123456。</p>";

const ROADS: &str = "<p>经村民代表大会讨论通过，村北生产路硬化工程定于下月开工。为保证施工安全，现将有关事项通知如下：</p>\
<ul><li>施工期间（约二十天）村北生产路禁止大型农机通行，请绕行村西路。</li><li>施工路段两侧的柴草、杂物请于本月二十五日前自行清理。</li><li>工程质量由村务监督委员会全程监督，欢迎村民随时反映问题。</li></ul>\
<p>给大家出行带来的不便，敬请谅解。</p>";

fn items() -> Vec<Item> {
    vec![
        Item {
            pinned: true,
            urgent: true,
            ..item(
                "notices",
                "关于做好今冬明春森林防火工作的紧急通知",
                "<p>各位村民：</p><p>进入冬季以来，天干物燥，火灾风险明显上升。请大家不在田间地头焚烧秸秆、垃圾，上坟祭祀不烧纸、不放鞭炮。发现火情请立即拨打119，并报告村委会。</p><p>村委会值班电话：0546-8123456。</p>",
                Fate::Published,
            )
        },
        item("notices", "村北生产路硬化施工通知", ROADS, Fate::Published),
        item(
            "notices",
            "关于开展新一年城乡居民医保缴费的通知",
            "<p>2027年度城乡居民基本医疗保险开始缴费，每人380元。可到村委会代办点缴纳，也可用手机在“山东医保”上缴纳。缴费截止时间为12月31日，逾期将影响明年报销。</p>",
            Fate::Scheduled(48),
        ),
        item(
            "notices",
            "冬季用电安全提醒",
            "<p>冬季取暖用电多，请不要私拉乱接电线，电暖器不用时及时断电。</p>",
            Fate::Pending,
        ),
        item(
            "notices",
            "关于停水的通知",
            "<p>明天停水。</p>",
            Fate::Rejected("请写明停水的具体时间和范围，以及恢复供水的时间。"),
        ),
        Item {
            summary: "全村玉米平均亩产一千二百八十斤，比去年增加一百一十斤。",
            ..item("news", "金秋玉米喜丰收 科技种田亩产增", AUTUMN_NEWS, Fate::Published)
        },
        item(
            "news",
            "村文化广场新添健身器材",
            "<p>近日，县体育局为村文化广场配送了十二件健身器材，包括太空漫步机、腰背按摩器、单双杠等。每天傍晚，广场上都有不少村民锻炼身体、跳广场舞。</p>",
            Fate::Published,
        ),
        item(
            "news",
            "村里举办农民丰收节文艺汇演",
            "<p>丰收节当天，村民自编自演了快板、吕剧、广场舞等节目。</p>",
            Fate::Draft,
        ),
        Item {
            category: "meetings",
            ..item(
                "party",
                "村党支部召开十一月份主题党日活动",
                "<p>十一月五日，村党支部组织全体党员开展主题党日活动。党员们重温入党誓词，集中学习了党的二十届四中全会精神，并围绕冬季防火、关爱独居老人等工作进行了讨论。</p>{photo}<p>会后，党员志愿者分成四个小组，走访慰问了村里的十二户独居老人，帮助他们检查取暖设施和用电安全。</p>",
                Fate::Published,
            )
        },
        Item {
            category: "members",
            ..item(
                "party",
                "党员风采：扎根乡村的“田秀才”",
                "<p>老党员耿长青种了四十年地，是村里有名的“田秀才”。这些年，他带头试种新品种、推广新技术，手把手教会了三十多户村民科学种田。</p>",
                Fate::Published,
            )
        },
        Item {
            category: "study",
            ..item(
                "party",
                "学习园地：农村基层党组织工作条例要点",
                "<p>本期学习内容为农村基层党组织工作条例的主要内容，请党员利用业余时间认真学习。</p>",
                Fate::Pending,
            )
        },
        item("affairs", "2026年第三季度村级财务收支公开", FINANCE, Fate::Published),
        item(
            "affairs",
            "村民代表大会决议公示",
            "<p>经2026年11月10日村民代表大会表决，同意实施村北生产路硬化工程，工程预算四十二万元，由上级奖补资金和村集体收入共同承担。应到代表三十五人，实到三十二人，同意三十人。</p>",
            Fate::Published,
        ),
        item(
            "news",
            "村卫生室开展冬季义诊",
            "<p>下周二上午，县人民医院专家将来村卫生室义诊，免费测血压、血糖，请需要的村民带好医保卡。</p>",
            Fate::Scheduled(30),
        ),
        item(
            "news",
            "村小学举办冬季运动会",
            "<p>村小学举办冬季运动会，一百二十名学生参加了跳绳、拔河和接力跑比赛。</p>",
            Fate::Pending,
        ),
        item(
            "news",
            "好消息",
            "<p>村里有好消息。</p>",
            Fate::Rejected("标题和正文太笼统，请写清楚是什么事、什么时间、谁参加。"),
        ),
        Item {
            category: "organisation",
            ..item(
                "party",
                "关于召开年度组织生活会的通知",
                "<p>村党支部定于下月中旬召开年度组织生活会，请全体党员提前准备个人对照检查材料。</p>",
                Fate::Scheduled(72),
            )
        },
        Item {
            category: "members",
            ..item(
                "party",
                "党员风采",
                "<p>我村党员很优秀。</p>",
                Fate::Rejected("请写明是哪位党员、做了哪些具体事情。"),
            )
        },
        item(
            "affairs",
            "2026年低保评议结果公示",
            "<p>经村民代表评议、街道审核，拟将以下两户纳入最低生活保障：第三组王某某户、第五组李某某户。公示期七天，如有异议请向村务监督委员会反映。</p>",
            Fate::Scheduled(24),
        ),
        item(
            "affairs",
            "村集体资产出租情况公开",
            "<p>村集体闲置仓库两间出租，租期三年，年租金一万二千元，已按程序公开竞价。</p>",
            Fate::Pending,
        ),
        item(
            "affairs",
            "财务公开",
            "<p>见附件。</p>",
            Fate::Rejected("村务公开需把收支明细写在正文里，电视上看不到附件。"),
        ),
        Item {
            video: Some(("/media/video/demo-1/index.m3u8", "0:20")),
            ..item(
                "videos",
                "农技课堂：冬季肉牛防寒饲养",
                "<p>冬季肉牛舍的保温与饲料搭配。</p>",
                Fate::Scheduled(36),
            )
        },
        Item {
            video: Some(("/media/video/demo-2/index.m3u8", "0:20")),
            ..item(
                "videos",
                "农技课堂：果树冬季修剪",
                "<p>苹果、梨树冬季修剪的时间和方法。</p>",
                Fate::Pending,
            )
        },
        Item {
            video: Some(("http://192.168.1.20/video.mp4", "5:00")),
            ..item(
                "videos",
                "视频",
                "<p>视频。</p>",
                Fate::Rejected("这是内网地址，机顶盒打不开，请换成县融媒体中心的视频地址。"),
            )
        },
        Item {
            video: Some(("/media/video/demo-4/index.m3u8", "0:20")),
            ..item(
                "videos",
                "农技课堂：小麦宽幅精播技术",
                "<p>县农业技术推广站专家讲解小麦宽幅精播的要点：选种、整地、播种深度和播后镇压。</p>",
                Fate::Published,
            )
        },
        Item {
            video: Some(("/media/video/demo-5/index.m3u8", "0:20")),
            ..item(
                "videos",
                "农技课堂：冬季大棚蔬菜管理",
                "<p>冬季大棚的保温、通风和病害防治，专家一一讲解。</p>",
                Fate::Published,
            )
        },
    ]
}

/// Adds the demo articles to a village that has none yet; returns how many.
pub fn load_for_village(
    conn: &mut DbConn,
    village_code: &str,
    clerk: &str,
    official: &str,
    offset: FixedOffset,
) -> AppResult<usize> {
    let village = places::village_by_code(conn, village_code)?;
    let existing: i64 = articles::table
        .filter(articles::place_id.eq(village.id))
        .count()
        .get_result(conn)?;
    if existing > 0 {
        return Ok(0);
    }
    let (Some(clerk), Some(official)) = (
        users::find_by_username(conn, clerk)?,
        users::find_by_username(conn, official)?,
    ) else {
        return Ok(0);
    };
    let clerk = users::actor(conn, &clerk)?;
    let official = users::actor(conn, &official)?;
    // A photo for the harvest story, through the real upload pipeline.
    let photo = crate::media::ingest(
        conn,
        &clerk,
        village.id,
        "丰收.jpg",
        &harvest_photo(1600, 1000, 0)?,
    )?;
    let photo_tag = format!(
        "<img src=\"{}\" width=\"{}\" height=\"{}\" alt=\"玉米丰收\">",
        photo.url(),
        photo.full_width,
        photo.full_height
    );
    let mut added = 0;
    let mut posters = 0;
    for it in items() {
        // Each lecture gets a poster of its own (the same field, other light),
        // small: every test loads the demo, and the TV shows posters at
        // 224x126 or, on the play page, at most 704x396.
        let poster_media_id = match it.video {
            Some(_) => {
                posters += 1;
                let name = format!("农技课堂{posters}.jpg");
                let picture = harvest_photo(480, 270, posters)?;
                Some(crate::media::ingest(conn, &clerk, village.id, &name, &picture)?.id)
            }
            None => None,
        };
        let publish_at = match it.fate {
            Fate::Scheduled(hours) => {
                let at = crate::time::to_local(crate::time::now() + Duration::hours(hours), offset);
                at.format("%Y-%m-%dT%H:%M").to_string()
            }
            _ => String::new(),
        };
        let form = ArticleForm {
            section: it.section.into(),
            category: it.category.into(),
            title: it.title.into(),
            summary: it.summary.into(),
            body: it.body.replace("{photo}", &photo_tag),
            scope: "village".into(),
            place_id: Some(village.id),
            pinned: it.pinned.then(|| "on".into()),
            urgent: it.urgent.then(|| "on".into()),
            video_url: it.video.map(|v| v.0.to_string()).unwrap_or_default(),
            duration: it.video.map(|v| v.1.to_string()).unwrap_or_default(),
            poster_media_id,
            publish_at,
            ..ArticleForm::default()
        };
        let a = workflow::create(conn, &clerk, &form, offset)?;
        added += 1;
        if matches!(it.fate, Fate::Draft) {
            continue;
        }
        workflow::submit(conn, &clerk, a.id, None)?;
        review(conn, &official, a.id, it.fate)?;
    }
    Ok(added)
}

/// A picture of a field under a blue sky with a sun, as a JPEG (made here, so
/// the demo needs no image files). `variant` moves the sun and the horizon.
pub(super) fn harvest_photo(w: u32, h: u32, variant: u32) -> AppResult<Vec<u8>> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let horizon = h * (11 - variant % 4) / 20;
        let (sx, sy, r) = (w * (3 + variant % 3) / 7 + w / 8, h / 5, h / 10);
        let dx = x as i64 - sx as i64;
        let dy = y as i64 - sy as i64;
        if dx * dx + dy * dy < (r * r) as i64 {
            image::Rgb([255, 214, 90])
        } else if y < horizon {
            let t = y * 120 / horizon;
            image::Rgb([(90 + t) as u8, (150 + t / 2) as u8, 230])
        } else {
            let rows = (y - horizon) / 12 % 2;
            let t = (y - horizon) * 60 / (h - horizon);
            image::Rgb([
                (200 - t + rows * 20) as u8,
                (160 - t / 2) as u8,
                (40 + rows * 10) as u8,
            ])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .map_err(crate::error::AppError::because("demo photo"))?;
    Ok(out)
}

fn review(conn: &mut DbConn, official: &Actor, id: i64, fate: Fate) -> AppResult<()> {
    match fate {
        Fate::Published | Fate::Scheduled(_) => {
            workflow::approve(conn, official, id, None)?;
        }
        Fate::Rejected(reason) => {
            workflow::reject(conn, official, id, reason, None)?;
        }
        Fate::Pending | Fate::Draft => {}
    }
    Ok(())
}
