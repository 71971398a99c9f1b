-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- drop "media" table
DROP TABLE `media`;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
