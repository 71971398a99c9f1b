-- reverse: create index "media_variant_id_position" to table: "media"
DROP INDEX "media_variant_id_position";
-- reverse: create index "media_product_id_position" to table: "media"
DROP INDEX "media_product_id_position";
-- reverse: create index "media_content_hash" to table: "media"
DROP INDEX "media_content_hash";
-- reverse: create index "media_category_id_position" to table: "media"
DROP INDEX "media_category_id_position";
-- reverse: create "media" table
DROP TABLE "media";
