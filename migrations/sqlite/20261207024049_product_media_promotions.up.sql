-- add column "discount_codes" to table: "carts"
ALTER TABLE `carts` ADD COLUMN `discount_codes` json NULL;
-- add column "promotions" to table: "orders"
ALTER TABLE `orders` ADD COLUMN `promotions` json NULL;
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
-- create "promotions" table
CREATE TABLE `promotions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `active` bool NOT NULL DEFAULT (true), `starts_at` datetime NULL, `ends_at` datetime NULL, `priority` integer NOT NULL DEFAULT (0), `stacking` text NOT NULL DEFAULT ('BEST'), `requires_code` bool NOT NULL DEFAULT (false), `min_subtotal_minor` integer NOT NULL DEFAULT (0), `min_quantity` integer NOT NULL DEFAULT (0), `product_ids` json NULL, `category_ids` json NULL, `variant_ids` json NULL, `signed_in` bool NOT NULL DEFAULT (false), `first_order` bool NOT NULL DEFAULT (false), `action` text NOT NULL, `percent_bp` integer NOT NULL DEFAULT (0), `amount_minor` integer NOT NULL DEFAULT (0), `buy_quantity` integer NOT NULL DEFAULT (0), `get_quantity` integer NOT NULL DEFAULT (0), `uses` integer NOT NULL DEFAULT (0), CONSTRAINT `promotion_action` CHECK (action IS NOT NULL AND ((action = 'PERCENTAGE' AND percent_bp > 0) OR (action = 'FIXED_AMOUNT' AND amount_minor > 0) OR (action = 'FIXED_PRICE') OR (action = 'BUY_X_GET_Y' AND buy_quantity > 0 AND get_quantity > 0 AND percent_bp > 0))), CONSTRAINT `promotion_window` CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at));
-- set sequence for "promotions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("promotions", 98784247808);
-- create "vouchers" table
CREATE TABLE `vouchers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `code` text NOT NULL, `uses` integer NOT NULL DEFAULT (0), `usage_limit` integer NULL, `per_customer_limit` integer NULL, `promotion_id` integer NOT NULL, CONSTRAINT `vouchers_promotions_vouchers` FOREIGN KEY (`promotion_id`) REFERENCES `promotions` (`id`) ON DELETE CASCADE, CONSTRAINT `voucher_uses_within_limit` CHECK (usage_limit IS NULL OR uses <= usage_limit));
-- set sequence for "vouchers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("vouchers", 103079215104);
-- create index "vouchers_code_key" to table: "vouchers"
CREATE UNIQUE INDEX `vouchers_code_key` ON `vouchers` (`code`);
-- create "voucher_uses" table
CREATE TABLE `voucher_uses` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `buyer` text NOT NULL, `uses` integer NOT NULL DEFAULT (0), `voucher_id` integer NOT NULL, CONSTRAINT `voucher_uses_vouchers_buyer_uses` FOREIGN KEY (`voucher_id`) REFERENCES `vouchers` (`id`) ON DELETE CASCADE);
-- set sequence for "voucher_uses" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("voucher_uses", 107374182400);
-- create index "voucheruse_voucher_id_buyer" to table: "voucher_uses"
CREATE UNIQUE INDEX `voucheruse_voucher_id_buyer` ON `voucher_uses` (`voucher_id`, `buyer`);
