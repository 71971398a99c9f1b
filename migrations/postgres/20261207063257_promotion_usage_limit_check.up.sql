-- modify "promotions" table
ALTER TABLE "promotions" ADD CONSTRAINT "promotion_uses_within_limit" CHECK ((usage_limit IS NULL) OR (uses <= usage_limit));
