-- create "media" table
CREATE TABLE `media` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `content_hash` text NOT NULL, `format` text NOT NULL, `bytes` integer NOT NULL, `width` integer NOT NULL, `height` integer NOT NULL, `alt_text` text NOT NULL DEFAULT (''), `position` integer NOT NULL DEFAULT (0), `focal_x` real NULL, `focal_y` real NULL, `derivative_status` text NOT NULL DEFAULT ('PENDING'), `derivative_widths` json NOT NULL, `placeholder` text NOT NULL DEFAULT (''), `category_id` integer NULL, `product_id` integer NULL, `variant_id` integer NULL, CONSTRAINT `media_categories_media` FOREIGN KEY (`category_id`) REFERENCES `categories` (`id`) ON DELETE CASCADE, CONSTRAINT `media_products_media` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE CASCADE, CONSTRAINT `media_product_variants_media` FOREIGN KEY (`variant_id`) REFERENCES `product_variants` (`id`) ON DELETE CASCADE, CONSTRAINT `media_one_owner` CHECK ((CASE WHEN product_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN variant_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN category_id IS NULL THEN 0 ELSE 1 END) = 1));
-- set sequence for "media" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("media", 94489280512);
-- create index "media_product_id_position" to table: "media"
CREATE INDEX `media_product_id_position` ON `media` (`product_id`, `position`);
-- create index "media_variant_id_position" to table: "media"
CREATE INDEX `media_variant_id_position` ON `media` (`variant_id`, `position`);
-- create index "media_category_id_position" to table: "media"
CREATE INDEX `media_category_id_position` ON `media` (`category_id`, `position`);
-- create index "media_content_hash" to table: "media"
CREATE INDEX `media_content_hash` ON `media` (`content_hash`);
