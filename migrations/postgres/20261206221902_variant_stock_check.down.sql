-- reverse: modify "product_variants" table
ALTER TABLE "product_variants" DROP CONSTRAINT "product_variant_stock";
