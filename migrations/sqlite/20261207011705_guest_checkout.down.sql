-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
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
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
