//! The generated townships and villages: a seeded plan of codes and names,
//! and the rows for the places not there yet.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::phrases::{DIRECTIONS, LANDMARKS, SURNAMES, TOWNSHIP_NAMES, VILLAGE_SUFFIXES};
use super::rng::Rng;
use super::{Report, Scale, PLACE_CHUNK};
use crate::access::PlaceKind;
use crate::db::schema::places;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};

/// A place content belongs to.
#[derive(Debug, Clone)]
pub(super) struct Owner {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) kind: PlaceKind,
}

#[derive(Debug)]
pub(super) struct Township {
    pub(super) place: Owner,
    pub(super) villages: Vec<Owner>,
}

#[derive(Insertable)]
#[diesel(table_name = places)]
#[diesel(treat_none_as_null = true)]
struct NewPlace<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    parent_id: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// (code, name) of a place.
type CodeName = (String, String);

/// The generated places: (code, name) of each township with its villages.
pub(super) fn place_plan(scale: &Scale) -> Vec<(CodeName, Vec<CodeName>)> {
    let mut rng = Rng::new(0x7069_6c6c_6167_6573);
    // Names of the small demo's villages stay unique too.
    let mut used: HashSet<String> = crate::demo::TOWNSHIPS
        .iter()
        .flat_map(|(_, _, villages)| villages.iter().map(|(_, name)| name.to_string()))
        .collect();
    (0..scale.townships)
        .map(|t| {
            let base = TOWNSHIP_NAMES[t % TOWNSHIP_NAMES.len()];
            let name = match t / TOWNSHIP_NAMES.len() {
                0 => base.to_string(),
                n => format!("{base}{}", n + 1),
            };
            let villages = (0..scale.villages_per_township)
                .map(|v| {
                    (
                        format!("t{:02}v{:02}", t + 1, v + 1),
                        village_name(&mut rng, &mut used),
                    )
                })
                .collect();
            ((format!("t{:02}", t + 1), name), villages)
        })
        .collect()
}

fn village_name(rng: &mut Rng, used: &mut HashSet<String>) -> String {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let name = match rng.below(10) {
            0..=4 => format!("{}{}村", rng.pick(SURNAMES), rng.pick(VILLAGE_SUFFIXES)),
            5..=6 => format!("{}{}村", rng.pick(DIRECTIONS), rng.pick(SURNAMES)),
            7 => format!(
                "{}{}{}村",
                rng.pick(DIRECTIONS),
                rng.pick(SURNAMES),
                rng.pick(&["庄", "家", "营", "集"])
            ),
            _ => format!("{}{}村", rng.pick(DIRECTIONS), rng.pick(LANDMARKS)),
        };
        // Past a few thousand tries the lists are exhausted: number the name.
        let name = if attempt > 5_000 {
            format!("{}{}村", name.trim_end_matches('村'), attempt)
        } else {
            name
        };
        if used.insert(name.clone()) {
            return name;
        }
    }
}

pub(super) fn ensure_places(
    conn: &mut DbConn,
    county_id: i64,
    scale: &Scale,
    report: &mut Report,
) -> AppResult<Vec<Township>> {
    let plan = place_plan(scale);
    let existing = |conn: &mut DbConn| -> AppResult<HashMap<String, i64>> {
        Ok(places::table
            .filter(places::code.like("t%"))
            .select((places::code, places::id))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect())
    };
    let now = crate::time::now();
    let have = existing(conn)?;
    let missing: Vec<NewPlace> = plan
        .iter()
        .filter(|((code, _), _)| !have.contains_key(code))
        .map(|((code, name), _)| NewPlace {
            code,
            name,
            kind: PlaceKind::Township.as_str(),
            parent_id: Some(county_id),
            created_at: now,
            updated_at: now,
        })
        .collect();
    report.townships_added = missing.len();
    insert_places(conn, &missing)?;
    let have = existing(conn)?;
    let mut missing = Vec::new();
    for ((tcode, _), villages) in &plan {
        let parent = have.get(tcode).copied();
        for (code, name) in villages {
            if !have.contains_key(code) {
                missing.push(NewPlace {
                    code,
                    name,
                    kind: PlaceKind::Village.as_str(),
                    parent_id: parent,
                    created_at: now,
                    updated_at: now,
                });
            }
        }
    }
    report.villages_added = missing.len();
    insert_places(conn, &missing)?;

    let have = existing(conn)?;
    let id_of = |code: &str| {
        have.get(code)
            .copied()
            .ok_or_else(|| AppError::bug(format!("generated place {code} is missing")))
    };
    plan.iter()
        .map(|((tcode, tname), villages)| {
            Ok(Township {
                place: Owner {
                    id: id_of(tcode)?,
                    name: tname.clone(),
                    kind: PlaceKind::Township,
                },
                villages: villages
                    .iter()
                    .map(|(code, name)| {
                        Ok(Owner {
                            id: id_of(code)?,
                            name: name.clone(),
                            kind: PlaceKind::Village,
                        })
                    })
                    .collect::<AppResult<_>>()?,
            })
        })
        .collect()
}

fn insert_places(conn: &mut DbConn, rows: &[NewPlace]) -> AppResult<()> {
    for chunk in rows.chunks(PLACE_CHUNK) {
        db::write(conn, |conn| {
            on_inner!(conn, |c| diesel::insert_into(places::table)
                .values(chunk)
                .execute(c))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_county_plan_has_unique_codes_and_names() {
        let plan = place_plan(&Scale::COUNTY);
        assert_eq!(plan.len(), 40);
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for ((code, name), villages) in &plan {
            assert!(codes.insert(code.clone()));
            assert!(names.insert(name.clone()), "{name}");
            assert_eq!(villages.len(), 18);
            for (code, name) in villages {
                assert!(crate::validate::code(code, "代码").is_ok(), "{code}");
                assert!(codes.insert(code.clone()));
                assert!(names.insert(name.clone()), "{name}");
                assert!(name.ends_with('村') && name.chars().count() <= 6, "{name}");
            }
        }
        assert_eq!(plan[0].1[0].0, "t01v01");
        // The same plan every time.
        assert_eq!(place_plan(&Scale::COUNTY)[7].1[5], plan[7].1[5]);
    }
}
