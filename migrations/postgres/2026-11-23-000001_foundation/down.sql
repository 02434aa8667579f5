DROP TABLE settings;
DROP TABLE login_failures;
DROP TABLE audit_log;
DROP TABLE users;
DROP TABLE households;
DROP TABLE places;
