-- drop index "order_customer_id_idempotency_key" from table: "orders"
DROP INDEX "order_customer_id_idempotency_key";
-- modify "orders" table
ALTER TABLE "orders" ADD COLUMN "guest_cart_token" character varying NULL, ADD COLUMN "guest_contact" character varying NULL, ADD COLUMN "access_token_hash" character varying NULL, ADD COLUMN "access_expires_at" timestamptz NULL;
-- create index "order_customer_id_idempotency_key" to table: "orders"
CREATE UNIQUE INDEX "order_customer_id_idempotency_key" ON "orders" ("customer_id", "idempotency_key") WHERE (guest_cart_token IS NULL);
-- create index "order_guest_cart_token_idempotency_key" to table: "orders"
CREATE UNIQUE INDEX "order_guest_cart_token_idempotency_key" ON "orders" ("guest_cart_token", "idempotency_key");
-- create index "order_guest_contact" to table: "orders"
CREATE INDEX "order_guest_contact" ON "orders" ("guest_contact");
-- create index "orders_access_token_hash_key" to table: "orders"
CREATE UNIQUE INDEX "orders_access_token_hash_key" ON "orders" ("access_token_hash");
