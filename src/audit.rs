//! The audit log: who did what to which record, when, and what changed.
//! Writers call `record` inside the same transaction as the change itself.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::Actor;
use crate::db::schema::audit_log;
use crate::db::DbConn;
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    pub place_id: Option<i64>,
    pub summary: String,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    at: NaiveDateTime,
    actor_id: Option<i64>,
    actor_name: &'a str,
    action: &'a str,
    target_type: &'a str,
    target_id: Option<i64>,
    place_id: Option<i64>,
    summary: &'a str,
}

/// One change to record.
pub struct Event<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<i64>,
    pub place_id: Option<i64>,
    pub summary: String,
}

/// Appends an entry. Call it inside the transaction that makes the change.
/// Recording touches no TV page: a change TVs show also calls
/// `changes::touch` for its place.
pub fn record(conn: &mut DbConn, actor: &Actor, event: Event<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(NewEntry {
            at: crate::time::now(),
            actor_id: actor.user_id,
            actor_name: &actor.username,
            action: event.action,
            target_type: event.target_type,
            target_id: event.target_id,
            place_id: event.place_id,
            summary: &event.summary,
        })
        .execute(conn)
        .map(|_| ())
}

/// The Chinese name of an action, for the audit page.
pub fn action_label(action: &str) -> &str {
    match action {
        "place.create" => "新建地点",
        "place.update" => "修改地点",
        "user.create" => "新建用户",
        "user.update" => "修改用户",
        "user.password_reset" => "重置密码",
        "household.create" => "新建住户",
        "household.update" => "修改住户",
        "session.sign_in" => "登录",
        "session.sign_out" => "退出登录",
        "article.create" => "新建内容",
        "article.update" => "修改内容",
        "article.submit" => "提交审核",
        "article.approve" => "审核通过",
        "article.reject" => "退回修改",
        "article.publish" => "直接发布",
        "article.archive" => "下线内容",
        "media.upload" => "上传图片",
        "alert.create" => "发布预警",
        "alert.end" => "结束预警",
        "alert.renew" => "续期演示预警",
        "household.pin_reset" => "重置住户 PIN",
        "station.create" => "新建健康小屋",
        "station.update" => "修改健康小屋",
        "station.token" => "更换小屋令牌",
        "resident.create" => "新建居民档案",
        "resident.update" => "修改居民档案",
        "health.import" => "导入健康数据",
        "meeting.record" => "登记会议记录",
        "meeting.confirm" => "确认会议记录",
        "meeting.update" => "修改会议记录",
        "meeting.delete" => "删除会议记录",
        "party_member.add" => "添加党员",
        "party_member.update" => "修改党员信息",
        "party_member.remove" => "移出党员名册",
        "webhook.update" => "修改事件推送",
        "webhook.test" => "发送测试推送",
        "webhook.resend" => "重新发送推送",
        "office_screen.register" => "登记办公室屏幕",
        "office_screen.revoke" => "撤销办公室屏幕",
        other => other,
    }
}

/// Builds "field: before -> after" for the fields that changed.
#[derive(Default)]
pub struct Changes(Vec<String>);

impl Changes {
    pub fn new() -> Self {
        Changes::default()
    }

    pub fn field(mut self, name: &str, before: impl ToString, after: impl ToString) -> Self {
        let (before, after) = (before.to_string(), after.to_string());
        if before != after {
            self.0.push(format!("{name}: {before} -> {after}"));
        }
        self
    }

    /// A change whose values must not be logged (passwords, PINs).
    pub fn secret(mut self, name: &str, changed: bool) -> Self {
        if changed {
            self.0.push(format!("{name}: changed"));
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn summary(&self) -> String {
        if self.0.is_empty() {
            "no changes".into()
        } else {
            self.0.join("; ")
        }
    }
}

/// Filters of the audit page; every one optional.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub actor_name: Option<String>,
    pub action: Option<String>,
    pub place_id: Option<i64>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

/// One page of entries, newest first, and the number of all matching entries.
/// A page past the end gives the last page (as the pager shows it).
pub fn search(
    conn: &mut DbConn,
    filter: &Filter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<Entry>, i64)> {
    let query = || {
        let mut q = audit_log::table.into_boxed();
        if let Some(name) = &filter.actor_name {
            q = q.filter(audit_log::actor_name.eq(name.clone()));
        }
        if let Some(action) = &filter.action {
            q = q.filter(audit_log::action.eq(action.clone()));
        }
        if let Some(place) = filter.place_id {
            q = q.filter(audit_log::place_id.eq(place));
        }
        if let Some(from) = filter.from {
            q = q.filter(audit_log::at.ge(from));
        }
        if let Some(until) = filter.until {
            q = q.filter(audit_log::at.lt(until));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let pager = crate::pager::Pager::new(page, per_page).within(total);
    let rows = query()
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(pager.per_page())
        .offset(pager.offset())
        .select(Entry::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The distinct action names, for the filter's drop-down.
pub fn actions(conn: &mut DbConn) -> AppResult<Vec<String>> {
    Ok(audit_log::table
        .select(audit_log::action)
        .distinct()
        .order(audit_log::action)
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_list_only_what_changed_and_hide_secrets() {
        let c = Changes::new()
            .field("name", "耿井", "耿井村")
            .field("code", "gengjing", "gengjing")
            .secret("password", true)
            .secret("pin", false);
        assert_eq!(c.summary(), "name: 耿井 -> 耿井村; password: changed");
        assert_eq!(Changes::new().summary(), "no changes");
    }
}
