-- modify "categories" table
ALTER TABLE "categories" ADD CONSTRAINT "category_product_counts" CHECK ((active_product_count >= 0) AND (active_product_count <= product_count));
