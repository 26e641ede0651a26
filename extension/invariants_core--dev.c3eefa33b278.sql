-- Extension invariants_core, version dev.c3eefa33b278: the stored functions (and their EXECUTE
-- grants) of the declared invariants. Tables, triggers, policies and views come
-- from the migrations and the repeatable set, never from the extension.
--
-- Generated from the Swift declarations; do not edit by hand. A released version's
-- script is frozen (never rendered again), like a released migration.
-- Install: make -C extension install; then, after the migrations,
--   CREATE EXTENSION invariants_core VERSION 'dev.c3eefa33b278';
-- (or `invariants migrate --stored-logic extension`, which also writes the ledger).
\echo Use "CREATE EXTENSION invariants_core" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_core holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_core';
    END IF;
END
$guard$;

DO $adopt$
DECLARE
    sig text;
    f pg_catalog.regprocedure;
    holder name;
BEGIN
    FOREACH sig IN ARRAY ARRAY[
        '"invariants"."call_as"(text, text, text, text[])',
        '"invariants"."touch_updated_at"()'
    ]::text[] LOOP
        f := pg_catalog.to_regprocedure(sig);
        CONTINUE WHEN f IS NULL;
        SELECT e.extname INTO holder FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = f
          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e';
        IF holder IS NOT NULL THEN
            RAISE EXCEPTION 'function % belongs to extension %, not to invariants_core', f, holder
                USING HINT = CASE WHEN holder = 'invariants' THEN 'ALTER EXTENSION invariants UPDATE TO ''modules'' first (invariants migrate --stored-logic extension does it)' ELSE 'a function belongs to one extension at a time' END;
        END IF;
        EXECUTE pg_catalog.format('ALTER EXTENSION %I ADD FUNCTION %s', 'invariants_core', f);
    END LOOP;
END
$adopt$;

-- invariants:object {"checksum":"sha256:5e1aa1d613878ec30fc53f7c9dc631230c64bf0a4f42ad8d454aa8e1de42b182","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"call_as\"(text, text, text, text[])"],"key":"function invariants.call_as(text, text, text, text[])","kind":"function","source":"InvariantsSchema.CoreCallAs"}
CREATE OR REPLACE FUNCTION "invariants"."call_as"(
    "p_role" text,
    "p_claims" text,
    "p_statement" text,
    "p_arguments" text[]
)
    RETURNS SETOF record
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
DECLARE
    previous_role   text := pg_catalog.current_setting('role');
    previous_claims text := pg_catalog.current_setting('request.jwt.claims', true);
    -- The legacy single-claim settings, which Supabase's auth.uid() prefers: a value
    -- left on a pooled connection would make this call run as someone else.
    previous_legacy text[] := ARRAY[
        pg_catalog.current_setting('request.jwt.claim', true),
        pg_catalog.current_setting('request.jwt.claim.sub', true),
        pg_catalog.current_setting('request.jwt.claim.role', true),
        pg_catalog.current_setting('request.jwt.claim.email', true)];
    claimed_role    text;
BEGIN
    IF p_role IS NULL OR p_role NOT IN ('anon', 'authenticated', 'service_role') THEN
        RAISE EXCEPTION 'role % is not a request role (%)', p_role, 'anon, authenticated, service_role'
            USING ERRCODE = 'IV422', COLUMN = 'role';
    END IF;
    -- The role is the one switched to; claims naming another would make auth.role()
    -- say what the grants do not.
    claimed_role := NULLIF(p_claims, '')::jsonb ->> 'role';
    IF claimed_role IS DISTINCT FROM p_role THEN
        RAISE EXCEPTION 'claims name role %, but the call runs as %', COALESCE(claimed_role, 'none'), p_role
            USING ERRCODE = 'IV422', COLUMN = 'claims';
    END IF;
    PERFORM pg_catalog.set_config('role', p_role, true),
            pg_catalog.set_config('request.jwt.claims', p_claims, true),
            pg_catalog.set_config('request.jwt.claim', '', true),
            pg_catalog.set_config('request.jwt.claim.sub', '', true),
            pg_catalog.set_config('request.jwt.claim.role', '', true),
            pg_catalog.set_config('request.jwt.claim.email', '', true);
    -- $1 of the statement is p_arguments; the statement casts its elements.
    RETURN QUERY EXECUTE p_statement USING p_arguments;
    PERFORM pg_catalog.set_config('role', previous_role, true),
            pg_catalog.set_config('request.jwt.claims', COALESCE(previous_claims, ''), true),
            pg_catalog.set_config('request.jwt.claim', COALESCE(previous_legacy[1], ''), true),
            pg_catalog.set_config('request.jwt.claim.sub', COALESCE(previous_legacy[2], ''), true),
            pg_catalog.set_config('request.jwt.claim.role', COALESCE(previous_legacy[3], ''), true),
            pg_catalog.set_config('request.jwt.claim.email', COALESCE(previous_legacy[4], ''), true);
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."call_as"(text, text, text, text[])
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:658f9c7f9ec9b36e31709ed2f744a2c518902c7de814ec509b4296d83fb85462","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"touch_updated_at\"()"],"key":"function invariants.touch_updated_at()","kind":"trigger function","source":"UpdatedAt(column: updated_at)"}
CREATE OR REPLACE FUNCTION "invariants"."touch_updated_at"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant updated_at on column updated_at: the server clock owns it.
    IF TG_OP = 'INSERT' THEN
        NEW."updated_at" := pg_catalog.now();
        RETURN NEW;
    END IF;
    -- Keep the old value; bump it only when something else changed.
    -- Record-image equality (*=) works for every column type, json included.
    NEW."updated_at" := OLD."updated_at";
    IF NEW *= OLD THEN
        RETURN NEW;
    END IF;
    NEW."updated_at" := pg_catalog.now();
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."touch_updated_at"() FROM PUBLIC;

