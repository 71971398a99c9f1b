-- reverse: modify "product_variants" table
ALTER TABLE "product_variants" DROP CONSTRAINT "product_variants_tax_classes_variants", DROP COLUMN "tax_class_id";
