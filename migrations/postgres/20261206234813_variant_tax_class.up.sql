-- modify "product_variants" table
ALTER TABLE "product_variants" ADD COLUMN "tax_class_id" bigint NULL, ADD CONSTRAINT "product_variants_tax_classes_variants" FOREIGN KEY ("tax_class_id") REFERENCES "tax_classes" ("id") ON UPDATE NO ACTION ON DELETE SET NULL;
