-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- add column "permissions" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `permissions` json NULL;
-- add column "compare_at_price_minor" to table: "order_lines"
ALTER TABLE `order_lines` ADD COLUMN `compare_at_price_minor` integer NULL;
-- create "new_orders" table
CREATE TABLE `new_orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `currency` text NOT NULL, `subtotal_minor` integer NOT NULL, `shipping_minor` integer NOT NULL DEFAULT (0), `total_minor` integer NOT NULL, `prices_include_tax` bool NOT NULL DEFAULT (true), `discount_minor` integer NOT NULL DEFAULT (0), `tax_minor` integer NOT NULL DEFAULT (0), `shipping_tax_minor` integer NOT NULL DEFAULT (0), `shipping_discount_minor` integer NOT NULL DEFAULT (0), `tax_lines` json NULL, `promotions` json NULL, `email` text NULL, `phone` text NULL, `shipping_address` json NOT NULL, `shipping_method` json NULL, `note` text NULL, `idempotency_key` text NOT NULL, `placed_at` datetime NOT NULL, `guest_cart_token` text NULL, `guest_contact` text NULL, `access_token_hash` text NULL, `access_expires_at` datetime NULL, `customer_id` integer NULL, CONSTRAINT `orders_customers_orders` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL);
-- set sequence for "new_orders" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_orders", 30064771072);
-- copy rows from old table "orders" to new temporary table "new_orders"
INSERT INTO `new_orders` (`id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `prices_include_tax`, `discount_minor`, `tax_minor`, `shipping_tax_minor`, `tax_lines`, `promotions`, `email`, `phone`, `shipping_address`, `shipping_method`, `note`, `idempotency_key`, `placed_at`, `guest_cart_token`, `guest_contact`, `access_token_hash`, `access_expires_at`, `customer_id`) SELECT `id`, `created_at`, `updated_at`, `number`, `status`, `currency`, `subtotal_minor`, `shipping_minor`, `total_minor`, `prices_include_tax`, `discount_minor`, `tax_minor`, `shipping_tax_minor`, `tax_lines`, `promotions`, `email`, `phone`, `shipping_address`, `shipping_method`, `note`, `idempotency_key`, `placed_at`, `guest_cart_token`, `guest_contact`, `access_token_hash`, `access_expires_at`, `customer_id` FROM `orders`;
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
CREATE TABLE `new_promotions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `active` bool NOT NULL DEFAULT (true), `starts_at` datetime NULL, `ends_at` datetime NULL, `priority` integer NOT NULL DEFAULT (0), `stacking` text NOT NULL DEFAULT ('BEST'), `requires_code` bool NOT NULL DEFAULT (false), `min_subtotal_minor` integer NOT NULL DEFAULT (0), `min_quantity` integer NOT NULL DEFAULT (0), `product_ids` json NULL, `category_ids` json NULL, `variant_ids` json NULL, `signed_in` bool NOT NULL DEFAULT (false), `first_order` bool NOT NULL DEFAULT (false), `action` text NOT NULL, `percent_bp` integer NOT NULL DEFAULT (0), `amount_minor` integer NOT NULL DEFAULT (0), `buy_quantity` integer NOT NULL DEFAULT (0), `get_quantity` integer NOT NULL DEFAULT (0), `uses` integer NOT NULL DEFAULT (0), `usage_limit` integer NULL, CONSTRAINT `promotion_action_params` CHECK (action IS NOT NULL AND ((action = 'PERCENTAGE' AND percent_bp > 0) OR (action = 'FIXED_AMOUNT' AND amount_minor > 0) OR (action = 'FIXED_PRICE') OR (action = 'BUY_X_GET_Y' AND buy_quantity > 0 AND get_quantity > 0 AND percent_bp > 0) OR (action = 'SHIPPING' AND ((percent_bp > 0 AND amount_minor = 0) OR (percent_bp = 0 AND amount_minor > 0))))), CONSTRAINT `promotion_window` CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at));
-- set sequence for "new_promotions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_promotions", 98784247808);
-- copy rows from old table "promotions" to new temporary table "new_promotions"
INSERT INTO `new_promotions` (`id`, `created_at`, `updated_at`, `name`, `active`, `starts_at`, `ends_at`, `priority`, `stacking`, `requires_code`, `min_subtotal_minor`, `min_quantity`, `product_ids`, `category_ids`, `variant_ids`, `signed_in`, `first_order`, `action`, `percent_bp`, `amount_minor`, `buy_quantity`, `get_quantity`, `uses`) SELECT `id`, `created_at`, `updated_at`, `name`, `active`, `starts_at`, `ends_at`, `priority`, `stacking`, `requires_code`, `min_subtotal_minor`, `min_quantity`, `product_ids`, `category_ids`, `variant_ids`, `signed_in`, `first_order`, `action`, `percent_bp`, `amount_minor`, `buy_quantity`, `get_quantity`, `uses` FROM `promotions`;
-- drop "promotions" table after copying rows
DROP TABLE `promotions`;
-- rename temporary table "new_promotions" to "promotions"
ALTER TABLE `new_promotions` RENAME TO `promotions`;
-- create "api_clients" table
CREATE TABLE `api_clients` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `client_id` text NOT NULL, `secret_hash` text NOT NULL, `previous_secret_hash` text NULL, `previous_secret_expires_at` datetime NULL, `scopes` json NOT NULL, `disabled` bool NOT NULL DEFAULT (false), `last_used_at` datetime NULL);
-- set sequence for "api_clients" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("api_clients", 111669149696);
-- create index "api_clients_client_id_key" to table: "api_clients"
CREATE UNIQUE INDEX `api_clients_client_id_key` ON `api_clients` (`client_id`);
-- create "audit_entries" table
CREATE TABLE `audit_entries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `actor_customer_id` integer NULL, `actor_client` text NOT NULL DEFAULT (''), `actor_role` text NOT NULL DEFAULT (''), `field` text NOT NULL, `operation` text NOT NULL DEFAULT (''), `target_ids` json NOT NULL, `changes` json NOT NULL, `client_addr` text NOT NULL DEFAULT (''));
-- set sequence for "audit_entries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("audit_entries", 115964116992);
-- create index "auditentry_created_at" to table: "audit_entries"
CREATE INDEX `auditentry_created_at` ON `audit_entries` (`created_at`);
-- create index "auditentry_actor_customer_id_created_at" to table: "audit_entries"
CREATE INDEX `auditentry_actor_customer_id_created_at` ON `audit_entries` (`actor_customer_id`, `created_at`);
-- create index "auditentry_actor_client_created_at" to table: "audit_entries"
CREATE INDEX `auditentry_actor_client_created_at` ON `audit_entries` (`actor_client`, `created_at`);
-- create index "auditentry_field_created_at" to table: "audit_entries"
CREATE INDEX `auditentry_field_created_at` ON `audit_entries` (`field`, `created_at`);
-- create "revoked_tokens" table
CREATE TABLE `revoked_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `jti` text NOT NULL, `client_id` text NOT NULL, `expires_at` datetime NOT NULL);
-- set sequence for "revoked_tokens" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("revoked_tokens", 120259084288);
-- create index "revoked_tokens_jti_key" to table: "revoked_tokens"
CREATE UNIQUE INDEX `revoked_tokens_jti_key` ON `revoked_tokens` (`jti`);
-- create index "revokedtoken_expires_at" to table: "revoked_tokens"
CREATE INDEX `revokedtoken_expires_at` ON `revoked_tokens` (`expires_at`);
-- create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `event_id` text NOT NULL, `event_type` text NOT NULL, `payload_version` integer NOT NULL, `body` text NOT NULL, `state` text NOT NULL DEFAULT ('PENDING'), `attempts` integer NOT NULL DEFAULT (0), `response_status` integer NULL, `latency_ms` integer NULL, `next_attempt_at` datetime NULL, `last_error` text NULL, `delivered_at` datetime NULL, `subscription_id` integer NOT NULL, CONSTRAINT `webhook_deliveries_webhook_subscriptions_deliveries` FOREIGN KEY (`subscription_id`) REFERENCES `webhook_subscriptions` (`id`) ON DELETE CASCADE);
-- set sequence for "webhook_deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_deliveries", 124554051584);
-- create index "webhookdelivery_subscription_id_event_id" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_subscription_id_event_id` ON `webhook_deliveries` (`subscription_id`, `event_id`);
-- create index "webhookdelivery_state_created_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_state_created_at` ON `webhook_deliveries` (`state`, `created_at`);
-- create "webhook_subscriptions" table
CREATE TABLE `webhook_subscriptions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `url` text NOT NULL, `event_types` json NOT NULL, `secret` text NOT NULL, `active` bool NOT NULL DEFAULT (true), `disabled_reason` text NULL, `consecutive_failures` integer NOT NULL DEFAULT (0), `failing_since` datetime NULL);
-- set sequence for "webhook_subscriptions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_subscriptions", 128849018880);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
