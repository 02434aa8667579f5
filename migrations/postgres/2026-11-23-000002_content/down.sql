DROP TABLE alert_villages;
DROP TABLE alerts;
DROP TABLE article_revisions;
DROP TABLE articles;
DROP TABLE media;
DROP TABLE blobs;
