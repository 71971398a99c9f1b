-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_categories" table
CREATE TABLE `new_categories` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `description` text NOT NULL DEFAULT (''), `position` integer NOT NULL DEFAULT (0), `depth` integer NOT NULL DEFAULT (0), `path` text NOT NULL DEFAULT (''), `product_count` integer NOT NULL DEFAULT (0), `active_product_count` integer NOT NULL DEFAULT (0), `parent_id` integer NULL, CONSTRAINT `categories_categories_children` FOREIGN KEY (`parent_id`) REFERENCES `categories` (`id`) ON DELETE RESTRICT);
-- set sequence for "new_categories" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_categories", 12884901888);
-- copy rows from old table "categories" to new temporary table "new_categories"
INSERT INTO `new_categories` (`id`, `created_at`, `updated_at`, `name`, `slug`, `description`, `position`, `depth`, `path`, `parent_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `slug`, `description`, `position`, `depth`, `path`, `parent_id` FROM `categories`;
-- drop "categories" table after copying rows
DROP TABLE `categories`;
-- rename temporary table "new_categories" to "categories"
ALTER TABLE `new_categories` RENAME TO `categories`;
-- create index "categories_slug_key" to table: "categories"
CREATE UNIQUE INDEX `categories_slug_key` ON `categories` (`slug`);
-- create index "category_parent_id_position" to table: "categories"
CREATE INDEX `category_parent_id_position` ON `categories` (`parent_id`, `position`);
-- create index "category_path" to table: "categories"
CREATE INDEX `category_path` ON `categories` (`path`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
