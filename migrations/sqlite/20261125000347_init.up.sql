-- create "addresses" table
CREATE TABLE `addresses` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `line1` text NOT NULL, `line2` text NULL, `city` text NOT NULL, `region` text NULL, `postal_code` text NULL, `country_code` text NOT NULL, `phone` text NULL, `is_default` bool NOT NULL DEFAULT (false), `customer_id` integer NOT NULL, CONSTRAINT `addresses_customers_addresses` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- create index "address_customer_id" to table: "addresses"
CREATE INDEX `address_customer_id` ON `addresses` (`customer_id`);
-- create "carts" table
CREATE TABLE `carts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `token` text NOT NULL, `currency` text NOT NULL DEFAULT ('KES'), `expires_at` datetime NOT NULL, `customer_id` integer NULL, CONSTRAINT `carts_customers_carts` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- set sequence for "carts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("carts", 4294967296);
-- create index "carts_token_key" to table: "carts"
CREATE UNIQUE INDEX `carts_token_key` ON `carts` (`token`);
-- create index "cart_customer_id" to table: "carts"
CREATE INDEX `cart_customer_id` ON `carts` (`customer_id`);
-- create index "cart_expires_at" to table: "carts"
CREATE INDEX `cart_expires_at` ON `carts` (`expires_at`);
-- create "cart_lines" table
CREATE TABLE `cart_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `quantity` integer NOT NULL, `cart_id` integer NOT NULL, `variant_id` integer NOT NULL, CONSTRAINT `cart_lines_carts_lines` FOREIGN KEY (`cart_id`) REFERENCES `carts` (`id`) ON DELETE CASCADE, CONSTRAINT `cart_lines_product_variants_cart_lines` FOREIGN KEY (`variant_id`) REFERENCES `product_variants` (`id`) ON DELETE CASCADE);
-- set sequence for "cart_lines" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("cart_lines", 8589934592);
-- create index "cartline_cart_id_variant_id" to table: "cart_lines"
CREATE UNIQUE INDEX `cartline_cart_id_variant_id` ON `cart_lines` (`cart_id`, `variant_id`);
-- create "categories" table
CREATE TABLE `categories` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `description` text NOT NULL DEFAULT (''), `position` integer NOT NULL DEFAULT (0), `depth` integer NOT NULL DEFAULT (0), `path` text NOT NULL DEFAULT (''), `parent_id` integer NULL, CONSTRAINT `categories_categories_children` FOREIGN KEY (`parent_id`) REFERENCES `categories` (`id`) ON DELETE RESTRICT);
-- set sequence for "categories" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("categories", 12884901888);
-- create index "categories_slug_key" to table: "categories"
CREATE UNIQUE INDEX `categories_slug_key` ON `categories` (`slug`);
-- create index "category_parent_id_position" to table: "categories"
CREATE INDEX `category_parent_id_position` ON `categories` (`parent_id`, `position`);
-- create index "category_path" to table: "categories"
CREATE INDEX `category_path` ON `categories` (`path`);
-- create "customers" table
CREATE TABLE `customers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `name` text NOT NULL, `phone` text NULL, `password_hash` text NULL, `role` text NOT NULL DEFAULT ('CUSTOMER'), `password_changed_at` datetime NULL);
-- set sequence for "customers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("customers", 17179869184);
-- create index "customers_email_key" to table: "customers"
CREATE UNIQUE INDEX `customers_email_key` ON `customers` (`email`);
-- create "identities" table
CREATE TABLE `identities` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `provider` text NOT NULL, `subject` text NOT NULL, `email` text NULL, `customer_id` integer NOT NULL, CONSTRAINT `identities_customers_identities` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- set sequence for "identities" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("identities", 21474836480);
-- create index "identity_provider_subject" to table: "identities"
CREATE UNIQUE INDEX `identity_provider_subject` ON `identities` (`provider`, `subject`);
-- create "notifications" table
CREATE TABLE `notifications` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `channel` text NOT NULL, `recipient` text NOT NULL, `template` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `attempts` integer NOT NULL DEFAULT (0), `last_error` text NULL, `sent_at` datetime NULL, `provider_message_id` text NULL, `order_id` integer NULL, CONSTRAINT `notifications_orders_notifications` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL);
-- set sequence for "notifications" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("notifications", 25769803776);
-- create index "notification_status_created_at" to table: "notifications"
CREATE INDEX `notification_status_created_at` ON `notifications` (`status`, `created_at`);
-- create index "notification_order_id" to table: "notifications"
CREATE INDEX `notification_order_id` ON `notifications` (`order_id`);
-- create "orders" table
CREATE TABLE `orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `currency` text NOT NULL, `subtotal_minor` integer NOT NULL, `shipping_minor` integer NOT NULL DEFAULT (0), `total_minor` integer NOT NULL, `email` text NULL, `phone` text NULL, `shipping_address` json NOT NULL, `note` text NULL, `idempotency_key` text NOT NULL, `placed_at` datetime NOT NULL, `customer_id` integer NULL, CONSTRAINT `orders_customers_orders` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL);
-- set sequence for "orders" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("orders", 30064771072);
-- create index "orders_number_key" to table: "orders"
CREATE UNIQUE INDEX `orders_number_key` ON `orders` (`number`);
-- create index "order_customer_id_idempotency_key" to table: "orders"
CREATE UNIQUE INDEX `order_customer_id_idempotency_key` ON `orders` (`customer_id`, `idempotency_key`);
-- create index "order_status_placed_at" to table: "orders"
CREATE INDEX `order_status_placed_at` ON `orders` (`status`, `placed_at`);
-- create index "order_placed_at" to table: "orders"
CREATE INDEX `order_placed_at` ON `orders` (`placed_at`);
-- create "order_events" table
CREATE TABLE `order_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `type` text NOT NULL, `message` text NOT NULL DEFAULT (''), `from_status` text NULL, `to_status` text NULL, `order_id` integer NOT NULL, `actor_id` integer NULL, CONSTRAINT `order_events_orders_events` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE, CONSTRAINT `order_events_customers_actor` FOREIGN KEY (`actor_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL);
-- set sequence for "order_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("order_events", 34359738368);
-- create index "orderevent_order_id_created_at" to table: "order_events"
CREATE INDEX `orderevent_order_id_created_at` ON `order_events` (`order_id`, `created_at`);
-- create "order_lines" table
CREATE TABLE `order_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `product_name` text NOT NULL, `variant_name` text NOT NULL, `sku` text NOT NULL, `quantity` integer NOT NULL, `unit_price_minor` integer NOT NULL, `line_total_minor` integer NOT NULL, `order_id` integer NOT NULL, `variant_id` integer NULL, CONSTRAINT `order_lines_orders_lines` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE, CONSTRAINT `order_lines_product_variants_order_lines` FOREIGN KEY (`variant_id`) REFERENCES `product_variants` (`id`) ON DELETE SET NULL);
-- set sequence for "order_lines" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("order_lines", 38654705664);
-- create index "orderline_order_id" to table: "order_lines"
CREATE INDEX `orderline_order_id` ON `order_lines` (`order_id`);
-- create index "orderline_variant_id" to table: "order_lines"
CREATE INDEX `orderline_variant_id` ON `order_lines` (`variant_id`);
-- create "payments" table
CREATE TABLE `payments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `method` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `amount_minor` integer NOT NULL, `currency` text NOT NULL, `reference` text NULL, `provider_request_id` text NULL, `phone` text NULL, `failure_reason` text NULL, `order_id` integer NOT NULL, CONSTRAINT `payments_orders_payments` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE);
-- set sequence for "payments" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("payments", 42949672960);
-- create index "payments_provider_request_id_key" to table: "payments"
CREATE UNIQUE INDEX `payments_provider_request_id_key` ON `payments` (`provider_request_id`);
-- create index "payment_order_id" to table: "payments"
CREATE INDEX `payment_order_id` ON `payments` (`order_id`);
-- create index "payment_status_method" to table: "payments"
CREATE INDEX `payment_status_method` ON `payments` (`status`, `method`);
-- create "products" table
CREATE TABLE `products` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `description` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('DRAFT'), `min_price_minor` integer NOT NULL DEFAULT (0), `max_price_minor` integer NOT NULL DEFAULT (0), `category_id` integer NOT NULL, CONSTRAINT `products_categories_products` FOREIGN KEY (`category_id`) REFERENCES `categories` (`id`) ON DELETE RESTRICT);
-- set sequence for "products" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("products", 47244640256);
-- create index "products_slug_key" to table: "products"
CREATE UNIQUE INDEX `products_slug_key` ON `products` (`slug`);
-- create index "product_category_id_status" to table: "products"
CREATE INDEX `product_category_id_status` ON `products` (`category_id`, `status`);
-- create index "product_status_created_at" to table: "products"
CREATE INDEX `product_status_created_at` ON `products` (`status`, `created_at`);
-- create index "product_status_min_price_minor" to table: "products"
CREATE INDEX `product_status_min_price_minor` ON `products` (`status`, `min_price_minor`);
-- create "product_variants" table
CREATE TABLE `product_variants` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `sku` text NOT NULL, `name` text NOT NULL, `price_minor` integer NOT NULL, `stock_on_hand` integer NOT NULL DEFAULT (0), `reserved` integer NOT NULL DEFAULT (0), `track_inventory` bool NOT NULL DEFAULT (true), `options` json NOT NULL, `position` integer NOT NULL DEFAULT (0), `product_id` integer NOT NULL, CONSTRAINT `product_variants_products_variants` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE CASCADE);
-- set sequence for "product_variants" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("product_variants", 51539607552);
-- create index "product_variants_sku_key" to table: "product_variants"
CREATE UNIQUE INDEX `product_variants_sku_key` ON `product_variants` (`sku`);
-- create index "productvariant_product_id_position" to table: "product_variants"
CREATE INDEX `productvariant_product_id_position` ON `product_variants` (`product_id`, `position`);
-- create "refresh_tokens" table
CREATE TABLE `refresh_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `token_hash` text NOT NULL, `family` text NOT NULL, `expires_at` datetime NOT NULL, `used_at` datetime NULL, `revoked_at` datetime NULL, `customer_id` integer NOT NULL, CONSTRAINT `refresh_tokens_customers_refresh_tokens` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- set sequence for "refresh_tokens" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("refresh_tokens", 55834574848);
-- create index "refresh_tokens_token_hash_key" to table: "refresh_tokens"
CREATE UNIQUE INDEX `refresh_tokens_token_hash_key` ON `refresh_tokens` (`token_hash`);
-- create index "refreshtoken_family" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_family` ON `refresh_tokens` (`family`);
-- create index "refreshtoken_customer_id" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_customer_id` ON `refresh_tokens` (`customer_id`);
-- create index "refreshtoken_expires_at" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_expires_at` ON `refresh_tokens` (`expires_at`);
-- create "stock_movements" table
CREATE TABLE `stock_movements` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `delta` integer NOT NULL, `reason` text NOT NULL, `resulting_level` integer NOT NULL, `variant_id` integer NOT NULL, `actor_id` integer NULL, `order_id` integer NULL, CONSTRAINT `stock_movements_product_variants_stock_movements` FOREIGN KEY (`variant_id`) REFERENCES `product_variants` (`id`) ON DELETE CASCADE, CONSTRAINT `stock_movements_customers_actor` FOREIGN KEY (`actor_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL, CONSTRAINT `stock_movements_orders_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL);
-- set sequence for "stock_movements" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("stock_movements", 60129542144);
-- create index "stockmovement_variant_id_created_at" to table: "stock_movements"
CREATE INDEX `stockmovement_variant_id_created_at` ON `stock_movements` (`variant_id`, `created_at`);
