DROP TABLE tracks;
DROP TABLE releases;
