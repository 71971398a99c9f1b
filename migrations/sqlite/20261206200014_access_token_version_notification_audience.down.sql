-- reverse: create index "notification_order_id" to table: "notifications"
DROP INDEX `notification_order_id`;
-- reverse: create index "notification_status_created_at" to table: "notifications"
DROP INDEX `notification_status_created_at`;
-- reverse: set sequence for "new_notifications" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "new_notifications";
-- reverse: create "new_notifications" table
DROP TABLE `new_notifications`;
-- reverse: create index "customers_email_key" to table: "customers"
DROP INDEX `customers_email_key`;
-- reverse: set sequence for "new_customers" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "new_customers";
-- reverse: create "new_customers" table
DROP TABLE `new_customers`;
