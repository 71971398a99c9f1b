-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
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
-- drop "tax_classes" table
DROP TABLE `tax_classes`;
-- drop "tax_rates" table
DROP TABLE `tax_rates`;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
