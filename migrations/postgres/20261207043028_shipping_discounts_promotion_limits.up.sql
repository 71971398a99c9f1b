-- modify "order_lines" table
ALTER TABLE "order_lines" ADD COLUMN "compare_at_price_minor" bigint NULL;
-- modify "orders" table
ALTER TABLE "orders" ADD COLUMN "shipping_discount_minor" bigint NOT NULL DEFAULT 0;
-- modify "promotions" table
ALTER TABLE "promotions" ADD CONSTRAINT "promotion_uses_within_limit" CHECK ((usage_limit IS NULL) OR (uses <= usage_limit)), ADD COLUMN "usage_limit" bigint NULL;
