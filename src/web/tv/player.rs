//! How a video plays on a box. Set-top box middlewares differ: some play a
//! `<video>` element, some hand a link to their own player, some want a
//! vendor media-player object. This module and `templates/tv/player.html`
//! are the one place that decides, so a middleware-specific adapter
//! replaces only these two.

pub struct Player {
    /// The stream address (HLS `.m3u8` or MP4).
    pub src: String,
    /// The `type` of the `<source>`, when the address tells it.
    pub mime: &'static str,
    pub poster: Option<String>,
}

impl Player {
    pub fn new(src: &str, poster: Option<String>) -> Player {
        let path = src
            .split(['?', '#'])
            .next()
            .unwrap_or(src)
            .to_ascii_lowercase();
        let mime = if path.ends_with(".m3u8") {
            "application/vnd.apple.mpegurl"
        } else if path.ends_with(".mp4") || path.ends_with(".m4v") {
            "video/mp4"
        } else {
            ""
        };
        Player {
            src: src.to_string(),
            mime,
            poster,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Player;

    #[test]
    fn stream_types_from_the_address() {
        let mime = |u| Player::new(u, None).mime;
        assert_eq!(
            mime("https://v.example/a/index.m3u8?token=1"),
            "application/vnd.apple.mpegurl"
        );
        assert_eq!(mime("http://v.example/lecture.MP4"), "video/mp4");
        assert_eq!(mime("rtsp://v.example/live"), "");
    }
}
