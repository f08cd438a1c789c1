-- 005: pg_stat_statements, where the server loads it (the embedded server does: db/embedded.ts),
-- so that the database sampler (db/sampler.ts) can name the statements that took the time. On a
-- server without it nothing is created, and the sampler says so in the report.
DO $$
BEGIN
  IF current_setting('shared_preload_libraries') ~ 'pg_stat_statements' THEN
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
  END IF;
END
$$;
