-- create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `event_id` text NOT NULL, `event_type` text NOT NULL, `payload_version` integer NOT NULL, `body` text NOT NULL, `state` text NOT NULL DEFAULT ('PENDING'), `attempts` integer NOT NULL DEFAULT (0), `response_status` integer NULL, `latency_ms` integer NULL, `next_attempt_at` datetime NULL, `last_error` text NULL, `delivered_at` datetime NULL, `subscription_id` integer NOT NULL, CONSTRAINT `webhook_deliveries_webhook_subscriptions_deliveries` FOREIGN KEY (`subscription_id`) REFERENCES `webhook_subscriptions` (`id`) ON DELETE CASCADE);
-- set sequence for "webhook_deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_deliveries", 111669149696);
-- create index "webhookdelivery_subscription_id_event_id" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_subscription_id_event_id` ON `webhook_deliveries` (`subscription_id`, `event_id`);
-- create index "webhookdelivery_state_created_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_state_created_at` ON `webhook_deliveries` (`state`, `created_at`);
-- create "webhook_subscriptions" table
CREATE TABLE `webhook_subscriptions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `url` text NOT NULL, `event_types` json NOT NULL, `secret` text NOT NULL, `active` bool NOT NULL DEFAULT (true), `disabled_reason` text NULL, `consecutive_failures` integer NOT NULL DEFAULT (0), `failing_since` datetime NULL);
-- set sequence for "webhook_subscriptions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_subscriptions", 115964116992);
