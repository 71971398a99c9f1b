-- modify "product_variants" table
ALTER TABLE "product_variants" ADD CONSTRAINT "product_variant_stock" CHECK ((reserved >= 0) AND (reserved <= stock_on_hand));
