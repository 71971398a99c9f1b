-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_promotions" table
CREATE TABLE `new_promotions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `active` bool NOT NULL DEFAULT true, `starts_at` datetime NULL, `ends_at` datetime NULL, `priority` integer NOT NULL DEFAULT 0, `stacking` text NOT NULL DEFAULT 'BEST', `requires_code` bool NOT NULL DEFAULT false, `min_subtotal_minor` integer NOT NULL DEFAULT 0, `min_quantity` integer NOT NULL DEFAULT 0, `product_ids` json NULL, `category_ids` json NULL, `variant_ids` json NULL, `signed_in` bool NOT NULL DEFAULT false, `first_order` bool NOT NULL DEFAULT false, `action` text NOT NULL, `percent_bp` integer NOT NULL DEFAULT 0, `amount_minor` integer NOT NULL DEFAULT 0, `buy_quantity` integer NOT NULL DEFAULT 0, `get_quantity` integer NOT NULL DEFAULT 0, `uses` integer NOT NULL DEFAULT 0, `usage_limit` integer NULL, CONSTRAINT `promotion_action_params` CHECK (action IS NOT NULL AND ((action = 'PERCENTAGE' AND percent_bp > 0) OR (action = 'FIXED_AMOUNT' AND amount_minor > 0) OR (action = 'FIXED_PRICE') OR (action = 'BUY_X_GET_Y' AND buy_quantity > 0 AND get_quantity > 0 AND percent_bp > 0) OR (action = 'SHIPPING' AND ((percent_bp > 0 AND amount_minor = 0) OR (percent_bp = 0 AND amount_minor > 0))))), CONSTRAINT `promotion_window` CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at));
-- carry the id sequence of "promotions" over to "new_promotions"
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_promotions', seq FROM sqlite_sequence WHERE name = 'promotions';
-- copy rows from old table "promotions" to new temporary table "new_promotions"
INSERT INTO `new_promotions` (`id`, `created_at`, `updated_at`, `name`, `active`, `starts_at`, `ends_at`, `priority`, `stacking`, `requires_code`, `min_subtotal_minor`, `min_quantity`, `product_ids`, `category_ids`, `variant_ids`, `signed_in`, `first_order`, `action`, `percent_bp`, `amount_minor`, `buy_quantity`, `get_quantity`, `uses`, `usage_limit`) SELECT `id`, `created_at`, `updated_at`, `name`, `active`, `starts_at`, `ends_at`, `priority`, `stacking`, `requires_code`, `min_subtotal_minor`, `min_quantity`, `product_ids`, `category_ids`, `variant_ids`, `signed_in`, `first_order`, `action`, `percent_bp`, `amount_minor`, `buy_quantity`, `get_quantity`, `uses`, `usage_limit` FROM `promotions`;
-- drop "promotions" table after copying rows
DROP TABLE `promotions`;
-- rename temporary table "new_promotions" to "promotions"
ALTER TABLE `new_promotions` RENAME TO `promotions`;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
