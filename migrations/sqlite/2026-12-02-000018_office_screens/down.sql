DROP TABLE office_screens;
DROP TABLE office_pairings;
