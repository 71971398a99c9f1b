-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- drop "audit_entries" table
DROP TABLE `audit_entries`;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
