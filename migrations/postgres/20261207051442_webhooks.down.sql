-- reverse: create index "webhookdelivery_subscription_id_event_id" to table: "webhook_deliveries"
DROP INDEX "webhookdelivery_subscription_id_event_id";
-- reverse: create index "webhookdelivery_state_created_at" to table: "webhook_deliveries"
DROP INDEX "webhookdelivery_state_created_at";
-- reverse: create "webhook_deliveries" table
DROP TABLE "webhook_deliveries";
-- reverse: create "webhook_subscriptions" table
DROP TABLE "webhook_subscriptions";
