-- add column "permissions" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `permissions` json NULL;
