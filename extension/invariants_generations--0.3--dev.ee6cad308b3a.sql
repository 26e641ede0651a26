-- Extension invariants_generations upgrade 0.3 → dev.ee6cad308b3a: 0 function(s) dropped,
-- 2 created or replaced, 4 unchanged.
-- Generated from the Swift declarations; do not edit by hand.
-- Apply: ALTER EXTENSION invariants_generations UPDATE TO 'dev.ee6cad308b3a';
-- (`invariants migrate --stored-logic extension` first drops the triggers and other
-- objects that still use a dropped function, then updates, then re-creates them.)
\echo Use "CREATE EXTENSION invariants_generations" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_generations holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_generations';
    END IF;
END
$guard$;

-- invariants:object {"checksum":"sha256:acec664fce46f48e6a6e4353aa43e9d630027af4611bbcc2f25b28f7d07b5458","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_generation_jobs_status\"()"],"key":"function invariants.state_public_generation_jobs_status()","kind":"trigger function","source":"StateMachine(table: public.generation_jobs, column: status)"}
CREATE OR REPLACE FUNCTION "invariants"."state_public_generation_jobs_status"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant state machine on generation_jobs.status: initial pending, processing, completed, failed; terminal completed, failed.
    IF TG_OP = 'INSERT' THEN
        IF NEW."status" IS NULL OR NEW."status"::text NOT IN ('pending', 'processing', 'completed', 'failed') THEN
            RAISE EXCEPTION 'illegal initial state of generation_jobs.status: %', COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      HINT = 'a row starts in pending, processing, completed, failed';
        END IF;
    ELSIF NEW."status" IS DISTINCT FROM OLD."status" THEN
        IF OLD."status"::text IN ('pending') AND NEW."status"::text = 'processing' THEN
            NULL;
        ELSIF OLD."status"::text IN ('pending', 'processing') AND NEW."status"::text = 'completed' THEN
            NULL;
        ELSIF OLD."status"::text IN ('pending', 'processing') AND NEW."status"::text = 'failed' THEN
            NULL;
        ELSE
            RAISE EXCEPTION 'illegal transition of generation_jobs.status: % -> %', COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status', DETAIL = COALESCE(CASE WHEN OLD."status"::text IN ('completed', 'failed') THEN OLD."status"::text || ' is a terminal state' END, '');
        END IF;
    ELSIF OLD."status"::text IN ('completed', 'failed') THEN
        -- A terminal row is final: naming its state again is a second completion.
        RAISE EXCEPTION 'illegal transition of generation_jobs.status: % -> %', COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
            USING ERRCODE = 'IV001', COLUMN = 'status', DETAIL = COALESCE(CASE WHEN OLD."status"::text IN ('completed', 'failed') THEN OLD."status"::text || ' is a terminal state' END, '');
    ELSE
        -- Same state: not a transition.
        RETURN NEW;
    END IF;
    IF NEW."status"::text = 'processing' THEN
        NEW."started_at" := pg_catalog.now();
    END IF;
    IF NEW."status"::text = 'completed' THEN
        IF (NEW.image_url IS NOT NULL AND pg_catalog.btrim(NEW.image_url) <> '') IS NOT TRUE THEN
            RAISE EXCEPTION 'cannot enter generation_jobs.status %: a completed job needs image_url', NEW."status"
                USING ERRCODE = 'IV422', COLUMN = 'image_url';
        END IF;
        NEW."finished_at" := pg_catalog.now();
        NEW."error_message" := NULL;
    END IF;
    IF NEW."status"::text = 'failed' THEN
        NEW."finished_at" := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_generation_jobs_status"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:fa7d7b242951e5988cea62e78e7bd96d929ca1dd33d36efc3f4bfcd3a5cd00f9","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_generation_jobs_status_final\"()"],"key":"function invariants.state_public_generation_jobs_status_final()","kind":"trigger function","source":"StateMachine(table: public.generation_jobs, column: status)"}
CREATE OR REPLACE FUNCTION "invariants"."state_public_generation_jobs_status_final"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- A terminal row of generation_jobs.status is final: its result columns keep their values.
    IF NEW."image_url" IS DISTINCT FROM OLD."image_url" THEN
        RAISE EXCEPTION 'generation_jobs is % (a terminal state of status): image_url is final', OLD."status"
            USING ERRCODE = 'IV001', COLUMN = 'image_url';
    END IF;
    IF NEW."tokens_cost" IS DISTINCT FROM OLD."tokens_cost" THEN
        RAISE EXCEPTION 'generation_jobs is % (a terminal state of status): tokens_cost is final', OLD."status"
            USING ERRCODE = 'IV001', COLUMN = 'tokens_cost';
    END IF;
    IF NEW."error_message" IS DISTINCT FROM OLD."error_message" THEN
        RAISE EXCEPTION 'generation_jobs is % (a terminal state of status): error_message is final', OLD."status"
            USING ERRCODE = 'IV001', COLUMN = 'error_message';
    END IF;
    IF NEW."started_at" IS DISTINCT FROM OLD."started_at" THEN
        RAISE EXCEPTION 'generation_jobs is % (a terminal state of status): started_at is final', OLD."status"
            USING ERRCODE = 'IV001', COLUMN = 'started_at';
    END IF;
    IF NEW."finished_at" IS DISTINCT FROM OLD."finished_at" THEN
        RAISE EXCEPTION 'generation_jobs is % (a terminal state of status): finished_at is final', OLD."status"
            USING ERRCODE = 'IV001', COLUMN = 'finished_at';
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_generation_jobs_status_final"() FROM PUBLIC, "anon", "authenticated", "service_role";

