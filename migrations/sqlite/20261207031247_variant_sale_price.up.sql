-- add column "sale_price_minor" to table: "product_variants"
ALTER TABLE `product_variants` ADD COLUMN `sale_price_minor` integer NULL;
