-- add column "weight_grams" to table: "product_variants"
ALTER TABLE `product_variants` ADD COLUMN `weight_grams` integer NULL;
-- create "pickup_points" table
CREATE TABLE `pickup_points` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `line1` text NOT NULL, `line2` text NOT NULL DEFAULT (''), `town` text NOT NULL, `region` text NOT NULL DEFAULT (''), `postal_code` text NOT NULL DEFAULT (''), `country_code` text NOT NULL, `opening_hours` text NOT NULL, `phone` text NOT NULL, `active` bool NOT NULL DEFAULT (true), `method_id` integer NOT NULL, CONSTRAINT `pickup_points_shipping_methods_pickup_points` FOREIGN KEY (`method_id`) REFERENCES `shipping_methods` (`id`) ON DELETE CASCADE);
-- set sequence for "pickup_points" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("pickup_points", 68719476736);
-- create index "pickuppoint_method_id" to table: "pickup_points"
CREATE INDEX `pickuppoint_method_id` ON `pickup_points` (`method_id`);
-- create "shipping_methods" table
CREATE TABLE `shipping_methods` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `kind` text NOT NULL, `rate_type` text NOT NULL, `rate_minor` integer NOT NULL DEFAULT (0), `bands` json NOT NULL, `free_over_minor` integer NULL, `min_days` integer NOT NULL DEFAULT (0), `max_days` integer NOT NULL DEFAULT (0), `same_day_cutoff_hour` integer NULL, `active` bool NOT NULL DEFAULT (true), `zone_id` integer NOT NULL, CONSTRAINT `shipping_methods_shipping_zones_methods` FOREIGN KEY (`zone_id`) REFERENCES `shipping_zones` (`id`) ON DELETE CASCADE, CONSTRAINT `shipping_method_days` CHECK (max_days >= min_days));
-- set sequence for "shipping_methods" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("shipping_methods", 73014444032);
-- create index "shippingmethod_zone_id" to table: "shipping_methods"
CREATE INDEX `shippingmethod_zone_id` ON `shipping_methods` (`zone_id`);
-- create "shipping_zones" table
CREATE TABLE `shipping_zones` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `country_code` text NOT NULL, `region` text NOT NULL DEFAULT (''), `town` text NOT NULL DEFAULT (''), `postal_code_pattern` text NOT NULL DEFAULT (''), `match_key` text NOT NULL);
-- set sequence for "shipping_zones" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("shipping_zones", 77309411328);
-- create index "shipping_zones_match_key_key" to table: "shipping_zones"
CREATE UNIQUE INDEX `shipping_zones_match_key_key` ON `shipping_zones` (`match_key`);
