-- Extension invariants 0.1 → modules: the functions leave this extension
-- (they stay, with their OIDs, grants and the triggers using them) so that the module
-- extensions invariants_<module> adopt them. Generated; do not edit by hand.
-- By hand, in one transaction:
--   ALTER EXTENSION invariants UPDATE TO 'modules';
--   CREATE EXTENSION invariants_core; CREATE EXTENSION invariants_<module>; …  (dependencies first)
--   DROP EXTENSION invariants;
-- (or `invariants migrate --stored-logic extension`).
\echo Use "ALTER EXTENSION invariants UPDATE TO 'modules'" to load this file. \quit
DO $release$
DECLARE
    f pg_catalog.regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY(
        SELECT d.objid::pg_catalog.regprocedure FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
        WHERE e.extname = 'invariants' AND d.deptype = 'e' AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
        ORDER BY d.objid)
    LOOP
        EXECUTE pg_catalog.format('ALTER EXTENSION %I DROP FUNCTION %s', 'invariants', f);
    END LOOP;
END
$release$;
