-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_carts" table
CREATE TABLE `new_carts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `token` text NOT NULL, `currency` text NOT NULL DEFAULT 'KES', `expires_at` datetime NOT NULL, `customer_id` integer NULL, CONSTRAINT `carts_customers_carts` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON UPDATE NO ACTION ON DELETE CASCADE);
-- carry the id sequence of "carts" over to "new_carts"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_carts', seq FROM sqlite_sequence WHERE name = 'carts';
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
CREATE TABLE `new_orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT 'PENDING', `currency` text NOT NULL, `subtotal_minor` integer NOT NULL, `shipping_minor` integer NOT NULL DEFAULT 0, `total_minor` integer NOT NULL, `prices_include_tax` bool NOT NULL DEFAULT true, `discount_minor` integer NOT NULL DEFAULT 0, `tax_minor` integer NOT NULL DEFAULT 0, `shipping_tax_minor` integer NOT NULL DEFAULT 0, `tax_lines` json NULL, `email` text NULL, `phone` text NULL, `shipping_address` json NOT NULL, `note` text NULL, `idempotency_key` text NOT NULL, `placed_at` datetime NOT NULL, `customer_id` integer NULL, CONSTRAINT `orders_customers_orders` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON UPDATE NO ACTION ON DELETE SET NULL);
-- carry the id sequence of "orders" over to "new_orders"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_orders', seq FROM sqlite_sequence WHERE name = 'orders';
-- copy rows from old table "orders" to new temporary table "new_orders"
INSERT INTO `new_orders` (`id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `prices_include_tax`, `discount_minor`, `tax_minor`, `shipping_tax_minor`, `tax_lines`, `email`, `phone`, `shipping_address`, `note`, `idempotency_key`, `placed_at`, `customer_id`) SELECT `id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `prices_include_tax`, `discount_minor`, `tax_minor`, `shipping_tax_minor`, `tax_lines`, `email`, `phone`, `shipping_address`, `note`, `idempotency_key`, `placed_at`, `customer_id` FROM `orders`;
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
-- create "new_tax_rates" table
CREATE TABLE `new_tax_rates` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `basis_points` integer NOT NULL, `tax_class_id` integer NOT NULL, CONSTRAINT `tax_rates_tax_classes_rates` FOREIGN KEY (`tax_class_id`) REFERENCES `tax_classes` (`id`) ON UPDATE NO ACTION ON DELETE CASCADE);
-- carry the id sequence of "tax_rates" over to "new_tax_rates"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_tax_rates', seq FROM sqlite_sequence WHERE name = 'tax_rates';
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
