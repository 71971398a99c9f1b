-- reverse: create index "voucheruse_voucher_id_buyer" to table: "voucher_uses"
DROP INDEX "voucheruse_voucher_id_buyer";
-- reverse: create "voucher_uses" table
DROP TABLE "voucher_uses";
-- reverse: create index "vouchers_code_key" to table: "vouchers"
DROP INDEX "vouchers_code_key";
-- reverse: create "vouchers" table
DROP TABLE "vouchers";
-- reverse: create "promotions" table
DROP TABLE "promotions";
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
-- reverse: modify "orders" table
ALTER TABLE "orders" DROP COLUMN "promotions";
-- reverse: modify "carts" table
ALTER TABLE "carts" DROP COLUMN "discount_codes";
