DROP TABLE replies;
DROP TABLE interactions;
