-- modify "customers" table
ALTER TABLE "customers" ADD COLUMN "token_version" bigint NOT NULL DEFAULT 0;
-- modify "notifications" table
ALTER TABLE "notifications" ADD COLUMN "audience" character varying NOT NULL DEFAULT 'CUSTOMER';
