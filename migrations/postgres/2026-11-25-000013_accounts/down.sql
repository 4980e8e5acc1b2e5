DROP TABLE invites;
DROP TABLE sessions;
DROP TABLE artist_members;
DROP TABLE users;
