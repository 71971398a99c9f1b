-- modify "categories" table
ALTER TABLE "categories" ADD COLUMN "product_count" bigint NOT NULL DEFAULT 0, ADD COLUMN "active_product_count" bigint NOT NULL DEFAULT 0;
