//! Placeholder until the allow-list sanitiser lands (being written now).

pub fn clean_body(html: &str) -> String {
    ammonia::clean(html)
}

pub fn plain_text(html: &str) -> String {
    ammonia::Builder::empty().clean(html).to_string()
}

pub fn is_effectively_empty(html: &str) -> bool {
    plain_text(html).trim().is_empty() && !html.contains("<img")
}
