-- A read-only ClickHouse user for Grafana (grafana-clickhouse-datasource).
-- Run as an administrator with clickhouse-client; on a cluster keep ON CLUSTER pmo so
-- every node gets it, on a single server drop the ON CLUSTER clauses.
--
--   clickhouse-client --user admin --ask-password --multiquery < grafana-user.sql
--
-- readonly = 1 forbids writes and DDL; the plugin still sets max_execution_time on
-- each query (its queryTimeout), so that one setting stays changeable.
CREATE SETTINGS PROFILE IF NOT EXISTS grafana_readonly ON CLUSTER pmo
    SETTINGS readonly = 1, max_execution_time = 60 CHANGEABLE_IN_READONLY, max_result_rows = 1000000;

CREATE USER IF NOT EXISTS grafana ON CLUSTER pmo
    IDENTIFIED WITH sha256_password BY 'change-me'
    SETTINGS PROFILE 'grafana_readonly';

GRANT ON CLUSTER pmo SELECT ON pmo.* TO grafana;
