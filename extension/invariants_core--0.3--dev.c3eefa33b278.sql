-- Extension invariants_core upgrade 0.3 → dev.c3eefa33b278: 0 function(s) dropped,
-- 1 created or replaced, 1 unchanged.
-- Generated from the Swift declarations; do not edit by hand.
-- Apply: ALTER EXTENSION invariants_core UPDATE TO 'dev.c3eefa33b278';
-- (`invariants migrate --stored-logic extension` first drops the triggers and other
-- objects that still use a dropped function, then updates, then re-creates them.)
\echo Use "CREATE EXTENSION invariants_core" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_core holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_core';
    END IF;
END
$guard$;

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

