-- What the TV pages ask of articles per village audience (the village, its
-- township, its county): what went on air this week, and when the next
-- scheduled publish or expiry falls (the page cache's "valid until").
CREATE INDEX articles_place_published ON articles (place_id, published_at);
CREATE INDEX articles_place_publish_at ON articles (place_id, publish_at);
CREATE INDEX articles_place_expire_at ON articles (place_id, expire_at);
