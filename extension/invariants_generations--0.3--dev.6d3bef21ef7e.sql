-- Extension invariants_generations upgrade 0.3 → dev.6d3bef21ef7e: 0 function(s) dropped,
-- 4 created or replaced, 2 unchanged.
-- Generated from the Swift declarations; do not edit by hand.
-- Apply: ALTER EXTENSION invariants_generations UPDATE TO 'dev.6d3bef21ef7e';
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

-- invariants:object {"checksum":"sha256:84775a8936d6adb8f58f1bf1f1510d9550daee52b6ea186fe1b78e485033f5ab","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"legacy_source_generation_id\"(text, jsonb)"],"key":"function invariants.legacy_source_generation_id(text, jsonb)","kind":"function","source":"Generations.GenerationsHistory"}
CREATE OR REPLACE FUNCTION "invariants"."legacy_source_generation_id"("p_description" text, "p_product_images" jsonb)
    RETURNS uuid
    LANGUAGE plpgsql
    IMMUTABLE
    SET search_path = ''
AS $fn$
DECLARE
    found text;
BEGIN
    -- 1. description: sourceGenerationId (or source_generation_id), ':' or '=', the UUID.
    found := (pg_catalog.regexp_match(p_description,
        '(?:sourceGenerationId|source_generation_id)["'']?\s*[:=]\s*["'']?'
        || '([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})'))[1];
    IF found IS NULL AND p_product_images IS NOT NULL THEN
        -- 2. product_images: lax mode looks into a top-level array's elements too.
        found := COALESCE(
            pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.sourceGenerationId'),
            pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.source_generation_id'),
            pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.metadata.sourceGenerationId'),
            pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.metadata.source_generation_id')
        ) #>> '{}';
        IF found !~ '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$' THEN
            found := NULL;
        END IF;
    END IF;
    RETURN found::uuid;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."legacy_source_generation_id"(text, jsonb)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:97649d640360b7e1c039174d7ff21547b941471c120e15fa76420589bf279748","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_generation_jobs_status\"()"],"key":"function invariants.state_public_generation_jobs_status()","kind":"trigger function","source":"StateMachine(table: public.generation_jobs, column: status)"}
CREATE OR REPLACE FUNCTION "invariants"."state_public_generation_jobs_status"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant state machine on generation_jobs.status:
    -- initial pending, processing, completed, failed; terminal completed, failed.
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
            RAISE EXCEPTION 'illegal transition of generation_jobs.status: % -> %',
                    COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      DETAIL = CASE WHEN OLD."status"::text IN ('completed', 'failed')
                                    THEN OLD."status"::text || ' is a terminal state' ELSE '' END;
        END IF;
    ELSIF OLD."status"::text IN ('completed', 'failed') THEN
        -- A terminal row is final: naming its state again is a second completion.
        RAISE EXCEPTION 'illegal transition of generation_jobs.status: % -> %',
                COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
            USING ERRCODE = 'IV001', COLUMN = 'status',
                  DETAIL = CASE WHEN OLD."status"::text IN ('completed', 'failed')
                                THEN OLD."status"::text || ' is a terminal state' ELSE '' END;
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
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_generation_jobs_status"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:eecdce30d8a1bed097974e3a860930ab1301ce1c17130448a4646a40465e5814","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_generation_jobs_status_final\"()"],"key":"function invariants.state_public_generation_jobs_status_final()","kind":"trigger function","source":"StateMachine(table: public.generation_jobs, column: status)"}
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
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_generation_jobs_status_final"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:af656bc4e8c57d4d0f38a170a0aa26eaa9fbdb354b36f7789b982efb04c8e0a7","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"save_completed_generation_to_history\"()"],"key":"function invariants.save_completed_generation_to_history()","kind":"trigger function","source":"AppendToSource(child: public.generation_jobs, parent: public.generations)"}
CREATE OR REPLACE FUNCTION "invariants"."save_completed_generation_to_history"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    source_id uuid;
    target uuid;
    item jsonb;
BEGIN
    -- Invariant append to source: public.generation_jobs entering completed adds to public.generations, exactly once.
    IF NEW."status" IS DISTINCT FROM 'completed' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD."status" IS NOT DISTINCT FROM 'completed' OR OLD."generation_id" IS NOT NULL THEN
            RETURN NEW;
        END IF;
    END IF;
    item := pg_catalog.jsonb_build_object(
        'url', NEW."image_url", 'job_id', NEW."id", 'edited', NEW."category" = 'edit',
        'at', pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
    IF (NEW."category" = 'edit') IS TRUE THEN
        source_id := COALESCE(NEW."source_generation_id", "invariants"."legacy_source_generation_id"(NEW."description",
            NEW."product_images"));
        IF source_id IS NOT NULL THEN
            -- One statement: the row lock serializes concurrent appends to one parent.
            -- Same owner only: the definer bypasses RLS, so the owner is checked here.
            UPDATE "public"."generations" AS p
               SET "output_data" = pg_catalog.jsonb_set(
                       COALESCE(p."output_data", '{}'::jsonb), '{"images"}',
                       COALESCE(p."output_data" -> 'images', '[]'::jsonb) || pg_catalog.jsonb_build_array(item)),
                   "tokens_used" = COALESCE(p."tokens_used", 0) + COALESCE(NEW."tokens_cost", 0)
             WHERE p."id" = source_id AND p."user_id" = NEW."user_id"
            RETURNING p."id" INTO target;
        END IF;
    END IF;
    IF target IS NULL THEN
        -- No valid source (none, missing, deleted, another owner's): a new parent for the child's owner.
        INSERT INTO "public"."generations" ("user_id", "output_data", "tokens_used", "category", "prompt")
        VALUES (
            NEW."user_id",
            pg_catalog.jsonb_build_object('images', pg_catalog.jsonb_build_array(item)),
            COALESCE(NEW."tokens_cost", 0),
            NEW."category",
            NEW."description"
        )
        RETURNING "id" INTO target;
    END IF;
    NEW."generation_id" := target;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."save_completed_generation_to_history"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

