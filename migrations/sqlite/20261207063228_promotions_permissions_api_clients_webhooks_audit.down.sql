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
-- create "new_order_lines" table
CREATE TABLE `new_order_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `product_name` text NOT NULL, `variant_name` text NOT NULL, `sku` text NOT NULL, `quantity` integer NOT NULL, `unit_price_minor` integer NOT NULL, `line_total_minor` integer NOT NULL, `discount_minor` integer NOT NULL DEFAULT 0, `tax_minor` integer NOT NULL DEFAULT 0, `gross_minor` integer NULL, `tax_class` text NULL, `order_id` integer NOT NULL, `variant_id` integer NULL, CONSTRAINT `order_lines_product_variants_order_lines` FOREIGN KEY (`variant_id`) REFERENCES `product_variants` (`id`) ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT `order_lines_orders_lines` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON UPDATE NO ACTION ON DELETE CASCADE);
-- carry the id sequence of "order_lines" over to "new_order_lines"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_order_lines', seq FROM sqlite_sequence WHERE name = 'order_lines';
-- copy rows from old table "order_lines" to new temporary table "new_order_lines"
INSERT INTO `new_order_lines` (`id`, `created_at`, `updated_at`, `product_name`, `variant_name`, `sku`, `quantity`, `unit_price_minor`, `line_total_minor`, `discount_minor`, `tax_minor`, `gross_minor`, `tax_class`, `order_id`, `variant_id`) SELECT `id`, `created_at`, `updated_at`, `product_name`, `variant_name`, `sku`, `quantity`, `unit_price_minor`, `line_total_minor`, `discount_minor`, `tax_minor`, `gross_minor`, `tax_class`, `order_id`, `variant_id` FROM `order_lines`;
-- drop "order_lines" table after copying rows
DROP TABLE `order_lines`;
-- rename temporary table "new_order_lines" to "order_lines"
ALTER TABLE `new_order_lines` RENAME TO `order_lines`;
-- create index "orderline_order_id" to table: "order_lines"
CREATE INDEX `orderline_order_id` ON `order_lines` (`order_id`);
-- create index "orderline_variant_id" to table: "order_lines"
CREATE INDEX `orderline_variant_id` ON `order_lines` (`variant_id`);
-- create "new_orders" table
CREATE TABLE `new_orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT 'PENDING', `currency` text NOT NULL, `subtotal_minor` integer NOT NULL, `shipping_minor` integer NOT NULL DEFAULT 0, `total_minor` integer NOT NULL, `prices_include_tax` bool NOT NULL DEFAULT true, `discount_minor` integer NOT NULL DEFAULT 0, `tax_minor` integer NOT NULL DEFAULT 0, `shipping_tax_minor` integer NOT NULL DEFAULT 0, `tax_lines` json NULL, `email` text NULL, `phone` text NULL, `shipping_address` json NOT NULL, `shipping_method` json NULL, `note` text NULL, `idempotency_key` text NOT NULL, `placed_at` datetime NOT NULL, `guest_cart_token` text NULL, `guest_contact` text NULL, `access_token_hash` text NULL, `access_expires_at` datetime NULL, `customer_id` integer NULL, `promotions` json NULL, CONSTRAINT `orders_customers_orders` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON UPDATE NO ACTION ON DELETE SET NULL);
-- carry the id sequence of "orders" over to "new_orders"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_orders', seq FROM sqlite_sequence WHERE name = 'orders';
-- copy rows from old table "orders" to new temporary table "new_orders"
INSERT INTO `new_orders` (`id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `prices_include_tax`, `discount_minor`, `tax_minor`, `shipping_tax_minor`, `tax_lines`, `email`, `phone`, `shipping_address`, `shipping_method`, `note`, `idempotency_key`, `placed_at`, `guest_cart_token`, `guest_contact`, `access_token_hash`, `access_expires_at`, `customer_id`, `promotions`) SELECT `id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `prices_include_tax`, `discount_minor`, `tax_minor`, `shipping_tax_minor`, `tax_lines`, `email`, `phone`, `shipping_address`, `shipping_method`, `note`, `idempotency_key`, `placed_at`, `guest_cart_token`, `guest_contact`, `access_token_hash`, `access_expires_at`, `customer_id`, `promotions` FROM `orders`;
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
-- create "new_promotions" table
CREATE TABLE `new_promotions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `active` bool NOT NULL DEFAULT true, `starts_at` datetime NULL, `ends_at` datetime NULL, `priority` integer NOT NULL DEFAULT 0, `stacking` text NOT NULL DEFAULT 'BEST', `requires_code` bool NOT NULL DEFAULT false, `min_subtotal_minor` integer NOT NULL DEFAULT 0, `min_quantity` integer NOT NULL DEFAULT 0, `product_ids` json NULL, `category_ids` json NULL, `variant_ids` json NULL, `signed_in` bool NOT NULL DEFAULT false, `first_order` bool NOT NULL DEFAULT false, `action` text NOT NULL, `percent_bp` integer NOT NULL DEFAULT 0, `amount_minor` integer NOT NULL DEFAULT 0, `buy_quantity` integer NOT NULL DEFAULT 0, `get_quantity` integer NOT NULL DEFAULT 0, `uses` integer NOT NULL DEFAULT 0, CONSTRAINT `promotion_action` CHECK (action IS NOT NULL AND ((action = 'PERCENTAGE' AND percent_bp > 0) OR (action = 'FIXED_AMOUNT' AND amount_minor > 0) OR (action = 'FIXED_PRICE') OR (action = 'BUY_X_GET_Y' AND buy_quantity > 0 AND get_quantity > 0 AND percent_bp > 0))), CONSTRAINT `promotion_window` CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at));
-- carry the id sequence of "promotions" over to "new_promotions"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_promotions', seq FROM sqlite_sequence WHERE name = 'promotions';
-- copy rows from old table "promotions" to new temporary table "new_promotions"
INSERT INTO `new_promotions` (`id`, `created_at`, `updated_at`, `name`, `active`, `starts_at`, `ends_at`, `priority`, `stacking`, `requires_code`, `min_subtotal_minor`, `min_quantity`, `product_ids`, `category_ids`, `variant_ids`, `signed_in`, `first_order`, `action`, `percent_bp`, `amount_minor`, `buy_quantity`, `get_quantity`, `uses`) SELECT `id`, `created_at`, `updated_at`, `name`, `active`, `starts_at`, `ends_at`, `priority`, `stacking`, `requires_code`, `min_subtotal_minor`, `min_quantity`, `product_ids`, `category_ids`, `variant_ids`, `signed_in`, `first_order`, `action`, `percent_bp`, `amount_minor`, `buy_quantity`, `get_quantity`, `uses` FROM `promotions`;
-- drop "promotions" table after copying rows
DROP TABLE `promotions`;
-- rename temporary table "new_promotions" to "promotions"
ALTER TABLE `new_promotions` RENAME TO `promotions`;
-- drop "api_clients" table
DROP TABLE `api_clients`;
-- drop "audit_entries" table
DROP TABLE `audit_entries`;
-- drop "revoked_tokens" table
DROP TABLE `revoked_tokens`;
-- drop "webhook_deliveries" table
DROP TABLE `webhook_deliveries`;
-- drop "webhook_subscriptions" table
DROP TABLE `webhook_subscriptions`;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
