-- reverse: create index "taxrate_tax_class_id_name" to table: "tax_rates"
DROP INDEX "taxrate_tax_class_id_name";
-- reverse: create "tax_rates" table
DROP TABLE "tax_rates";
-- reverse: modify "product_variants" table
ALTER TABLE "product_variants" DROP CONSTRAINT "product_variants_tax_classes_variants", DROP COLUMN "tax_class_id", DROP COLUMN "weight_grams";
-- reverse: create index "tax_classes_code_key" to table: "tax_classes"
DROP INDEX "tax_classes_code_key";
-- reverse: create "tax_classes" table
DROP TABLE "tax_classes";
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
-- reverse: create index "onetimesecret_purpose_target" to table: "one_time_secrets"
DROP INDEX "onetimesecret_purpose_target";
-- reverse: create index "onetimesecret_expires_at" to table: "one_time_secrets"
DROP INDEX "onetimesecret_expires_at";
-- reverse: create index "onetimesecret_customer_id" to table: "one_time_secrets"
DROP INDEX "onetimesecret_customer_id";
-- reverse: create "one_time_secrets" table
DROP TABLE "one_time_secrets";
-- reverse: modify "orders" table
ALTER TABLE "orders" DROP COLUMN "tax_lines", DROP COLUMN "shipping_tax_minor", DROP COLUMN "tax_minor", DROP COLUMN "discount_minor", DROP COLUMN "prices_include_tax";
-- reverse: modify "order_lines" table
ALTER TABLE "order_lines" DROP COLUMN "tax_class", DROP COLUMN "gross_minor", DROP COLUMN "tax_minor", DROP COLUMN "discount_minor";
-- reverse: modify "notifications" table
ALTER TABLE "notifications" DROP COLUMN "secret";
-- reverse: modify "customers" table
ALTER TABLE "customers" DROP COLUMN "phone_verified_at", DROP COLUMN "email_verified_at";
