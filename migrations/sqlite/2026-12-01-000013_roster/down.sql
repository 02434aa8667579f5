DROP TABLE duty_code_uses;
DROP TABLE duty_signins;
DROP TABLE holidays;
DROP TABLE duty_changes;
DROP TABLE duty_shifts;
DROP TABLE duty_offices;
DROP TABLE cadres;
