-- Extension invariants_generations upgrade 0.2 → 0.3: 0 function(s) dropped,
-- 0 created or replaced, 5 unchanged.
-- Generated from the Swift declarations; do not edit by hand.
-- Apply: ALTER EXTENSION invariants_generations UPDATE TO '0.3';
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

