-- add column "discount_codes" to table: "carts"
ALTER TABLE `carts` ADD COLUMN `discount_codes` json NULL;
-- add column "promotions" to table: "orders"
ALTER TABLE `orders` ADD COLUMN `promotions` json NULL;
-- create "promotions" table
CREATE TABLE `promotions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `active` bool NOT NULL DEFAULT (true), `starts_at` datetime NULL, `ends_at` datetime NULL, `priority` integer NOT NULL DEFAULT (0), `stacking` text NOT NULL DEFAULT ('BEST'), `requires_code` bool NOT NULL DEFAULT (false), `min_subtotal_minor` integer NOT NULL DEFAULT (0), `min_quantity` integer NOT NULL DEFAULT (0), `product_ids` json NULL, `category_ids` json NULL, `variant_ids` json NULL, `signed_in` bool NOT NULL DEFAULT (false), `first_order` bool NOT NULL DEFAULT (false), `action` text NOT NULL, `percent_bp` integer NOT NULL DEFAULT (0), `amount_minor` integer NOT NULL DEFAULT (0), `buy_quantity` integer NOT NULL DEFAULT (0), `get_quantity` integer NOT NULL DEFAULT (0), `uses` integer NOT NULL DEFAULT (0), CONSTRAINT `promotion_action` CHECK (action IS NOT NULL AND ((action = 'PERCENTAGE' AND percent_bp > 0) OR (action = 'FIXED_AMOUNT' AND amount_minor > 0) OR (action = 'FIXED_PRICE') OR (action = 'BUY_X_GET_Y' AND buy_quantity > 0 AND get_quantity > 0 AND percent_bp > 0))), CONSTRAINT `promotion_window` CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at));
-- set sequence for "promotions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("promotions", 94489280512);
-- create "vouchers" table
CREATE TABLE `vouchers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `code` text NOT NULL, `uses` integer NOT NULL DEFAULT (0), `usage_limit` integer NULL, `per_customer_limit` integer NULL, `promotion_id` integer NOT NULL, CONSTRAINT `vouchers_promotions_vouchers` FOREIGN KEY (`promotion_id`) REFERENCES `promotions` (`id`) ON DELETE CASCADE, CONSTRAINT `voucher_uses_within_limit` CHECK (usage_limit IS NULL OR uses <= usage_limit));
-- set sequence for "vouchers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("vouchers", 98784247808);
-- create index "vouchers_code_key" to table: "vouchers"
CREATE UNIQUE INDEX `vouchers_code_key` ON `vouchers` (`code`);
-- create "voucher_uses" table
CREATE TABLE `voucher_uses` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `buyer` text NOT NULL, `uses` integer NOT NULL DEFAULT (0), `voucher_id` integer NOT NULL, CONSTRAINT `voucher_uses_vouchers_buyer_uses` FOREIGN KEY (`voucher_id`) REFERENCES `vouchers` (`id`) ON DELETE CASCADE);
-- set sequence for "voucher_uses" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("voucher_uses", 103079215104);
-- create index "voucheruse_voucher_id_buyer" to table: "voucher_uses"
CREATE UNIQUE INDEX `voucheruse_voucher_id_buyer` ON `voucher_uses` (`voucher_id`, `buyer`);
