-- The ClickHouse user pmohub connects as (warehouse.url): it creates the database and
-- its tables ON CLUSTER, inserts and reads. Run as an administrator; on a single server
-- drop the ON CLUSTER clauses and the CLUSTER grant.
CREATE USER IF NOT EXISTS pmohub ON CLUSTER pmo
    IDENTIFIED WITH sha256_password BY 'change-me';

-- Only what migrations, syncs and queries do; no access management, no table functions.
GRANT ON CLUSTER pmo SHOW, SELECT, INSERT, ALTER, OPTIMIZE, TRUNCATE,
    CREATE DATABASE, CREATE TABLE, CREATE VIEW, DROP TABLE, DROP VIEW ON pmo.* TO pmohub;
-- ON CLUSTER DDL needs the CLUSTER privilege on recent servers.
GRANT ON CLUSTER pmo CLUSTER ON *.* TO pmohub;
