-- pgTAP tests of the invariants extension (make installcheck). Written by hand; they read
-- the expectations from the database itself (the ledger, the catalogs), so they hold for
-- every version of the declarations.
\set ON_ERROR_STOP on
BEGIN;
SELECT plan(9);

SELECT is(
    (SELECT extversion FROM pg_extension WHERE extname = 'invariants'),
    (SELECT default_version FROM pg_available_extensions WHERE name = 'invariants'),
    'CREATE EXTENSION installed the default version');

SELECT cmp_ok(
    (SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE e.extname = 'invariants' AND d.deptype = 'e' AND d.classid = 'pg_proc'::regclass),
    '=',
    (SELECT count(*) FROM invariants.repeatable_objects WHERE kind IN ('function', 'trigger function')),
    'every stored function of the ledger belongs to the extension, and no other');

SELECT is_empty($$
    SELECT d.classid::regclass::text FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
    WHERE e.extname = 'invariants' AND d.deptype = 'e' AND d.classid <> 'pg_proc'::regclass
$$, 'the extension owns functions only: no table, view, trigger, policy, type or data');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'invariants'
    WHERE p.prosecdef AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
$$, 'every SECURITY DEFINER function of the extension pins its search_path');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'invariants'
    WHERE has_function_privilege('anon', p.oid, 'EXECUTE') AND p.prosecdef
$$, 'anon cannot execute a SECURITY DEFINER function of the extension');

SELECT ok(
    EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_depend d ON d.objid = t.tgfoid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
            JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'invariants'
            WHERE NOT t.tgisinternal),
    'triggers (from the repeatable set, not the extension) use the extension''s functions');

SELECT throws_ok(
    'DROP EXTENSION invariants', '2BP01', NULL,
    'DROP EXTENSION without CASCADE refuses while triggers use its functions');

SELECT is_empty($$
    SELECT source FROM pg_extension_update_paths('invariants')
    WHERE target = (SELECT default_version FROM pg_available_extensions WHERE name = 'invariants')
      AND source <> target AND source NOT LIKE 'dev.%' AND path IS NULL
$$, 'every released version has an upgrade path to the default version');

-- The stored logic works through the extension: logging a chat counts it in usage_daily.
INSERT INTO auth.users (id, email) VALUES ('00000000-0000-4000-8000-000000000001', 'installcheck@example.com');
SELECT public.log_chat('00000000-0000-4000-8000-000000000001', 'q', 'r', '[]'::jsonb, 10, 20, 0.5, 'm');
SELECT public.log_chat('00000000-0000-4000-8000-000000000001', 'q2', 'r2', '[{"name": "search"}]'::jsonb, 1, 2, 0.25, 'm');
SELECT results_eq(
    $$ SELECT requests, input_tokens, output_tokens, cost FROM public.usage_daily
       WHERE user_id = '00000000-0000-4000-8000-000000000001' $$,
    $$ VALUES (2::bigint, 11::bigint, 22::bigint, 0.75::numeric(16, 6)) $$,
    'a trigger calling an extension function keeps usage_daily exact');

SELECT * FROM finish();
ROLLBACK;
