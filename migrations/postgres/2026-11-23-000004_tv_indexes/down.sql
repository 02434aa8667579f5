DROP INDEX articles_place_expire_at;
DROP INDEX articles_place_publish_at;
DROP INDEX articles_place_published;
