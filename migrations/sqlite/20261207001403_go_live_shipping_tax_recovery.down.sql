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
-- create "new_product_variants" table
CREATE TABLE `new_product_variants` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `sku` text NOT NULL, `name` text NOT NULL, `price_minor` integer NOT NULL, `stock_on_hand` integer NOT NULL DEFAULT 0, `reserved` integer NOT NULL DEFAULT 0, `track_inventory` bool NOT NULL DEFAULT true, `options` json NOT NULL, `position` integer NOT NULL DEFAULT 0, `product_id` integer NOT NULL, CONSTRAINT `product_variants_products_variants` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT `product_variant_stock` CHECK (reserved >= 0 AND reserved <= stock_on_hand));
-- carry the id sequence of "product_variants" over to "new_product_variants"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_product_variants', seq FROM sqlite_sequence WHERE name = 'product_variants';
-- copy rows from old table "product_variants" to new temporary table "new_product_variants"
INSERT INTO `new_product_variants` (`id`, `created_at`, `updated_at`, `sku`, `name`, `price_minor`, `stock_on_hand`, `reserved`, `track_inventory`, `options`, `position`, `product_id`) SELECT `id`, `created_at`, `updated_at`, `sku`, `name`, `price_minor`, `stock_on_hand`, `reserved`, `track_inventory`, `options`, `position`, `product_id` FROM `product_variants`;
-- drop "product_variants" table after copying rows
DROP TABLE `product_variants`;
-- rename temporary table "new_product_variants" to "product_variants"
ALTER TABLE `new_product_variants` RENAME TO `product_variants`;
-- create index "product_variants_sku_key" to table: "product_variants"
CREATE UNIQUE INDEX `product_variants_sku_key` ON `product_variants` (`sku`);
-- create index "productvariant_product_id_position" to table: "product_variants"
CREATE INDEX `productvariant_product_id_position` ON `product_variants` (`product_id`, `position`);
-- create "new_orders" table
CREATE TABLE `new_orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT 'PENDING', `currency` text NOT NULL, `subtotal_minor` integer NOT NULL, `shipping_minor` integer NOT NULL DEFAULT 0, `total_minor` integer NOT NULL, `email` text NULL, `phone` text NULL, `shipping_address` json NOT NULL, `note` text NULL, `idempotency_key` text NOT NULL, `placed_at` datetime NOT NULL, `customer_id` integer NULL, CONSTRAINT `orders_customers_orders` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON UPDATE NO ACTION ON DELETE SET NULL);
-- carry the id sequence of "orders" over to "new_orders"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_orders', seq FROM sqlite_sequence WHERE name = 'orders';
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
CREATE TABLE `new_order_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `product_name` text NOT NULL, `variant_name` text NOT NULL, `sku` text NOT NULL, `quantity` integer NOT NULL, `unit_price_minor` integer NOT NULL, `line_total_minor` integer NOT NULL, `order_id` integer NOT NULL, `variant_id` integer NULL, CONSTRAINT `order_lines_product_variants_order_lines` FOREIGN KEY (`variant_id`) REFERENCES `product_variants` (`id`) ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT `order_lines_orders_lines` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON UPDATE NO ACTION ON DELETE CASCADE);
-- carry the id sequence of "order_lines" over to "new_order_lines"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_order_lines', seq FROM sqlite_sequence WHERE name = 'order_lines';
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
-- drop "one_time_secrets" table
DROP TABLE `one_time_secrets`;
-- drop "pickup_points" table
DROP TABLE `pickup_points`;
-- drop "shipping_methods" table
DROP TABLE `shipping_methods`;
-- drop "shipping_zones" table
DROP TABLE `shipping_zones`;
-- drop "tax_classes" table
DROP TABLE `tax_classes`;
-- drop "tax_rates" table
DROP TABLE `tax_rates`;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
