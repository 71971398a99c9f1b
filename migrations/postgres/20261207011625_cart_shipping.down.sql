-- reverse: modify "tax_rates" table
ALTER TABLE "tax_rates" DROP CONSTRAINT "tax_rates_shipping_zones_tax_rates", DROP COLUMN "zone_id";
-- reverse: modify "carts" table
ALTER TABLE "carts" DROP CONSTRAINT "carts_shipping_methods_carts", DROP CONSTRAINT "carts_pickup_points_carts", DROP COLUMN "shipping_method_id", DROP COLUMN "pickup_point_id", DROP COLUMN "shipping_address";
-- reverse: modify "orders" table
ALTER TABLE "orders" DROP COLUMN "shipping_method";
