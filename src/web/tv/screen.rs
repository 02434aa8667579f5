//! The box's screen profile: HD (1280x720) or SD (720x576).
//!
//! One set of templates serves both: every TV page gets the profile in its
//! [`Frame`](super::Frame) (`frame.screen`), `base.html` declares its size and
//! puts its class (`hd` / `sd`) on `<body>`, and `tv.css` lays the SD pages
//! out under `body.sd`. Handlers ask the profile how much fits a page
//! ([`Screen::rows`], [`Screen::tiles`]) instead of using constants.
//!
//! A box chooses once: `/tv?stbid=ID&screen=sd` on its start address, or the
//! household's setting in the back office when the address says nothing. The
//! choice is kept in the box's `vp_screen` cookie, which every page reads
//! (the page cache keys on it too).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

/// The cookie that keeps a box's profile.
pub const SCREEN_COOKIE: &str = "vp_screen";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Screen {
    #[default]
    Hd,
    Sd,
}

impl Screen {
    /// `hd` or `sd` (start addresses, the cookie, the household setting).
    pub fn parse(raw: &str) -> Option<Screen> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "hd" => Some(Screen::Hd),
            "sd" => Some(Screen::Sd),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Screen::Hd => "hd",
            Screen::Sd => "sd",
        }
    }

    /// How the back office names it.
    pub fn label(self) -> &'static str {
        match self {
            Screen::Hd => "高清 1280×720",
            Screen::Sd => "标清 720×576",
        }
    }

    /// The profile a request's cookie holds; HD without one.
    pub fn of(req: &HttpRequest) -> Screen {
        req.cookie(SCREEN_COOKIE)
            .and_then(|c| Screen::parse(c.value()))
            .unwrap_or_default()
    }

    pub fn width(self) -> u32 {
        match self {
            Screen::Hd => 1280,
            Screen::Sd => 720,
        }
    }

    pub fn height(self) -> u32 {
        match self {
            Screen::Hd => 720,
            Screen::Sd => 576,
        }
    }

    /// `1280*720`, for `<meta name="page-view-size">`.
    pub fn view_size(self) -> String {
        format!("{}*{}", self.width(), self.height())
    }

    /// The CSS class on `<body>`.
    pub fn class(self) -> &'static str {
        self.as_str()
    }

    pub fn is_sd(self) -> bool {
        self == Screen::Sd
    }

    /// Rows of a list page (one row per item) above the pager.
    pub fn rows(self) -> i64 {
        match self {
            Screen::Hd => 8,
            Screen::Sd => 5,
        }
    }

    /// Rows of a list page that also has a line of tabs above it.
    pub fn rows_under_tabs(self) -> i64 {
        match self {
            Screen::Hd => 7,
            Screen::Sd => 4,
        }
    }

    /// Tiles (posters, village or member tiles) of a grid page.
    pub fn tiles(self) -> i64 {
        match self {
            Screen::Hd => 8,
            Screen::Sd => 4,
        }
    }

    /// Video posters of the 点播 grid.
    pub fn posters(self) -> i64 {
        match self {
            Screen::Hd => 8,
            Screen::Sd => 3,
        }
    }

    /// The size a video poster is drawn at in the grid.
    pub fn poster_size(self) -> (u32, u32) {
        match self {
            Screen::Hd => (224, 126),
            Screen::Sd => (176, 99),
        }
    }

    /// The player's box on a video page.
    pub fn player_size(self) -> (u32, u32) {
        match self {
            Screen::Hd => (704, 396),
            Screen::Sd => (400, 225),
        }
    }

    /// A health trend picture beside the readings.
    pub fn chart_size(self) -> (u32, u32) {
        match self {
            Screen::Hd => (crate::health::chart::WIDTH, crate::health::chart::HEIGHT),
            // The trends have an SD screen of their own, at its full width.
            Screen::Sd => (648, 120),
        }
    }

    /// Urgent or pinned notices on the home page.
    pub fn highlights(self) -> i64 {
        match self {
            Screen::Hd => 3,
            Screen::Sd => 2,
        }
    }

    /// Text columns of a list row's title (a CJK character counts two,
    /// as `crate::text::cut` measures): what fits one row beside the
    /// number and the date at the row's font size.
    pub fn row_columns(self) -> usize {
        match self {
            Screen::Hd => 62,
            Screen::Sd => 36,
        }
    }
}

impl Screen {
    /// Text columns of a home-page highlight's title (HD: two lines
    /// beside the tag; SD: one row beside the tag and the date).
    pub fn highlight_columns(self) -> usize {
        match self {
            Screen::Hd => 36,
            Screen::Sd => 34,
        }
    }

    /// Text columns of a video poster's title (HD two lines, SD three).
    pub fn poster_columns(self) -> usize {
        match self {
            Screen::Hd => 30,
            Screen::Sd => 36,
        }
    }

    /// Text columns of the summary beside a video's player.
    pub fn summary_columns(self) -> usize {
        match self {
            Screen::Hd => 120,
            Screen::Sd => 52,
        }
    }
}

impl FromRequest for Screen {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Screen, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Screen::of(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::Screen;

    #[test]
    fn parses_what_boxes_send() {
        assert_eq!(Screen::parse("sd"), Some(Screen::Sd));
        assert_eq!(Screen::parse(" SD "), Some(Screen::Sd));
        assert_eq!(Screen::parse("hd"), Some(Screen::Hd));
        assert_eq!(Screen::parse("4k"), None);
        assert_eq!(Screen::Sd.view_size(), "720*576");
        assert_eq!(Screen::Hd.view_size(), "1280*720");
        assert!(Screen::Sd.rows() < Screen::Hd.rows());
        assert!(Screen::Sd.tiles() < Screen::Hd.tiles());
    }
}
