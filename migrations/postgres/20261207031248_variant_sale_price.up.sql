-- modify "product_variants" table
ALTER TABLE "product_variants" ADD COLUMN "sale_price_minor" bigint NULL;
