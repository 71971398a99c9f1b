-- reverse: modify "tax_rates" table
ALTER TABLE "tax_rates" DROP CONSTRAINT "tax_rates_shipping_zones_tax_rates", DROP COLUMN "zone_id";
-- reverse: modify "carts" table
ALTER TABLE "carts" DROP CONSTRAINT "carts_shipping_methods_carts", DROP CONSTRAINT "carts_pickup_points_carts", DROP COLUMN "shipping_method_id", DROP COLUMN "pickup_point_id", DROP COLUMN "shipping_address";
-- reverse: create index "orders_access_token_hash_key" to table: "orders"
DROP INDEX "orders_access_token_hash_key";
-- reverse: create index "order_guest_contact" to table: "orders"
DROP INDEX "order_guest_contact";
-- reverse: create index "order_guest_cart_token_idempotency_key" to table: "orders"
DROP INDEX "order_guest_cart_token_idempotency_key";
-- reverse: create index "order_customer_id_idempotency_key" to table: "orders"
DROP INDEX "order_customer_id_idempotency_key";
-- reverse: modify "orders" table
ALTER TABLE "orders" DROP COLUMN "access_expires_at", DROP COLUMN "access_token_hash", DROP COLUMN "guest_contact", DROP COLUMN "guest_cart_token", DROP COLUMN "shipping_method";
-- reverse: drop index "order_customer_id_idempotency_key" from table: "orders"
CREATE UNIQUE INDEX "order_customer_id_idempotency_key" ON "orders" ("customer_id", "idempotency_key");
