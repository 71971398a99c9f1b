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
-- create "new_orders" table
CREATE TABLE `new_orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `currency` text NOT NULL, `subtotal_minor` integer NOT NULL, `shipping_minor` integer NOT NULL DEFAULT (0), `total_minor` integer NOT NULL, `prices_include_tax` bool NOT NULL DEFAULT (true), `discount_minor` integer NOT NULL DEFAULT (0), `tax_minor` integer NOT NULL DEFAULT (0), `shipping_tax_minor` integer NOT NULL DEFAULT (0), `tax_lines` json NULL, `email` text NULL, `phone` text NULL, `shipping_address` json NOT NULL, `shipping_method` json NULL, `note` text NULL, `idempotency_key` text NOT NULL, `placed_at` datetime NOT NULL, `guest_cart_token` text NULL, `guest_contact` text NULL, `access_token_hash` text NULL, `access_expires_at` datetime NULL, `customer_id` integer NULL, CONSTRAINT `orders_customers_orders` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL);
-- set sequence for "new_orders" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_orders", 30064771072);
-- copy rows from old table "orders" to new temporary table "new_orders"
INSERT INTO `new_orders` (`id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `prices_include_tax`, `discount_minor`, `tax_minor`, `shipping_tax_minor`, `tax_lines`, `email`, `phone`, `shipping_address`, `note`, `idempotency_key`, `placed_at`, `customer_id`) SELECT `id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `prices_include_tax`, `discount_minor`, `tax_minor`, `shipping_tax_minor`, `tax_lines`, `email`, `phone`, `shipping_address`, `note`, `idempotency_key`, `placed_at`, `customer_id` FROM `orders`;
-- drop "orders" table after copying rows
DROP TABLE `orders`;
-- rename temporary table "new_orders" to "orders"
ALTER TABLE `new_orders` RENAME TO `orders`;
-- create index "orders_number_key" to table: "orders"
CREATE UNIQUE INDEX `orders_number_key` ON `orders` (`number`);
-- create index "orders_access_token_hash_key" to table: "orders"
CREATE UNIQUE INDEX `orders_access_token_hash_key` ON `orders` (`access_token_hash`);
-- create index "order_customer_id_idempotency_key" to table: "orders"
CREATE UNIQUE INDEX `order_customer_id_idempotency_key` ON `orders` (`customer_id`, `idempotency_key`) WHERE guest_cart_token IS NULL;
-- create index "order_guest_cart_token_idempotency_key" to table: "orders"
CREATE UNIQUE INDEX `order_guest_cart_token_idempotency_key` ON `orders` (`guest_cart_token`, `idempotency_key`);
-- create index "order_guest_contact" to table: "orders"
CREATE INDEX `order_guest_contact` ON `orders` (`guest_contact`);
-- create index "order_status_placed_at" to table: "orders"
CREATE INDEX `order_status_placed_at` ON `orders` (`status`, `placed_at`);
-- create index "order_placed_at" to table: "orders"
CREATE INDEX `order_placed_at` ON `orders` (`placed_at`);
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
