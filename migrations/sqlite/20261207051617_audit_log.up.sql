-- create "audit_entries" table
CREATE TABLE `audit_entries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `actor_customer_id` integer NULL, `actor_client` text NOT NULL DEFAULT (''), `actor_role` text NOT NULL DEFAULT (''), `field` text NOT NULL, `operation` text NOT NULL DEFAULT (''), `target_ids` json NOT NULL, `changes` json NOT NULL, `client_addr` text NOT NULL DEFAULT (''));
-- set sequence for "audit_entries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("audit_entries", 111669149696);
-- create index "auditentry_created_at" to table: "audit_entries"
CREATE INDEX `auditentry_created_at` ON `audit_entries` (`created_at`);
-- create index "auditentry_actor_customer_id_created_at" to table: "audit_entries"
CREATE INDEX `auditentry_actor_customer_id_created_at` ON `audit_entries` (`actor_customer_id`, `created_at`);
-- create index "auditentry_actor_client_created_at" to table: "audit_entries"
CREATE INDEX `auditentry_actor_client_created_at` ON `audit_entries` (`actor_client`, `created_at`);
-- create index "auditentry_field_created_at" to table: "audit_entries"
CREATE INDEX `auditentry_field_created_at` ON `audit_entries` (`field`, `created_at`);
