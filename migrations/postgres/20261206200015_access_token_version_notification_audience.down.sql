-- reverse: modify "notifications" table
ALTER TABLE "notifications" DROP COLUMN "audience";
-- reverse: modify "customers" table
ALTER TABLE "customers" DROP COLUMN "token_version";
