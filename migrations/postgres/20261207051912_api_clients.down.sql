-- reverse: create index "revokedtoken_expires_at" to table: "revoked_tokens"
DROP INDEX "revokedtoken_expires_at";
-- reverse: create index "revoked_tokens_jti_key" to table: "revoked_tokens"
DROP INDEX "revoked_tokens_jti_key";
-- reverse: create "revoked_tokens" table
DROP TABLE "revoked_tokens";
-- reverse: create index "api_clients_client_id_key" to table: "api_clients"
DROP INDEX "api_clients_client_id_key";
-- reverse: create "api_clients" table
DROP TABLE "api_clients";
