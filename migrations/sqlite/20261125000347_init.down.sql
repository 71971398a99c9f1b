-- reverse: create index "stockmovement_variant_id_created_at" to table: "stock_movements"
DROP INDEX `stockmovement_variant_id_created_at`;
-- reverse: set sequence for "stock_movements" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "stock_movements";
-- reverse: create "stock_movements" table
DROP TABLE `stock_movements`;
-- reverse: create index "refreshtoken_expires_at" to table: "refresh_tokens"
DROP INDEX `refreshtoken_expires_at`;
-- reverse: create index "refreshtoken_customer_id" to table: "refresh_tokens"
DROP INDEX `refreshtoken_customer_id`;
-- reverse: create index "refreshtoken_family" to table: "refresh_tokens"
DROP INDEX `refreshtoken_family`;
-- reverse: create index "refresh_tokens_token_hash_key" to table: "refresh_tokens"
DROP INDEX `refresh_tokens_token_hash_key`;
-- reverse: set sequence for "refresh_tokens" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "refresh_tokens";
-- reverse: create "refresh_tokens" table
DROP TABLE `refresh_tokens`;
-- reverse: create index "productvariant_product_id_position" to table: "product_variants"
DROP INDEX `productvariant_product_id_position`;
-- reverse: create index "product_variants_sku_key" to table: "product_variants"
DROP INDEX `product_variants_sku_key`;
-- reverse: set sequence for "product_variants" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "product_variants";
-- reverse: create "product_variants" table
DROP TABLE `product_variants`;
-- reverse: create index "product_status_min_price_minor" to table: "products"
DROP INDEX `product_status_min_price_minor`;
-- reverse: create index "product_status_created_at" to table: "products"
DROP INDEX `product_status_created_at`;
-- reverse: create index "product_category_id_status" to table: "products"
DROP INDEX `product_category_id_status`;
-- reverse: create index "products_slug_key" to table: "products"
DROP INDEX `products_slug_key`;
-- reverse: set sequence for "products" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "products";
-- reverse: create "products" table
DROP TABLE `products`;
-- reverse: create index "payment_status_method" to table: "payments"
DROP INDEX `payment_status_method`;
-- reverse: create index "payment_order_id" to table: "payments"
DROP INDEX `payment_order_id`;
-- reverse: create index "payments_provider_request_id_key" to table: "payments"
DROP INDEX `payments_provider_request_id_key`;
-- reverse: set sequence for "payments" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "payments";
-- reverse: create "payments" table
DROP TABLE `payments`;
-- reverse: create index "orderline_variant_id" to table: "order_lines"
DROP INDEX `orderline_variant_id`;
-- reverse: create index "orderline_order_id" to table: "order_lines"
DROP INDEX `orderline_order_id`;
-- reverse: set sequence for "order_lines" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "order_lines";
-- reverse: create "order_lines" table
DROP TABLE `order_lines`;
-- reverse: create index "orderevent_order_id_created_at" to table: "order_events"
DROP INDEX `orderevent_order_id_created_at`;
-- reverse: set sequence for "order_events" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "order_events";
-- reverse: create "order_events" table
DROP TABLE `order_events`;
-- reverse: create index "order_placed_at" to table: "orders"
DROP INDEX `order_placed_at`;
-- reverse: create index "order_status_placed_at" to table: "orders"
DROP INDEX `order_status_placed_at`;
-- reverse: create index "order_customer_id_idempotency_key" to table: "orders"
DROP INDEX `order_customer_id_idempotency_key`;
-- reverse: create index "orders_number_key" to table: "orders"
DROP INDEX `orders_number_key`;
-- reverse: set sequence for "orders" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "orders";
-- reverse: create "orders" table
DROP TABLE `orders`;
-- reverse: create index "notification_order_id" to table: "notifications"
DROP INDEX `notification_order_id`;
-- reverse: create index "notification_status_created_at" to table: "notifications"
DROP INDEX `notification_status_created_at`;
-- reverse: set sequence for "notifications" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "notifications";
-- reverse: create "notifications" table
DROP TABLE `notifications`;
-- reverse: create index "identity_provider_subject" to table: "identities"
DROP INDEX `identity_provider_subject`;
-- reverse: set sequence for "identities" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "identities";
-- reverse: create "identities" table
DROP TABLE `identities`;
-- reverse: create index "customers_email_key" to table: "customers"
DROP INDEX `customers_email_key`;
-- reverse: set sequence for "customers" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "customers";
-- reverse: create "customers" table
DROP TABLE `customers`;
-- reverse: create index "category_path" to table: "categories"
DROP INDEX `category_path`;
-- reverse: create index "category_parent_id_position" to table: "categories"
DROP INDEX `category_parent_id_position`;
-- reverse: create index "categories_slug_key" to table: "categories"
DROP INDEX `categories_slug_key`;
-- reverse: set sequence for "categories" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "categories";
-- reverse: create "categories" table
DROP TABLE `categories`;
-- reverse: create index "cartline_cart_id_variant_id" to table: "cart_lines"
DROP INDEX `cartline_cart_id_variant_id`;
-- reverse: set sequence for "cart_lines" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "cart_lines";
-- reverse: create "cart_lines" table
DROP TABLE `cart_lines`;
-- reverse: create index "cart_expires_at" to table: "carts"
DROP INDEX `cart_expires_at`;
-- reverse: create index "cart_customer_id" to table: "carts"
DROP INDEX `cart_customer_id`;
-- reverse: create index "carts_token_key" to table: "carts"
DROP INDEX `carts_token_key`;
-- reverse: set sequence for "carts" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "carts";
-- reverse: create "carts" table
DROP TABLE `carts`;
-- reverse: create index "address_customer_id" to table: "addresses"
DROP INDEX `address_customer_id`;
-- reverse: create "addresses" table
DROP TABLE `addresses`;
