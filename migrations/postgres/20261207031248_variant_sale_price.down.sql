-- reverse: modify "product_variants" table
ALTER TABLE "product_variants" DROP COLUMN "sale_price_minor";
