-- reverse: create index "pickuppoint_method_id" to table: "pickup_points"
DROP INDEX "pickuppoint_method_id";
-- reverse: create "pickup_points" table
DROP TABLE "pickup_points";
-- reverse: create index "shippingmethod_zone_id" to table: "shipping_methods"
DROP INDEX "shippingmethod_zone_id";
-- reverse: create "shipping_methods" table
DROP TABLE "shipping_methods";
-- reverse: create index "shipping_zones_match_key_key" to table: "shipping_zones"
DROP INDEX "shipping_zones_match_key_key";
-- reverse: create "shipping_zones" table
DROP TABLE "shipping_zones";
-- reverse: modify "product_variants" table
ALTER TABLE "product_variants" DROP COLUMN "weight_grams";
