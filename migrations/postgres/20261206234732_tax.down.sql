-- reverse: create index "taxrate_tax_class_id_name" to table: "tax_rates"
DROP INDEX "taxrate_tax_class_id_name";
-- reverse: create "tax_rates" table
DROP TABLE "tax_rates";
-- reverse: create index "tax_classes_code_key" to table: "tax_classes"
DROP INDEX "tax_classes_code_key";
-- reverse: create "tax_classes" table
DROP TABLE "tax_classes";
-- reverse: modify "orders" table
ALTER TABLE "orders" DROP COLUMN "tax_lines", DROP COLUMN "shipping_tax_minor", DROP COLUMN "tax_minor", DROP COLUMN "discount_minor", DROP COLUMN "prices_include_tax";
-- reverse: modify "order_lines" table
ALTER TABLE "order_lines" DROP COLUMN "tax_class", DROP COLUMN "gross_minor", DROP COLUMN "tax_minor", DROP COLUMN "discount_minor";
