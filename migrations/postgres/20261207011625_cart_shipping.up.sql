-- modify "orders" table
ALTER TABLE "orders" ADD COLUMN "shipping_method" jsonb NULL;
-- modify "carts" table
ALTER TABLE "carts" ADD COLUMN "shipping_address" jsonb NULL, ADD COLUMN "pickup_point_id" bigint NULL, ADD COLUMN "shipping_method_id" bigint NULL, ADD CONSTRAINT "carts_pickup_points_carts" FOREIGN KEY ("pickup_point_id") REFERENCES "pickup_points" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, ADD CONSTRAINT "carts_shipping_methods_carts" FOREIGN KEY ("shipping_method_id") REFERENCES "shipping_methods" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
-- modify "tax_rates" table
ALTER TABLE "tax_rates" ADD COLUMN "zone_id" bigint NULL, ADD CONSTRAINT "tax_rates_shipping_zones_tax_rates" FOREIGN KEY ("zone_id") REFERENCES "shipping_zones" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
