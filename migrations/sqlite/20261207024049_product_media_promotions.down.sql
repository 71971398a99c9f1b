-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_carts" table
CREATE TABLE `new_carts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `token` text NOT NULL, `currency` text NOT NULL DEFAULT 'KES', `expires_at` datetime NOT NULL, `shipping_address` json NULL, `customer_id` integer NULL, `pickup_point_id` integer NULL, `shipping_method_id` integer NULL, CONSTRAINT `carts_shipping_methods_carts` FOREIGN KEY (`shipping_method_id`) REFERENCES `shipping_methods` (`id`) ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT `carts_pickup_points_carts` FOREIGN KEY (`pickup_point_id`) REFERENCES `pickup_points` (`id`) ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT `carts_customers_carts` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON UPDATE NO ACTION ON DELETE CASCADE);
-- carry the id sequence of "carts" over to "new_carts"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_carts', seq FROM sqlite_sequence WHERE name = 'carts';
-- copy rows from old table "carts" to new temporary table "new_carts"
INSERT INTO `new_carts` (`id`, `created_at`, `updated_at`, `token`, `currency`, `expires_at`, `shipping_address`, `customer_id`, `pickup_point_id`, `shipping_method_id`) SELECT `id`, `created_at`, `updated_at`, `token`, `currency`, `expires_at`, `shipping_address`, `customer_id`, `pickup_point_id`, `shipping_method_id` FROM `carts`;
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
CREATE TABLE `new_orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT 'PENDING', `currency` text NOT NULL, `subtotal_minor` integer NOT NULL, `shipping_minor` integer NOT NULL DEFAULT 0, `total_minor` integer NOT NULL, `prices_include_tax` bool NOT NULL DEFAULT true, `discount_minor` integer NOT NULL DEFAULT 0, `tax_minor` integer NOT NULL DEFAULT 0, `shipping_tax_minor` integer NOT NULL DEFAULT 0, `tax_lines` json NULL, `email` text NULL, `phone` text NULL, `shipping_address` json NOT NULL, `shipping_method` json NULL, `note` text NULL, `idempotency_key` text NOT NULL, `placed_at` datetime NOT NULL, `guest_cart_token` text NULL, `guest_contact` text NULL, `access_token_hash` text NULL, `access_expires_at` datetime NULL, `customer_id` integer NULL, CONSTRAINT `orders_customers_orders` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON UPDATE NO ACTION ON DELETE SET NULL);
-- carry the id sequence of "orders" over to "new_orders"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_orders', seq FROM sqlite_sequence WHERE name = 'orders';
-- copy rows from old table "orders" to new temporary table "new_orders"
INSERT INTO `new_orders` (`id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `prices_include_tax`, `discount_minor`, `tax_minor`, `shipping_tax_minor`, `tax_lines`, `email`, `phone`, `shipping_address`, `shipping_method`, `note`, `idempotency_key`, `placed_at`, `guest_cart_token`, `guest_contact`, `access_token_hash`, `access_expires_at`, `customer_id`) SELECT `id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `prices_include_tax`, `discount_minor`, `tax_minor`, `shipping_tax_minor`, `tax_lines`, `email`, `phone`, `shipping_address`, `shipping_method`, `note`, `idempotency_key`, `placed_at`, `guest_cart_token`, `guest_contact`, `access_token_hash`, `access_expires_at`, `customer_id` FROM `orders`;
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
-- drop "media" table
DROP TABLE `media`;
-- drop "promotions" table
DROP TABLE `promotions`;
-- drop "vouchers" table
DROP TABLE `vouchers`;
-- drop "voucher_uses" table
DROP TABLE `voucher_uses`;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
