//! Who may do what where. `may` is the one permission function; every handler
//! and domain write goes through it (via `Actor::require`).

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Official,
    Clerk,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Official, Role::Clerk, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Official => "official",
            Role::Clerk => "clerk",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "县级管理员",
            Role::Official => "乡镇审核员",
            Role::Clerk => "村文书",
            Role::Auditor => "审计员",
        }
    }

    /// The kind of place a user of this role belongs to.
    pub fn place_kind(self) -> PlaceKind {
        match self {
            Role::Admin | Role::Auditor => PlaceKind::County,
            Role::Official => PlaceKind::Township,
            Role::Clerk => PlaceKind::Village,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlaceKind {
    County,
    Township,
    Village,
}

impl PlaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::County => "county",
            PlaceKind::Township => "township",
            PlaceKind::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<PlaceKind> {
        [PlaceKind::County, PlaceKind::Township, PlaceKind::Village]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PlaceKind::County => "县区",
            PlaceKind::Township => "乡镇街道",
            PlaceKind::Village => "村",
        }
    }

    /// The kind a parent of this kind must have (`None`: no parent).
    pub fn parent_kind(self) -> Option<PlaceKind> {
        match self {
            PlaceKind::County => None,
            PlaceKind::Township => Some(PlaceKind::County),
            PlaceKind::Village => Some(PlaceKind::Township),
        }
    }
}

/// A place with the ids of the county and township it lies in (itself included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaceScope {
    pub id: i64,
    pub kind: PlaceKind,
    pub township_id: Option<i64>,
    pub county_id: Option<i64>,
}

impl PlaceScope {
    /// A county: it is its own county.
    pub fn county(id: i64) -> PlaceScope {
        PlaceScope {
            id,
            kind: PlaceKind::County,
            township_id: None,
            county_id: Some(id),
        }
    }

    /// A township: it is its own township. `county_id` is the township's parent,
    /// which a place row may lack.
    pub fn township(id: i64, county_id: Option<i64>) -> PlaceScope {
        PlaceScope {
            id,
            kind: PlaceKind::Township,
            township_id: Some(id),
            county_id,
        }
    }

    /// A village with the township and county it lies in (either may be unknown
    /// when a place row lacks its parent).
    pub fn village(id: i64, township_id: Option<i64>, county_id: Option<i64>) -> PlaceScope {
        PlaceScope {
            id,
            kind: PlaceKind::Village,
            township_id,
            county_id,
        }
    }

    /// Whether `other` is this place or lies inside it.
    pub fn contains(&self, other: &PlaceScope) -> bool {
        match self.kind {
            PlaceKind::County => other.county_id == Some(self.id),
            PlaceKind::Township => other.township_id == Some(self.id),
            PlaceKind::Village => other.id == self.id,
        }
    }
}

/// Everything the portal lets somebody do; grouped by who normally does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create and edit townships and villages.
    ManagePlaces,
    /// Create users, change roles, disable, reset passwords.
    ManageUsers,
    /// Households, their STB ids and PINs.
    ManageHouseholds,
    /// Read the audit log.
    ViewAudit,
    /// Read back-office lists of a place (places, households).
    ViewPlace,
    /// Write and submit content for a village.
    EditContent,
    /// Approve or reject submitted content.
    ReviewContent,
    /// Publish township-wide content and emergency alerts directly.
    PublishDirect,
    ManageCameras,
    /// A health station's details (hours, doctor on duty...) and CSV uploads.
    ManageStation,
    /// Per-village health figures, without names.
    ViewHealthStats,
    /// A village's cadres, duty roster, party members and meeting records.
    KeepRoster,
    /// Read the duty and branch-record supervision tables.
    SuperviseRoster,
    /// Handle villagers' requests of a village: 受理, 办理, 回复, 办结.
    HandleRequests,
    /// The township's view of villagers' requests: overdue, by village.
    SuperviseRequests,
    /// A township's webhook: its address, secret, test and re-sends.
    ManageWebhooks,
    /// Register (and revoke) a village office's sign-in screen: someone
    /// above the village, so its cadres cannot register a phone at home.
    RegisterOfficeScreens,
}

/// The signed-in person (or the CLI) acting on the portal.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub role: Role,
    pub place: PlaceScope,
}

impl Actor {
    /// The command line or the demo loader, acting as an admin of `county`.
    pub fn system(name: &str, county: PlaceScope) -> Actor {
        Actor {
            user_id: None,
            username: name.to_string(),
            role: Role::Admin,
            place: county,
        }
    }

    /// Fails with 403 unless `may` allows the action on the place.
    pub fn require(&self, action: Action, place: &PlaceScope) -> Result<(), AppError> {
        if may(self, action, place) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }

    pub fn may(&self, action: Action, place: &PlaceScope) -> bool {
        may(self, action, place)
    }
}

/// May `actor` do `action` on `place`? The whole permission model is here.
pub fn may(actor: &Actor, action: Action, place: &PlaceScope) -> bool {
    use Action::*;
    if !actor.place.contains(place) {
        return false;
    }
    match actor.role {
        Role::Admin => true,
        // Health figures are counts without names: read-only oversight.
        Role::Auditor => matches!(
            action,
            ViewAudit | ViewPlace | ViewHealthStats | SuperviseRoster | SuperviseRequests
        ),
        Role::Official => matches!(
            action,
            ViewPlace
                | EditContent
                | ReviewContent
                | PublishDirect
                | ManageCameras
                | ManageStation
                | ViewHealthStats
                | KeepRoster
                | SuperviseRoster
                | HandleRequests
                | SuperviseRequests
                | ManageWebhooks
                | RegisterOfficeScreens
        ),
        Role::Clerk => matches!(
            action,
            ViewPlace
                | EditContent
                | ManageHouseholds
                | ManageStation
                | KeepRoster
                | HandleRequests
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // County 1; townships 10 and 20; villages 11, 12 in 10 and 21 in 20.
    fn county() -> PlaceScope {
        PlaceScope::county(1)
    }
    fn township(id: i64) -> PlaceScope {
        PlaceScope::township(id, Some(1))
    }
    fn village(id: i64, township: i64) -> PlaceScope {
        PlaceScope::village(id, Some(township), Some(1))
    }
    fn actor(role: Role, place: PlaceScope) -> Actor {
        Actor {
            user_id: Some(1),
            username: "u".into(),
            role,
            place,
        }
    }

    #[test]
    fn containment() {
        assert!(county().contains(&village(21, 20)));
        assert!(township(10).contains(&village(11, 10)));
        assert!(!township(10).contains(&village(21, 20)));
        assert!(!township(10).contains(&county()));
        assert!(village(11, 10).contains(&village(11, 10)));
        assert!(!village(11, 10).contains(&village(12, 10)));
        let other_county = PlaceScope::county(2);
        assert!(!county().contains(&other_county));
    }

    #[test]
    fn each_role_against_own_sibling_and_foreign_village() {
        use Action::*;
        let own = village(11, 10);
        let sibling = village(12, 10);
        let foreign = village(21, 20);
        let clerk = actor(Role::Clerk, own);
        let official = actor(Role::Official, township(10));
        let admin = actor(Role::Admin, county());
        let auditor = actor(Role::Auditor, county());

        // Clerk: own village only, no review, no users, no audit.
        assert!(may(&clerk, EditContent, &own));
        assert!(may(&clerk, ManageHouseholds, &own));
        assert!(!may(&clerk, EditContent, &sibling));
        assert!(!may(&clerk, EditContent, &foreign));
        assert!(!may(&clerk, ReviewContent, &own));
        assert!(!may(&clerk, ManageUsers, &own));
        assert!(!may(&clerk, ViewAudit, &own));
        assert!(!may(&clerk, EditContent, &township(10)));
        assert!(!may(&clerk, RegisterOfficeScreens, &own));

        // Official: every village of the township, none outside it.
        for v in [own, sibling] {
            assert!(may(&official, ReviewContent, &v));
            assert!(may(&official, ManageCameras, &v));
            assert!(!may(&official, ManageHouseholds, &v));
            assert!(!may(&official, ManagePlaces, &v));
        }
        assert!(may(&official, PublishDirect, &township(10)));
        assert!(!may(&official, ReviewContent, &foreign));
        assert!(may(&official, RegisterOfficeScreens, &own));
        assert!(!may(&official, RegisterOfficeScreens, &foreign));
        assert!(may(&admin, RegisterOfficeScreens, &foreign));
        assert!(!may(&auditor, RegisterOfficeScreens, &own));
        assert!(!may(&official, PublishDirect, &township(20)));
        assert!(!may(&official, ViewAudit, &own));
        assert!(!may(&official, ManageUsers, &own));

        // Admin: everything in the county.
        for v in [own, sibling, foreign] {
            for a in [
                ManagePlaces,
                ManageUsers,
                ManageHouseholds,
                ViewAudit,
                ReviewContent,
                EditContent,
            ] {
                assert!(may(&admin, a, &v));
            }
        }
        assert!(may(&admin, ManagePlaces, &county()));

        // Auditor: reads, never writes, anywhere in the county.
        for v in [own, sibling, foreign] {
            assert!(may(&auditor, ViewAudit, &v));
            for a in [
                ManagePlaces,
                ManageUsers,
                ManageHouseholds,
                EditContent,
                ReviewContent,
                PublishDirect,
            ] {
                assert!(!may(&auditor, a, &v));
            }
        }
    }
}
