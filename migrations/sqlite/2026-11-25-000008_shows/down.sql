DROP TABLE shows;
