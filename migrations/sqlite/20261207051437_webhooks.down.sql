-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- drop "webhook_deliveries" table
DROP TABLE `webhook_deliveries`;
-- drop "webhook_subscriptions" table
DROP TABLE `webhook_subscriptions`;
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
