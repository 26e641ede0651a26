-- pgTAP tests of the invariants_<module> extensions (make installcheck). Written by hand; they
-- read the expectations from the database itself (the ledger, the catalogs), so they hold for
-- every version of the declarations and for any set of installed modules that includes
-- gig_responses (the full set, or a single-module database).
\set ON_ERROR_STOP on
BEGIN;
SELECT plan(12);

SELECT is_empty($$
    SELECT m.module FROM invariants.installed_modules m
    JOIN pg_available_extensions a ON a.name = 'invariants_' || m.module
    LEFT JOIN pg_extension e ON e.extname = a.name
    WHERE e.extversion IS DISTINCT FROM a.default_version
$$, 'every installed module with an extension has it at its default version');

SELECT is_empty($$
    SELECT extname FROM pg_extension WHERE extname = 'invariants'
        OR (extname LIKE 'invariants\_%' AND substr(extname, 12) NOT IN (SELECT module FROM invariants.installed_modules))
$$, 'no extension of a module the database does not hold, and not the single extension of releases 0.1/0.2');

SELECT set_eq($$
    SELECT substr(e.extname, 12), count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
    WHERE e.extname LIKE 'invariants\_%' AND d.deptype = 'e' AND d.classid = 'pg_proc'::regclass
    GROUP BY 1
$$, $$
    SELECT module, count(*) FROM invariants.repeatable_objects WHERE kind IN ('function', 'trigger function') GROUP BY 1
$$, 'every stored function of the ledger belongs to its module''s extension, and no other');

SELECT is_empty($$
    SELECT d.classid::regclass::text FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
    WHERE e.extname LIKE 'invariants\_%' AND d.deptype = 'e' AND d.classid <> 'pg_proc'::regclass
$$, 'the extensions own functions only: no table, view, trigger, policy, type or data');

SELECT is_empty($$
    SELECT e.extname FROM pg_extension e
    WHERE e.extname LIKE 'invariants\_%' AND e.extname <> 'invariants_core'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_extension'::regclass AND d.objid = e.oid
                      AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'invariants_core'))
$$, 'every module extension requires invariants_core');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname LIKE 'invariants\_%'
    WHERE p.prosecdef AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
$$, 'every SECURITY DEFINER function of the extensions pins its search_path');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
    JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname LIKE 'invariants\_%'
    WHERE has_function_privilege('anon', p.oid, 'EXECUTE') AND p.prosecdef
$$, 'anon cannot execute a SECURITY DEFINER function of the extensions');

SELECT ok(
    EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_depend d ON d.objid = t.tgfoid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
            JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'invariants_gig_responses'
            WHERE NOT t.tgisinternal),
    'triggers (from the repeatable set, not the extension) use the extensions'' functions');

SELECT throws_ok(
    'DROP EXTENSION invariants_gig_responses', '2BP01', NULL,
    'DROP EXTENSION without CASCADE refuses while triggers use its functions');

SELECT is_empty($$
    SELECT a.name || ' ' || u.source FROM pg_available_extensions a, pg_extension_update_paths(a.name) u
    WHERE a.name LIKE 'invariants\_%' AND u.target = a.default_version
      AND u.source <> u.target AND u.source NOT LIKE 'dev.%' AND u.path IS NULL
$$, 'every released version of a module extension has an upgrade path to its default version');

SELECT is_empty($$
    SELECT source FROM pg_extension_update_paths('invariants')
    WHERE target = 'modules' AND source <> 'modules' AND source NOT LIKE 'dev.%' AND path IS NULL
$$, 'every released version of the single extension invariants (0.1/0.2) can move off it');

-- The stored logic works through the extension: responses are counted on their gig.
INSERT INTO public.workspaces (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'w');
INSERT INTO public.gigs (id, workspace_id, title) VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000000a', 'g');
INSERT INTO public.responses (workspace_id, entity_type, entity_id, status, candidate_name)
SELECT '00000000-0000-0000-0000-00000000000a', 'gig', '00000000-0000-0000-0000-0000000000b1', s, 'c'
FROM unnest(ARRAY['NEW', 'VIEWED', 'NEW']) AS s;
SELECT results_eq(
    $$ SELECT responses, new_responses FROM public.gigs WHERE id = '00000000-0000-0000-0000-0000000000b1' $$,
    $$ VALUES (3::bigint, 2::bigint) $$,
    'a trigger calling an extension function keeps the gig''s response counters exact');

SELECT * FROM finish();
ROLLBACK;
