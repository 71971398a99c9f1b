-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_orders" table
CREATE TABLE `new_orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `currency` text NOT NULL, `subtotal_minor` integer NOT NULL, `shipping_minor` integer NOT NULL DEFAULT (0), `total_minor` integer NOT NULL, `prices_include_tax` bool NOT NULL DEFAULT (true), `discount_minor` integer NOT NULL DEFAULT (0), `tax_minor` integer NOT NULL DEFAULT (0), `shipping_tax_minor` integer NOT NULL DEFAULT (0), `tax_lines` json NULL, `email` text NULL, `phone` text NULL, `shipping_address` json NOT NULL, `note` text NULL, `idempotency_key` text NOT NULL, `placed_at` datetime NOT NULL, `customer_id` integer NULL, CONSTRAINT `orders_customers_orders` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL);
-- set sequence for "new_orders" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_orders", 30064771072);
-- copy rows from old table "orders" to new temporary table "new_orders"
INSERT INTO `new_orders` (`id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `email`, `phone`, `shipping_address`, `note`, `idempotency_key`, `placed_at`, `customer_id`) SELECT `id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `email`, `phone`, `shipping_address`, `note`, `idempotency_key`, `placed_at`, `customer_id` FROM `orders`;
-- drop "orders" table after copying rows
DROP TABLE `orders`;
-- rename temporary table "new_orders" to "orders"
ALTER TABLE `new_orders` RENAME TO `orders`;
-- create index "orders_number_key" to table: "orders"
CREATE UNIQUE INDEX `orders_number_key` ON `orders` (`number`);
-- create index "order_customer_id_idempotency_key" to table: "orders"
CREATE UNIQUE INDEX `order_customer_id_idempotency_key` ON `orders` (`customer_id`, `idempotency_key`);
-- create index "order_status_placed_at" to table: "orders"
CREATE INDEX `order_status_placed_at` ON `orders` (`status`, `placed_at`);
-- create index "order_placed_at" to table: "orders"
CREATE INDEX `order_placed_at` ON `orders` (`placed_at`);
-- create "new_order_lines" table
CREATE TABLE `new_order_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `product_name` text NOT NULL, `variant_name` text NOT NULL, `sku` text NOT NULL, `quantity` integer NOT NULL, `unit_price_minor` integer NOT NULL, `line_total_minor` integer NOT NULL, `discount_minor` integer NOT NULL DEFAULT (0), `tax_minor` integer NOT NULL DEFAULT (0), `gross_minor` integer NULL, `tax_class` text NULL, `order_id` integer NOT NULL, `variant_id` integer NULL, CONSTRAINT `order_lines_orders_lines` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE, CONSTRAINT `order_lines_product_variants_order_lines` FOREIGN KEY (`variant_id`) REFERENCES `product_variants` (`id`) ON DELETE SET NULL);
-- set sequence for "new_order_lines" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_order_lines", 38654705664);
-- copy rows from old table "order_lines" to new temporary table "new_order_lines"
INSERT INTO `new_order_lines` (`id`, `created_at`, `updated_at`, `product_name`, `variant_name`, `sku`, `quantity`, `unit_price_minor`, `line_total_minor`, `order_id`, `variant_id`) SELECT `id`, `created_at`, `updated_at`, `product_name`, `variant_name`, `sku`, `quantity`, `unit_price_minor`, `line_total_minor`, `order_id`, `variant_id` FROM `order_lines`;
-- drop "order_lines" table after copying rows
DROP TABLE `order_lines`;
-- rename temporary table "new_order_lines" to "order_lines"
ALTER TABLE `new_order_lines` RENAME TO `order_lines`;
-- create index "orderline_order_id" to table: "order_lines"
CREATE INDEX `orderline_order_id` ON `order_lines` (`order_id`);
-- create index "orderline_variant_id" to table: "order_lines"
CREATE INDEX `orderline_variant_id` ON `order_lines` (`variant_id`);
-- add column "email_verified_at" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `email_verified_at` datetime NULL;
-- add column "phone_verified_at" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `phone_verified_at` datetime NULL;
-- add column "secret" to table: "notifications"
ALTER TABLE `notifications` ADD COLUMN `secret` text NULL;
-- add column "weight_grams" to table: "product_variants"
ALTER TABLE `product_variants` ADD COLUMN `weight_grams` integer NULL;
-- create "one_time_secrets" table
CREATE TABLE `one_time_secrets` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `purpose` text NOT NULL, `target` text NOT NULL, `salt` text NOT NULL, `hash` text NOT NULL, `expires_at` datetime NOT NULL, `used_at` datetime NULL, `customer_id` integer NULL, CONSTRAINT `one_time_secrets_customers_one_time_secrets` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- set sequence for "one_time_secrets" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("one_time_secrets", 81604378624);
-- create index "onetimesecret_purpose_target" to table: "one_time_secrets"
CREATE INDEX `onetimesecret_purpose_target` ON `one_time_secrets` (`purpose`, `target`);
-- create index "onetimesecret_customer_id" to table: "one_time_secrets"
CREATE INDEX `onetimesecret_customer_id` ON `one_time_secrets` (`customer_id`);
-- create index "onetimesecret_expires_at" to table: "one_time_secrets"
CREATE INDEX `onetimesecret_expires_at` ON `one_time_secrets` (`expires_at`);
-- create "pickup_points" table
CREATE TABLE `pickup_points` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `line1` text NOT NULL, `line2` text NOT NULL DEFAULT (''), `town` text NOT NULL, `region` text NOT NULL DEFAULT (''), `postal_code` text NOT NULL DEFAULT (''), `country_code` text NOT NULL, `opening_hours` text NOT NULL, `phone` text NOT NULL, `active` bool NOT NULL DEFAULT (true), `method_id` integer NOT NULL, CONSTRAINT `pickup_points_shipping_methods_pickup_points` FOREIGN KEY (`method_id`) REFERENCES `shipping_methods` (`id`) ON DELETE CASCADE);
-- set sequence for "pickup_points" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("pickup_points", 68719476736);
-- create index "pickuppoint_method_id" to table: "pickup_points"
CREATE INDEX `pickuppoint_method_id` ON `pickup_points` (`method_id`);
-- create "shipping_methods" table
CREATE TABLE `shipping_methods` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `kind` text NOT NULL, `rate_type` text NOT NULL, `rate_minor` integer NOT NULL DEFAULT (0), `bands` json NOT NULL, `free_over_minor` integer NULL, `min_days` integer NOT NULL DEFAULT (0), `max_days` integer NOT NULL DEFAULT (0), `same_day_cutoff_hour` integer NULL, `active` bool NOT NULL DEFAULT (true), `zone_id` integer NOT NULL, CONSTRAINT `shipping_methods_shipping_zones_methods` FOREIGN KEY (`zone_id`) REFERENCES `shipping_zones` (`id`) ON DELETE CASCADE, CONSTRAINT `shipping_method_days` CHECK (max_days >= min_days));
-- set sequence for "shipping_methods" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("shipping_methods", 73014444032);
-- create index "shippingmethod_zone_id" to table: "shipping_methods"
CREATE INDEX `shippingmethod_zone_id` ON `shipping_methods` (`zone_id`);
-- create "shipping_zones" table
CREATE TABLE `shipping_zones` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `country_code` text NOT NULL, `region` text NOT NULL DEFAULT (''), `town` text NOT NULL DEFAULT (''), `postal_code_pattern` text NOT NULL DEFAULT (''), `match_key` text NOT NULL);
-- set sequence for "shipping_zones" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("shipping_zones", 77309411328);
-- create index "shipping_zones_match_key_key" to table: "shipping_zones"
CREATE UNIQUE INDEX `shipping_zones_match_key_key` ON `shipping_zones` (`match_key`);
-- create "tax_classes" table
CREATE TABLE `tax_classes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `code` text NOT NULL, `name` text NOT NULL);
-- set sequence for "tax_classes" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("tax_classes", 85899345920);
-- create index "tax_classes_code_key" to table: "tax_classes"
CREATE UNIQUE INDEX `tax_classes_code_key` ON `tax_classes` (`code`);
-- create "tax_rates" table
CREATE TABLE `tax_rates` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `basis_points` integer NOT NULL, `tax_class_id` integer NOT NULL, CONSTRAINT `tax_rates_tax_classes_rates` FOREIGN KEY (`tax_class_id`) REFERENCES `tax_classes` (`id`) ON DELETE CASCADE);
-- set sequence for "tax_rates" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("tax_rates", 90194313216);
-- create index "taxrate_tax_class_id_name" to table: "tax_rates"
CREATE UNIQUE INDEX `taxrate_tax_class_id_name` ON `tax_rates` (`tax_class_id`, `name`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
