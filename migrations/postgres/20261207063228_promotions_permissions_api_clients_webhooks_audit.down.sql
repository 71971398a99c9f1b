-- reverse: create index "webhookdelivery_subscription_id_event_id" to table: "webhook_deliveries"
DROP INDEX "webhookdelivery_subscription_id_event_id";
-- reverse: create index "webhookdelivery_state_created_at" to table: "webhook_deliveries"
DROP INDEX "webhookdelivery_state_created_at";
-- reverse: create "webhook_deliveries" table
DROP TABLE "webhook_deliveries";
-- reverse: create "webhook_subscriptions" table
DROP TABLE "webhook_subscriptions";
-- reverse: create index "revokedtoken_expires_at" to table: "revoked_tokens"
DROP INDEX "revokedtoken_expires_at";
-- reverse: create index "revoked_tokens_jti_key" to table: "revoked_tokens"
DROP INDEX "revoked_tokens_jti_key";
-- reverse: create "revoked_tokens" table
DROP TABLE "revoked_tokens";
-- reverse: create index "auditentry_field_created_at" to table: "audit_entries"
DROP INDEX "auditentry_field_created_at";
-- reverse: create index "auditentry_created_at" to table: "audit_entries"
DROP INDEX "auditentry_created_at";
-- reverse: create index "auditentry_actor_customer_id_created_at" to table: "audit_entries"
DROP INDEX "auditentry_actor_customer_id_created_at";
-- reverse: create index "auditentry_actor_client_created_at" to table: "audit_entries"
DROP INDEX "auditentry_actor_client_created_at";
-- reverse: create "audit_entries" table
DROP TABLE "audit_entries";
-- reverse: create index "api_clients_client_id_key" to table: "api_clients"
DROP INDEX "api_clients_client_id_key";
-- reverse: create "api_clients" table
DROP TABLE "api_clients";
-- reverse: modify "promotions" table
ALTER TABLE "promotions" DROP COLUMN "usage_limit", DROP CONSTRAINT "promotion_action_params", ADD CONSTRAINT "promotion_action" CHECK ((action IS NOT NULL) AND ((((action)::text = 'PERCENTAGE'::text) AND (percent_bp > 0)) OR (((action)::text = 'FIXED_AMOUNT'::text) AND (amount_minor > 0)) OR ((action)::text = 'FIXED_PRICE'::text) OR (((action)::text = 'BUY_X_GET_Y'::text) AND (buy_quantity > 0) AND (get_quantity > 0) AND (percent_bp > 0))));
-- reverse: modify "orders" table
ALTER TABLE "orders" DROP COLUMN "shipping_discount_minor";
-- reverse: modify "order_lines" table
ALTER TABLE "order_lines" DROP COLUMN "compare_at_price_minor";
-- reverse: modify "customers" table
ALTER TABLE "customers" DROP COLUMN "permissions";
