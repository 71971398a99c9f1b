-- create "api_clients" table
CREATE TABLE `api_clients` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `client_id` text NOT NULL, `secret_hash` text NOT NULL, `previous_secret_hash` text NULL, `previous_secret_expires_at` datetime NULL, `scopes` json NOT NULL, `disabled` bool NOT NULL DEFAULT (false), `last_used_at` datetime NULL);
-- set sequence for "api_clients" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("api_clients", 111669149696);
-- create index "api_clients_client_id_key" to table: "api_clients"
CREATE UNIQUE INDEX `api_clients_client_id_key` ON `api_clients` (`client_id`);
-- create "revoked_tokens" table
CREATE TABLE `revoked_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `jti` text NOT NULL, `client_id` text NOT NULL, `expires_at` datetime NOT NULL);
-- set sequence for "revoked_tokens" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("revoked_tokens", 115964116992);
-- create index "revoked_tokens_jti_key" to table: "revoked_tokens"
CREATE UNIQUE INDEX `revoked_tokens_jti_key` ON `revoked_tokens` (`jti`);
-- create index "revokedtoken_expires_at" to table: "revoked_tokens"
CREATE INDEX `revokedtoken_expires_at` ON `revoked_tokens` (`expires_at`);
