-- add column "email_verified_at" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `email_verified_at` datetime NULL;
-- add column "phone_verified_at" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `phone_verified_at` datetime NULL;
-- add column "secret" to table: "notifications"
ALTER TABLE `notifications` ADD COLUMN `secret` text NULL;
-- create "one_time_secrets" table
CREATE TABLE `one_time_secrets` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `purpose` text NOT NULL, `target` text NOT NULL, `salt` text NOT NULL, `hash` text NOT NULL, `expires_at` datetime NOT NULL, `used_at` datetime NULL, `customer_id` integer NULL, CONSTRAINT `one_time_secrets_customers_one_time_secrets` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- set sequence for "one_time_secrets" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("one_time_secrets", 68719476736);
-- create index "onetimesecret_purpose_target" to table: "one_time_secrets"
CREATE INDEX `onetimesecret_purpose_target` ON `one_time_secrets` (`purpose`, `target`);
-- create index "onetimesecret_customer_id" to table: "one_time_secrets"
CREATE INDEX `onetimesecret_customer_id` ON `one_time_secrets` (`customer_id`);
-- create index "onetimesecret_expires_at" to table: "one_time_secrets"
CREATE INDEX `onetimesecret_expires_at` ON `one_time_secrets` (`expires_at`);
