-- reverse: modify "promotions" table
ALTER TABLE "promotions" DROP CONSTRAINT "promotion_uses_within_limit";
