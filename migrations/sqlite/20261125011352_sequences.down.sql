-- reverse: create index "sequences_name_key" to table: "sequences"
DROP INDEX `sequences_name_key`;
-- reverse: set sequence for "sequences" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "sequences";
-- reverse: create "sequences" table
DROP TABLE `sequences`;
