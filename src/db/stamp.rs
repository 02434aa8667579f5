//! A timestamp that SQLite binds without chrono's formatter. The health
//! import binds two per row, and `format("%F %T%.f")` (what diesel binds a
//! `NaiveDateTime` with) was a tenth of its time under perf. The text is
//! the same, so what is stored does not change.

use chrono::{Datelike, NaiveDateTime, Timelike};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, diesel::AsExpression)]
#[diesel(sql_type = Timestamp)]
pub struct Stamp(pub NaiveDateTime);

impl Stamp {
    /// `2026-03-01 08:30:00`: chrono's `%F %T%.f` for whole seconds of
    /// four-digit years; `None` for the rest, which chrono formats.
    fn text(self) -> Option<String> {
        let t = self.0;
        let year = u32::try_from(t.year())
            .ok()
            .filter(|y| (1000..=9999).contains(y))?;
        if t.nanosecond() != 0 {
            return None;
        }
        let mut b = *b"0000-00-00 00:00:00";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        String::from_utf8(b.to_vec()).ok()
    }
}

#[cfg(feature = "sqlite")]
impl ToSql<Timestamp, diesel::sqlite::Sqlite> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::sqlite::Sqlite>) -> serialize::Result {
        match self.text() {
            Some(text) => {
                out.set_value(text);
                Ok(serialize::IsNull::No)
            }
            None => ToSql::<Timestamp, diesel::sqlite::Sqlite>::to_sql(&self.0, out),
        }
    }
}

#[cfg(feature = "postgres")]
impl ToSql<Timestamp, diesel::pg::Pg> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::pg::Pg>) -> serialize::Result {
        ToSql::<Timestamp, diesel::pg::Pg>::to_sql(&self.0, out)
    }
}

/// Through `DbConn` itself (tests, portable code): each engine's own above.
impl ToSql<Timestamp, super::MultiBackend> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, super::MultiBackend>) -> serialize::Result {
        out.set_value((Timestamp, self));
        Ok(serialize::IsNull::No)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_what_chrono_writes() {
        let base = chrono::NaiveDate::from_ymd_opt(1999, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 59, 58))
            .unwrap();
        for minutes in [0i64, 1, 61, 1440 * 59, 1440 * 366 * 7 + 13, 1440 * 365 * 30] {
            let t =
                base + chrono::Duration::minutes(minutes) + chrono::Duration::seconds(minutes % 7);
            assert_eq!(
                Stamp(t).text().as_deref(),
                Some(t.format("%F %T%.f").to_string().as_str())
            );
        }
        let fraction = base + chrono::Duration::milliseconds(250);
        assert_eq!(Stamp(fraction).text(), None, "chrono writes the fraction");
        let ancient = chrono::NaiveDate::from_ymd_opt(999, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap();
        assert_eq!(Stamp(ancient).text(), None);
    }
}
