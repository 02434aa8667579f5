DROP TABLE meeting_photos;
