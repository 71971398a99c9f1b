-- reverse: modify "promotions" table
ALTER TABLE "promotions" DROP COLUMN "usage_limit", DROP CONSTRAINT "promotion_uses_within_limit";
-- reverse: modify "orders" table
ALTER TABLE "orders" DROP COLUMN "shipping_discount_minor";
-- reverse: modify "order_lines" table
ALTER TABLE "order_lines" DROP COLUMN "compare_at_price_minor";
