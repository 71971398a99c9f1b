-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_carts" table
CREATE TABLE `new_carts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `token` text NOT NULL, `currency` text NOT NULL DEFAULT ('KES'), `expires_at` datetime NOT NULL, `shipping_address` json NULL, `customer_id` integer NULL, `pickup_point_id` integer NULL, `shipping_method_id` integer NULL, CONSTRAINT `carts_customers_carts` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE, CONSTRAINT `carts_pickup_points_carts` FOREIGN KEY (`pickup_point_id`) REFERENCES `pickup_points` (`id`) ON DELETE SET NULL, CONSTRAINT `carts_shipping_methods_carts` FOREIGN KEY (`shipping_method_id`) REFERENCES `shipping_methods` (`id`) ON DELETE SET NULL);
-- set sequence for "new_carts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_carts", 4294967296);
-- copy rows from old table "carts" to new temporary table "new_carts"
INSERT INTO `new_carts` (`id`, `created_at`, `updated_at`, `token`, `currency`, `expires_at`, `customer_id`) SELECT `id`, `created_at`, `updated_at`, `token`, `currency`, `expires_at`, `customer_id` FROM `carts`;
-- drop "carts" table after copying rows
DROP TABLE `carts`;
-- rename temporary table "new_carts" to "carts"
ALTER TABLE `new_carts` RENAME TO `carts`;
-- create index "carts_token_key" to table: "carts"
CREATE UNIQUE INDEX `carts_token_key` ON `carts` (`token`);
-- create index "cart_customer_id" to table: "carts"
CREATE INDEX `cart_customer_id` ON `carts` (`customer_id`);
-- create index "cart_expires_at" to table: "carts"
CREATE INDEX `cart_expires_at` ON `carts` (`expires_at`);
-- add column "shipping_method" to table: "orders"
ALTER TABLE `orders` ADD COLUMN `shipping_method` json NULL;
-- create "new_tax_rates" table
CREATE TABLE `new_tax_rates` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `basis_points` integer NOT NULL, `zone_id` integer NULL, `tax_class_id` integer NOT NULL, CONSTRAINT `tax_rates_shipping_zones_tax_rates` FOREIGN KEY (`zone_id`) REFERENCES `shipping_zones` (`id`) ON DELETE CASCADE, CONSTRAINT `tax_rates_tax_classes_rates` FOREIGN KEY (`tax_class_id`) REFERENCES `tax_classes` (`id`) ON DELETE CASCADE);
-- set sequence for "new_tax_rates" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_tax_rates", 90194313216);
-- copy rows from old table "tax_rates" to new temporary table "new_tax_rates"
INSERT INTO `new_tax_rates` (`id`, `created_at`, `updated_at`, `name`, `basis_points`, `tax_class_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `basis_points`, `tax_class_id` FROM `tax_rates`;
-- drop "tax_rates" table after copying rows
DROP TABLE `tax_rates`;
-- rename temporary table "new_tax_rates" to "tax_rates"
ALTER TABLE `new_tax_rates` RENAME TO `tax_rates`;
-- create index "taxrate_tax_class_id_name" to table: "tax_rates"
CREATE UNIQUE INDEX `taxrate_tax_class_id_name` ON `tax_rates` (`tax_class_id`, `name`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
