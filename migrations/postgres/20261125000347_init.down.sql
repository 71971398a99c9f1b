-- reverse: create index "stockmovement_variant_id_created_at" to table: "stock_movements"
DROP INDEX "stockmovement_variant_id_created_at";
-- reverse: create "stock_movements" table
DROP TABLE "stock_movements";
-- reverse: create index "refreshtoken_family" to table: "refresh_tokens"
DROP INDEX "refreshtoken_family";
-- reverse: create index "refreshtoken_expires_at" to table: "refresh_tokens"
DROP INDEX "refreshtoken_expires_at";
-- reverse: create index "refreshtoken_customer_id" to table: "refresh_tokens"
DROP INDEX "refreshtoken_customer_id";
-- reverse: create index "refresh_tokens_token_hash_key" to table: "refresh_tokens"
DROP INDEX "refresh_tokens_token_hash_key";
-- reverse: create "refresh_tokens" table
DROP TABLE "refresh_tokens";
-- reverse: create index "payments_provider_request_id_key" to table: "payments"
DROP INDEX "payments_provider_request_id_key";
-- reverse: create index "payment_status_method" to table: "payments"
DROP INDEX "payment_status_method";
-- reverse: create index "payment_order_id" to table: "payments"
DROP INDEX "payment_order_id";
-- reverse: create "payments" table
DROP TABLE "payments";
-- reverse: create index "orderline_variant_id" to table: "order_lines"
DROP INDEX "orderline_variant_id";
-- reverse: create index "orderline_order_id" to table: "order_lines"
DROP INDEX "orderline_order_id";
-- reverse: create "order_lines" table
DROP TABLE "order_lines";
-- reverse: create index "orderevent_order_id_created_at" to table: "order_events"
DROP INDEX "orderevent_order_id_created_at";
-- reverse: create "order_events" table
DROP TABLE "order_events";
-- reverse: create index "notification_status_created_at" to table: "notifications"
DROP INDEX "notification_status_created_at";
-- reverse: create index "notification_order_id" to table: "notifications"
DROP INDEX "notification_order_id";
-- reverse: create "notifications" table
DROP TABLE "notifications";
-- reverse: create index "orders_number_key" to table: "orders"
DROP INDEX "orders_number_key";
-- reverse: create index "order_status_placed_at" to table: "orders"
DROP INDEX "order_status_placed_at";
-- reverse: create index "order_placed_at" to table: "orders"
DROP INDEX "order_placed_at";
-- reverse: create index "order_customer_id_idempotency_key" to table: "orders"
DROP INDEX "order_customer_id_idempotency_key";
-- reverse: create "orders" table
DROP TABLE "orders";
-- reverse: create index "identity_provider_subject" to table: "identities"
DROP INDEX "identity_provider_subject";
-- reverse: create "identities" table
DROP TABLE "identities";
-- reverse: create index "cartline_cart_id_variant_id" to table: "cart_lines"
DROP INDEX "cartline_cart_id_variant_id";
-- reverse: create "cart_lines" table
DROP TABLE "cart_lines";
-- reverse: create index "productvariant_product_id_position" to table: "product_variants"
DROP INDEX "productvariant_product_id_position";
-- reverse: create index "product_variants_sku_key" to table: "product_variants"
DROP INDEX "product_variants_sku_key";
-- reverse: create "product_variants" table
DROP TABLE "product_variants";
-- reverse: create index "products_slug_key" to table: "products"
DROP INDEX "products_slug_key";
-- reverse: create index "product_status_min_price_minor" to table: "products"
DROP INDEX "product_status_min_price_minor";
-- reverse: create index "product_status_created_at" to table: "products"
DROP INDEX "product_status_created_at";
-- reverse: create index "product_category_id_status" to table: "products"
DROP INDEX "product_category_id_status";
-- reverse: create "products" table
DROP TABLE "products";
-- reverse: create index "category_path" to table: "categories"
DROP INDEX "category_path";
-- reverse: create index "category_parent_id_position" to table: "categories"
DROP INDEX "category_parent_id_position";
-- reverse: create index "categories_slug_key" to table: "categories"
DROP INDEX "categories_slug_key";
-- reverse: create "categories" table
DROP TABLE "categories";
-- reverse: create index "carts_token_key" to table: "carts"
DROP INDEX "carts_token_key";
-- reverse: create index "cart_expires_at" to table: "carts"
DROP INDEX "cart_expires_at";
-- reverse: create index "cart_customer_id" to table: "carts"
DROP INDEX "cart_customer_id";
-- reverse: create "carts" table
DROP TABLE "carts";
-- reverse: create index "address_customer_id" to table: "addresses"
DROP INDEX "address_customer_id";
-- reverse: create "addresses" table
DROP TABLE "addresses";
-- reverse: create index "customers_email_key" to table: "customers"
DROP INDEX "customers_email_key";
-- reverse: create "customers" table
DROP TABLE "customers";
