-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- drop "api_clients" table
DROP TABLE `api_clients`;
-- drop "revoked_tokens" table
DROP TABLE `revoked_tokens`;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
