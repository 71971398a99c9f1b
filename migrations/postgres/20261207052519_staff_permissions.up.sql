-- modify "customers" table
ALTER TABLE "customers" ADD COLUMN "permissions" jsonb NULL;
