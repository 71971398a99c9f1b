-- drop index "order_customer_id_idempotency_key" from table: "orders"
DROP INDEX "order_customer_id_idempotency_key";
-- modify "orders" table
ALTER TABLE "orders" ADD COLUMN "shipping_method" jsonb NULL, ADD COLUMN "guest_cart_token" character varying NULL, ADD COLUMN "guest_contact" character varying NULL, ADD COLUMN "access_token_hash" character varying NULL, ADD COLUMN "access_expires_at" timestamptz NULL;
-- create index "order_customer_id_idempotency_key" to table: "orders"
CREATE UNIQUE INDEX "order_customer_id_idempotency_key" ON "orders" ("customer_id", "idempotency_key") WHERE (guest_cart_token IS NULL);
-- create index "order_guest_cart_token_idempotency_key" to table: "orders"
CREATE UNIQUE INDEX "order_guest_cart_token_idempotency_key" ON "orders" ("guest_cart_token", "idempotency_key");
-- create index "order_guest_contact" to table: "orders"
CREATE INDEX "order_guest_contact" ON "orders" ("guest_contact");
-- create index "orders_access_token_hash_key" to table: "orders"
CREATE UNIQUE INDEX "orders_access_token_hash_key" ON "orders" ("access_token_hash");
-- modify "carts" table
ALTER TABLE "carts" ADD COLUMN "shipping_address" jsonb NULL, ADD COLUMN "pickup_point_id" bigint NULL, ADD COLUMN "shipping_method_id" bigint NULL, ADD CONSTRAINT "carts_pickup_points_carts" FOREIGN KEY ("pickup_point_id") REFERENCES "pickup_points" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "carts_shipping_methods_carts" FOREIGN KEY ("shipping_method_id") REFERENCES "shipping_methods" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- modify "tax_rates" table
ALTER TABLE "tax_rates" ADD COLUMN "zone_id" bigint NULL, ADD CONSTRAINT "tax_rates_shipping_zones_tax_rates" FOREIGN KEY ("zone_id") REFERENCES "shipping_zones" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
