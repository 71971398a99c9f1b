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
