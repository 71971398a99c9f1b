-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_product_variants" table
CREATE TABLE `new_product_variants` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `sku` text NOT NULL, `name` text NOT NULL, `price_minor` integer NOT NULL, `stock_on_hand` integer NOT NULL DEFAULT 0, `reserved` integer NOT NULL DEFAULT 0, `track_inventory` bool NOT NULL DEFAULT true, `options` json NOT NULL, `position` integer NOT NULL DEFAULT 0, `weight_grams` integer NULL, `product_id` integer NOT NULL, `tax_class_id` integer NULL, CONSTRAINT `product_variants_tax_classes_variants` FOREIGN KEY (`tax_class_id`) REFERENCES `tax_classes` (`id`) ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT `product_variants_products_variants` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT `product_variant_stock` CHECK (reserved >= 0 AND reserved <= stock_on_hand));
-- carry the id sequence of "product_variants" over to "new_product_variants"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_product_variants', seq FROM sqlite_sequence WHERE name = 'product_variants';
-- copy rows from old table "product_variants" to new temporary table "new_product_variants"
INSERT INTO `new_product_variants` (`id`, `created_at`, `updated_at`, `sku`, `name`, `price_minor`, `stock_on_hand`, `reserved`, `track_inventory`, `options`, `position`, `weight_grams`, `product_id`, `tax_class_id`) SELECT `id`, `created_at`, `updated_at`, `sku`, `name`, `price_minor`, `stock_on_hand`, `reserved`, `track_inventory`, `options`, `position`, `weight_grams`, `product_id`, `tax_class_id` FROM `product_variants`;
-- drop "product_variants" table after copying rows
DROP TABLE `product_variants`;
-- rename temporary table "new_product_variants" to "product_variants"
ALTER TABLE `new_product_variants` RENAME TO `product_variants`;
-- create index "product_variants_sku_key" to table: "product_variants"
CREATE UNIQUE INDEX `product_variants_sku_key` ON `product_variants` (`sku`);
-- create index "productvariant_product_id_position" to table: "product_variants"
CREATE INDEX `productvariant_product_id_position` ON `product_variants` (`product_id`, `position`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
