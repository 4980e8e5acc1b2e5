DROP TABLE visit_salts;
DROP TABLE pass_visits;
DROP TABLE pass_links;
