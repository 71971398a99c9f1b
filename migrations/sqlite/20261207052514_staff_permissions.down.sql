-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_customers" table
CREATE TABLE `new_customers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `name` text NOT NULL, `phone` text NULL, `password_hash` text NULL, `role` text NOT NULL DEFAULT 'CUSTOMER', `password_changed_at` datetime NULL, `token_version` integer NOT NULL DEFAULT 0, `email_verified_at` datetime NULL, `phone_verified_at` datetime NULL);
-- carry the id sequence of "customers" over to "new_customers"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_customers', seq FROM sqlite_sequence WHERE name = 'customers';
-- copy rows from old table "customers" to new temporary table "new_customers"
INSERT INTO `new_customers` (`id`, `created_at`, `updated_at`, `email`, `name`, `phone`, `password_hash`, `role`, `password_changed_at`, `token_version`, `email_verified_at`, `phone_verified_at`) SELECT `id`, `created_at`, `updated_at`, `email`, `name`, `phone`, `password_hash`, `role`, `password_changed_at`, `token_version`, `email_verified_at`, `phone_verified_at` FROM `customers`;
-- drop "customers" table after copying rows
DROP TABLE `customers`;
-- rename temporary table "new_customers" to "customers"
ALTER TABLE `new_customers` RENAME TO `customers`;
-- create index "customers_email_key" to table: "customers"
CREATE UNIQUE INDEX `customers_email_key` ON `customers` (`email`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
