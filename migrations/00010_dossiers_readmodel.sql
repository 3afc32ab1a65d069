-- +goose Up
-- The dossiers read model (projections/dossiers) searches names with
-- trigram indexes (pg_trgm) and tolerates typos with an edit distance
-- (fuzzystrmatch). Its tables are created per generation by the projection;
-- only the extensions live here, because an extension belongs to the whole
-- database, not to one schema or generation.
--
-- They are installed into pg_catalog, which is implicitly on every
-- search_path: the read model's SQL then names `%`, `similarity` and
-- `levenshtein` unqualified whatever schema the service runs in (tests run
-- each in a schema of their own, production in its own). An extension that
-- a DBA already installed elsewhere is kept, provided its schema is on this
-- search_path; otherwise the migration stops with an explanation rather
-- than letting queries fail later.
--
-- Parallel migrations (tests) may race to create the same extension; the
-- loser's duplicate error is swallowed, because the winner's extension is
-- exactly what it wanted.
-- +goose StatementBegin
DO $$
DECLARE
    ext text;
    ns  text;
BEGIN
    FOREACH ext IN ARRAY ARRAY['pg_trgm', 'fuzzystrmatch'] LOOP
        SELECT extnamespace::regnamespace::text INTO ns FROM pg_extension WHERE extname = ext;
        IF ns IS NULL THEN
            BEGIN
                EXECUTE format('CREATE EXTENSION IF NOT EXISTS %I SCHEMA pg_catalog', ext);
            EXCEPTION
                WHEN duplicate_object OR duplicate_function OR unique_violation THEN NULL;
            END;
        ELSIF ns <> 'pg_catalog' AND NOT (ns = ANY (current_schemas(false))) THEN
            RAISE EXCEPTION 'extension % is installed in schema %, which is not on the search_path (%)', ext, ns, current_setting('search_path')
                USING HINT = 'ALTER EXTENSION ' || ext || ' SET SCHEMA pg_catalog, or add its schema to the search_path of the hoso login';
        END IF;
    END LOOP;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- The extensions are shared by every schema of the database: left in place.
SELECT 1;
