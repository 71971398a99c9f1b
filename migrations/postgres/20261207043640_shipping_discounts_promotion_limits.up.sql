-- modify "order_lines" table
ALTER TABLE "order_lines" ADD COLUMN "compare_at_price_minor" bigint NULL;
-- modify "orders" table
ALTER TABLE "orders" ADD COLUMN "shipping_discount_minor" bigint NOT NULL DEFAULT 0;
-- modify "promotions" table
ALTER TABLE "promotions" DROP CONSTRAINT "promotion_action", ADD CONSTRAINT "promotion_action_params" CHECK ((action IS NOT NULL) AND ((((action)::text = 'PERCENTAGE'::text) AND (percent_bp > 0)) OR (((action)::text = 'FIXED_AMOUNT'::text) AND (amount_minor > 0)) OR ((action)::text = 'FIXED_PRICE'::text) OR (((action)::text = 'BUY_X_GET_Y'::text) AND (buy_quantity > 0) AND (get_quantity > 0) AND (percent_bp > 0)) OR (((action)::text = 'SHIPPING'::text) AND (((percent_bp > 0) AND (amount_minor = 0)) OR ((percent_bp = 0) AND (amount_minor > 0)))))), ADD CONSTRAINT "promotion_uses_within_limit" CHECK ((usage_limit IS NULL) OR (uses <= usage_limit)), ADD COLUMN "usage_limit" bigint NULL;
