-- reverse: modify "categories" table
ALTER TABLE "categories" DROP CONSTRAINT "category_product_counts";
