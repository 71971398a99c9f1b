-- reverse: modify "categories" table
ALTER TABLE "categories" DROP COLUMN "active_product_count", DROP COLUMN "product_count";
