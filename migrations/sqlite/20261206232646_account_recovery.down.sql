-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_customers" table
CREATE TABLE `new_customers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `name` text NOT NULL, `phone` text NULL, `password_hash` text NULL, `role` text NOT NULL DEFAULT 'CUSTOMER', `password_changed_at` datetime NULL, `token_version` integer NOT NULL DEFAULT 0);
-- carry the id sequence of "customers" over to "new_customers"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_customers', seq FROM sqlite_sequence WHERE name = 'customers';
-- copy rows from old table "customers" to new temporary table "new_customers"
INSERT INTO `new_customers` (`id`, `created_at`, `updated_at`, `email`, `name`, `phone`, `password_hash`, `role`, `password_changed_at`, `token_version`) SELECT `id`, `created_at`, `updated_at`, `email`, `name`, `phone`, `password_hash`, `role`, `password_changed_at`, `token_version` FROM `customers`;
-- drop "customers" table after copying rows
DROP TABLE `customers`;
-- rename temporary table "new_customers" to "customers"
ALTER TABLE `new_customers` RENAME TO `customers`;
-- create index "customers_email_key" to table: "customers"
CREATE UNIQUE INDEX `customers_email_key` ON `customers` (`email`);
-- create "new_notifications" table
CREATE TABLE `new_notifications` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `channel` text NOT NULL, `recipient` text NOT NULL, `template` text NOT NULL, `status` text NOT NULL DEFAULT 'PENDING', `attempts` integer NOT NULL DEFAULT 0, `last_error` text NULL, `sent_at` datetime NULL, `provider_message_id` text NULL, `audience` text NOT NULL DEFAULT 'CUSTOMER', `order_id` integer NULL, CONSTRAINT `notifications_orders_notifications` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON UPDATE NO ACTION ON DELETE SET NULL);
-- carry the id sequence of "notifications" over to "new_notifications"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_notifications', seq FROM sqlite_sequence WHERE name = 'notifications';
-- copy rows from old table "notifications" to new temporary table "new_notifications"
INSERT INTO `new_notifications` (`id`, `created_at`, `updated_at`, `channel`, `recipient`, `template`, `status`, `attempts`, `last_error`, `sent_at`, `provider_message_id`, `audience`, `order_id`) SELECT `id`, `created_at`, `updated_at`, `channel`, `recipient`, `template`, `status`, `attempts`, `last_error`, `sent_at`, `provider_message_id`, `audience`, `order_id` FROM `notifications`;
-- drop "notifications" table after copying rows
DROP TABLE `notifications`;
-- rename temporary table "new_notifications" to "notifications"
ALTER TABLE `new_notifications` RENAME TO `notifications`;
-- create index "notification_status_created_at" to table: "notifications"
CREATE INDEX `notification_status_created_at` ON `notifications` (`status`, `created_at`);
-- create index "notification_order_id" to table: "notifications"
CREATE INDEX `notification_order_id` ON `notifications` (`order_id`);
-- drop "one_time_secrets" table
DROP TABLE `one_time_secrets`;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
