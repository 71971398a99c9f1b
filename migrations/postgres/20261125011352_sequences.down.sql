-- reverse: create index "sequences_name_key" to table: "sequences"
DROP INDEX "sequences_name_key";
-- reverse: create "sequences" table
DROP TABLE "sequences";
