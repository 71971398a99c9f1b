-- reverse: modify "promotions" table
ALTER TABLE "promotions" DROP COLUMN "usage_limit", DROP CONSTRAINT "promotion_uses_within_limit", DROP CONSTRAINT "promotion_action_params", ADD CONSTRAINT "promotion_action" CHECK ((action IS NOT NULL) AND ((((action)::text = 'PERCENTAGE'::text) AND (percent_bp > 0)) OR (((action)::text = 'FIXED_AMOUNT'::text) AND (amount_minor > 0)) OR ((action)::text = 'FIXED_PRICE'::text) OR (((action)::text = 'BUY_X_GET_Y'::text) AND (buy_quantity > 0) AND (get_quantity > 0) AND (percent_bp > 0))));
-- reverse: modify "orders" table
ALTER TABLE "orders" DROP COLUMN "shipping_discount_minor";
-- reverse: modify "order_lines" table
ALTER TABLE "order_lines" DROP COLUMN "compare_at_price_minor";
