-- reverse: create index "onetimesecret_purpose_target" to table: "one_time_secrets"
DROP INDEX "onetimesecret_purpose_target";
-- reverse: create index "onetimesecret_expires_at" to table: "one_time_secrets"
DROP INDEX "onetimesecret_expires_at";
-- reverse: create index "onetimesecret_customer_id" to table: "one_time_secrets"
DROP INDEX "onetimesecret_customer_id";
-- reverse: create "one_time_secrets" table
DROP TABLE "one_time_secrets";
-- reverse: modify "notifications" table
ALTER TABLE "notifications" DROP COLUMN "secret";
-- reverse: modify "customers" table
ALTER TABLE "customers" DROP COLUMN "phone_verified_at", DROP COLUMN "email_verified_at";
