DROP TABLE voice_boards;
DROP TABLE voice_steps;
DROP TABLE voice_requests;
