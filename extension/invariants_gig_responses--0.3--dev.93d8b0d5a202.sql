-- Extension invariants_gig_responses upgrade 0.3 → dev.93d8b0d5a202: 1 function(s) dropped,
-- 18 created or replaced, 0 unchanged.
-- Generated from the Swift declarations; do not edit by hand.
-- Apply: ALTER EXTENSION invariants_gig_responses UPDATE TO 'dev.93d8b0d5a202';
-- (`invariants migrate --stored-logic extension` first drops the triggers and other
-- objects that still use a dropped function, then updates, then re-creates them.)
\echo Use "CREATE EXTENSION invariants_gig_responses" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_gig_responses holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_gig_responses';
    END IF;
END
$guard$;

-- removed: function invariants.touch_public_responses_updated_at()
DROP FUNCTION IF EXISTS "invariants"."touch_public_responses_updated_at"();

-- invariants:object {"checksum":"sha256:4098e17220543592eb46742c6e545986e27806ebb4097013ab0f492de6a0515c","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"repair_gig_responses\"(uuid, uuid, boolean, uuid, integer)"],"key":"function invariants.repair_gig_responses(uuid, uuid, boolean, uuid, integer)","kind":"function","source":"CounterCache(gig_responses)"}
CREATE OR REPLACE FUNCTION "invariants"."repair_gig_responses"(
    "p_parent" uuid,
    "p_scope" uuid,
    "p_force" boolean,
    "p_after" uuid,
    "p_batch" integer
)
    RETURNS TABLE (checked bigint, fixed bigint, last_key uuid)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    batch uuid[];
    -- Who repairs, once: not per audited value (auth.uid() reads the claims each call).
    repairer text := COALESCE(auth.uid()::text, SESSION_USER::text);
    every_parent boolean := p_parent IS NULL AND p_scope IS NULL AND p_after IS NULL AND p_batch IS NULL;
BEGIN
    -- Repair of counter cache gig_responses: "public"."gigs" from "public"."responses".
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'counter repair needs READ COMMITTED, not %',
            pg_catalog.current_setting('transaction_isolation')
            USING ERRCODE = 'IV422';
    END IF;
    IF p_batch IS NOT NULL AND p_batch < 1 THEN
        RAISE EXCEPTION 'batch size must be positive, got %', p_batch
            USING ERRCODE = 'IV422', COLUMN = 'batch';
    END IF;

    -- 1. Lock the batch's parents in key order.
    SELECT pg_catalog.array_agg(s.key ORDER BY s.key) INTO batch
    FROM (
        SELECT p."id" AS key FROM "public"."gigs" AS p
        WHERE (p_parent IS NULL OR p."id" = p_parent)
          AND (p_scope IS NULL OR p."workspace_id" = p_scope)
          AND (p_after IS NULL OR p."id" > p_after)
        ORDER BY p."id"
        LIMIT p_batch
        FOR NO KEY UPDATE
    ) AS s;
    IF batch IS NULL THEN
        RETURN QUERY SELECT 0::bigint, 0::bigint, NULL::uuid;
        RETURN;
    END IF;

    -- 2. A new statement (a new snapshot): count, rewrite what differs (or all, when
    --    forced), audit each changed value.
    RETURN QUERY
    WITH target AS (
        SELECT p."id" AS key, p."workspace_id" AS scope_value,
               p."responses" AS responses_old,
               COALESCE(counted.responses, 0) AS responses_new,
               p."new_responses" AS new_responses_old,
               COALESCE(counted.new_responses, 0) AS new_responses_new
        FROM "public"."gigs" AS p
        LEFT JOIN (
            SELECT r."entity_id" AS key,
                   count(*) AS responses,
                   count(*) FILTER (WHERE r."status" = 'NEW') AS new_responses
            FROM "public"."responses" AS r
            WHERE r."entity_type" = 'gig'
              AND (every_parent OR r."entity_id" = ANY (batch))
            GROUP BY r."entity_id"
        ) AS counted ON counted.key = p."id"
        WHERE p."id" = ANY (batch)
    ), rewritten AS (
        UPDATE "public"."gigs" AS p SET
            "responses" = t.responses_new,
            "new_responses" = t.new_responses_new
        FROM target AS t
        WHERE p."id" = t.key
          AND (p_force
               OR t.responses_old IS DISTINCT FROM t.responses_new
               OR t.new_responses_old IS DISTINCT FROM t.new_responses_new)
        RETURNING p."id"
    ), audited AS (
        INSERT INTO invariants.counter_repairs (
            counter, parent_table, parent_key, scope, column_name, old_value, new_value, repaired_by)
        SELECT 'gig_responses', '"public"."gigs"', t.key::text, t.scope_value::text,
               v.column_name, v.old_value, v.new_value, repairer
        FROM target AS t
        CROSS JOIN LATERAL (VALUES
            ('responses', (t.responses_old)::numeric, (t.responses_new)::numeric),
            ('new_responses', (t.new_responses_old)::numeric, (t.new_responses_new)::numeric)
        ) AS v (column_name, old_value, new_value)
        WHERE v.old_value IS DISTINCT FROM v.new_value
        RETURNING 1
    )
    SELECT pg_catalog.cardinality(batch)::bigint,
           (SELECT pg_catalog.count(*) FROM target AS t
            WHERE t.responses_old IS DISTINCT FROM t.responses_new
               OR t.new_responses_old IS DISTINCT FROM t.new_responses_new),
           batch[pg_catalog.cardinality(batch)]
    FROM (SELECT pg_catalog.count(*) FROM rewritten) AS r, (SELECT pg_catalog.count(*) FROM audited) AS x;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."repair_gig_responses"(uuid, uuid, boolean, uuid, integer)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants"."repair_gig_responses"(uuid, uuid, boolean, uuid, integer) TO "service_role";

-- invariants:object {"checksum":"sha256:d9c665772d041245fdcb492a30f91e053b9d5918a64d486ef9bd4477cb5440a7","drop":["DROP FUNCTION IF EXISTS \"public\".\"delete_response\"(uuid, uuid)"],"key":"function public.delete_response(uuid, uuid)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."delete_response"("p_response_id" uuid, "p_workspace_id" uuid)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    IF p_response_id IS NULL THEN
        RAISE EXCEPTION 'response_id is required' USING ERRCODE = 'IV422', COLUMN = 'response_id';
    END IF;
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF NOT pg_catalog.pg_has_role('service_role', 'USAGE') AND NOT EXISTS (
        SELECT 1 FROM public.workspace_members AS m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = auth.uid()
    ) THEN
        RAISE EXCEPTION 'not a member of workspace %', p_workspace_id
            USING ERRCODE = 'IV403', COLUMN = 'workspace_id';
    END IF;
    DELETE FROM public.responses AS r
    WHERE r.id = p_response_id AND r.workspace_id = p_workspace_id;
    IF NOT FOUND THEN
        -- Same answer for another workspace's response and a missing one.
        RAISE EXCEPTION 'response % not found in workspace %', p_response_id, p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'response_id';
    END IF;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."delete_response"(uuid, uuid) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."delete_response"(uuid, uuid) TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:dcaf9103677953ec9f8d6e6518ab68973429796bae1e772f5d5ea0cee337d0dd","drop":["DROP FUNCTION IF EXISTS \"public\".\"gig_response_counts\"(uuid, uuid)"],"key":"function public.gig_response_counts(uuid, uuid)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."gig_response_counts"("p_gig_id" uuid, "p_workspace_id" uuid)
    RETURNS TABLE (total bigint, "new" bigint, gig_responses bigint, gig_new_responses bigint, is_synced boolean)
    LANGUAGE plpgsql
    STABLE
    SET search_path = ''
AS $fn$
BEGIN
    IF p_gig_id IS NULL THEN
        RAISE EXCEPTION 'gig_id is required' USING ERRCODE = 'IV422', COLUMN = 'gig_id';
    END IF;
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF NOT pg_catalog.pg_has_role('service_role', 'USAGE') AND NOT EXISTS (
        SELECT 1 FROM public.workspace_members AS m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = auth.uid()
    ) THEN
        RAISE EXCEPTION 'not a member of workspace %', p_workspace_id
            USING ERRCODE = 'IV403', COLUMN = 'workspace_id';
    END IF;
    -- One statement, one snapshot: a writer's response and its counter change are
    -- seen together or not at all. The casts: an adopted table keeps the app's
    -- integer counters (widening them would rewrite it).
    RETURN QUERY
    SELECT a.total, a.new_total, g.responses::bigint, g.new_responses::bigint,
           a.total = g.responses AND a.new_total = g.new_responses
    FROM public.gigs AS g
    CROSS JOIN LATERAL (
        SELECT pg_catalog.count(*) AS total,
               pg_catalog.count(*) FILTER (WHERE r.status = 'NEW') AS new_total
        FROM public.responses AS r
        WHERE r.entity_type = 'gig' AND r.entity_id = g.id
    ) AS a
    WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'gig_id';
    END IF;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."gig_response_counts"(uuid, uuid)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."gig_response_counts"(uuid, uuid) TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:b1ce6cbf08a4e997800fd5c2bd376f66588363a12e7408de58c156c76f897735","drop":["DROP FUNCTION IF EXISTS \"public\".\"sync_all_response_counts\"(boolean)"],"key":"function public.sync_all_response_counts(boolean)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."sync_all_response_counts"("p_force" boolean)
    RETURNS TABLE (checked bigint, fixed bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    RETURN QUERY
    SELECT r.checked, r.fixed
    FROM invariants.repair_gig_responses(NULL, NULL, COALESCE(p_force, false), NULL, NULL) AS r;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."sync_all_response_counts"(boolean)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."sync_all_response_counts"(boolean) TO "service_role";

-- invariants:object {"checksum":"sha256:60a954c0f89a8f45859a7ed6f73e7d95b365b3f41ce606f8a842ef4e7e64cee4","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"sync_gig_response_counts\"(uuid, uuid, boolean)"],"key":"function invariants_private.sync_gig_response_counts(uuid, uuid, boolean)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "invariants_private"."sync_gig_response_counts"(
    "p_gig_id" uuid,
    "p_workspace_id" uuid,
    "p_force" boolean
)
    RETURNS TABLE (checked bigint, fixed bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    IF p_gig_id IS NULL THEN
        RAISE EXCEPTION 'gig_id is required' USING ERRCODE = 'IV422', COLUMN = 'gig_id';
    END IF;
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM public.workspace_members AS m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = auth.uid()
    ) THEN
        RAISE EXCEPTION 'not a member of workspace %', p_workspace_id
            USING ERRCODE = 'IV403', COLUMN = 'workspace_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.gigs AS g WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id) THEN
        RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'gig_id';
    END IF;
    RETURN QUERY
    SELECT r.checked, r.fixed
    FROM invariants.repair_gig_responses(p_gig_id, p_workspace_id, COALESCE(p_force, false), NULL, NULL) AS r;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants_private"."sync_gig_response_counts"(uuid, uuid, boolean)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."sync_gig_response_counts"(uuid, uuid, boolean)
    TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:df76e42b98d1260749be3227fb800a32e856e03a4373f7268501b8d693d25688","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"sync_gig_response_counts_service\"(uuid, uuid, boolean)"],"key":"function invariants_private.sync_gig_response_counts_service(uuid, uuid, boolean)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "invariants_private"."sync_gig_response_counts_service"(
    "p_gig_id" uuid,
    "p_workspace_id" uuid,
    "p_force" boolean
)
    RETURNS TABLE (checked bigint, fixed bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    IF p_gig_id IS NULL THEN
        RAISE EXCEPTION 'gig_id is required' USING ERRCODE = 'IV422', COLUMN = 'gig_id';
    END IF;
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.gigs AS g WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id) THEN
        RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'gig_id';
    END IF;
    RETURN QUERY
    SELECT r.checked, r.fixed
    FROM invariants.repair_gig_responses(p_gig_id, p_workspace_id, COALESCE(p_force, false), NULL, NULL) AS r;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants_private"."sync_gig_response_counts_service"(uuid, uuid, boolean)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."sync_gig_response_counts_service"(uuid, uuid, boolean)
    TO "service_role";

-- invariants:object {"checksum":"sha256:5ea220f599d8f2fa657fdafdb53c6076de964be730267960fef849ba01b9627a","drop":["DROP FUNCTION IF EXISTS \"public\".\"sync_gig_response_counts\"(uuid, uuid, boolean)"],"key":"function public.sync_gig_response_counts(uuid, uuid, boolean)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."sync_gig_response_counts"(
    "p_gig_id" uuid,
    "p_workspace_id" uuid,
    "p_force" boolean
)
    RETURNS TABLE (checked bigint, fixed bigint)
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- The backend's path is chosen by a grant (EXECUTE on the service helper), never by claims.
    IF pg_catalog.has_function_privilege(
        'invariants_private.sync_gig_response_counts_service(uuid, uuid, boolean)', 'EXECUTE'
    ) THEN
        RETURN QUERY SELECT * FROM "invariants_private"."sync_gig_response_counts_service"(
            "p_gig_id",
            "p_workspace_id",
            "p_force"
        );
    ELSE
        RETURN QUERY SELECT * FROM "invariants_private"."sync_gig_response_counts"(
            "p_gig_id",
            "p_workspace_id",
            "p_force"
        );
    END IF;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."sync_gig_response_counts"(uuid, uuid, boolean)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."sync_gig_response_counts"(uuid, uuid, boolean) TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:f30911a1870d07faad4670e63904115e1c4a888aa69ac0439aaeaaddc715bac7","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"sync_workspace_response_counts\"(uuid, boolean)"],"key":"function invariants_private.sync_workspace_response_counts(uuid, boolean)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "invariants_private"."sync_workspace_response_counts"(
    "p_workspace_id" uuid,
    "p_force" boolean
)
    RETURNS TABLE (checked bigint, fixed bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM public.workspace_members AS m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = auth.uid()
    ) THEN
        RAISE EXCEPTION 'not a member of workspace %', p_workspace_id
            USING ERRCODE = 'IV403', COLUMN = 'workspace_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.workspaces AS w WHERE w.id = p_workspace_id) THEN
        RAISE EXCEPTION 'workspace % not found', p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'workspace_id';
    END IF;
    RETURN QUERY
    SELECT r.checked, r.fixed
    FROM invariants.repair_gig_responses(NULL, p_workspace_id, COALESCE(p_force, false), NULL, NULL) AS r;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants_private"."sync_workspace_response_counts"(uuid, boolean)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."sync_workspace_response_counts"(uuid, boolean)
    TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:fa5057c431a419cfc5ddc0677f430ddada6eb48f9c224864e5920d7f9a1ec6ce","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"sync_workspace_response_counts_service\"(uuid, boolean)"],"key":"function invariants_private.sync_workspace_response_counts_service(uuid, boolean)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "invariants_private"."sync_workspace_response_counts_service"(
    "p_workspace_id" uuid,
    "p_force" boolean
)
    RETURNS TABLE (checked bigint, fixed bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.workspaces AS w WHERE w.id = p_workspace_id) THEN
        RAISE EXCEPTION 'workspace % not found', p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'workspace_id';
    END IF;
    RETURN QUERY
    SELECT r.checked, r.fixed
    FROM invariants.repair_gig_responses(NULL, p_workspace_id, COALESCE(p_force, false), NULL, NULL) AS r;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants_private"."sync_workspace_response_counts_service"(uuid, boolean)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."sync_workspace_response_counts_service"(uuid, boolean)
    TO "service_role";

-- invariants:object {"checksum":"sha256:e46e200bb6254f5a1d4391961f104a2b3e6973c77d52dfed036ed6427e2741d1","drop":["DROP FUNCTION IF EXISTS \"public\".\"sync_workspace_response_counts\"(uuid, boolean)"],"key":"function public.sync_workspace_response_counts(uuid, boolean)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."sync_workspace_response_counts"("p_workspace_id" uuid, "p_force" boolean)
    RETURNS TABLE (checked bigint, fixed bigint)
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- The backend's path is chosen by a grant (EXECUTE on the service helper), never by claims.
    IF pg_catalog.has_function_privilege(
        'invariants_private.sync_workspace_response_counts_service(uuid, boolean)', 'EXECUTE'
    ) THEN
        RETURN QUERY SELECT * FROM "invariants_private"."sync_workspace_response_counts_service"(
            "p_workspace_id",
            "p_force"
        );
    ELSE
        RETURN QUERY SELECT * FROM "invariants_private"."sync_workspace_response_counts"("p_workspace_id", "p_force");
    END IF;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."sync_workspace_response_counts"(uuid, boolean)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."sync_workspace_response_counts"(uuid, boolean) TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:18e801f775c41c5ad3f5bd0120a83027b8980742db8c3507819d9798c6ad639c","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"delete_gig\"(uuid, uuid)"],"key":"function invariants_private.delete_gig(uuid, uuid)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "invariants_private"."delete_gig"("p_gig_id" uuid, "p_workspace_id" uuid)
    RETURNS void
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    IF p_gig_id IS NULL THEN
        RAISE EXCEPTION 'gig_id is required' USING ERRCODE = 'IV422', COLUMN = 'gig_id';
    END IF;
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM public.workspace_members AS m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = auth.uid()
    ) THEN
        RAISE EXCEPTION 'not a member of workspace %', p_workspace_id
            USING ERRCODE = 'IV403', COLUMN = 'workspace_id';
    END IF;
    PERFORM 1 FROM public.responses AS r
    WHERE r.workspace_id = p_workspace_id AND r.gig_id = p_gig_id
    ORDER BY r.id
    FOR UPDATE;
    DELETE FROM public.gigs AS g WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'gig_id';
    END IF;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants_private"."delete_gig"(uuid, uuid)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."delete_gig"(uuid, uuid) TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:055549dbdaf6f75949408004d498d4aa2f7708b060b635796b63a144a26b4732","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"delete_gig_service\"(uuid, uuid)"],"key":"function invariants_private.delete_gig_service(uuid, uuid)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "invariants_private"."delete_gig_service"("p_gig_id" uuid, "p_workspace_id" uuid)
    RETURNS void
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    IF p_gig_id IS NULL THEN
        RAISE EXCEPTION 'gig_id is required' USING ERRCODE = 'IV422', COLUMN = 'gig_id';
    END IF;
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    PERFORM 1 FROM public.responses AS r
    WHERE r.workspace_id = p_workspace_id AND r.gig_id = p_gig_id
    ORDER BY r.id
    FOR UPDATE;
    DELETE FROM public.gigs AS g WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'gig_id';
    END IF;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants_private"."delete_gig_service"(uuid, uuid)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."delete_gig_service"(uuid, uuid) TO "service_role";

-- invariants:object {"checksum":"sha256:a9def74ed5be7d0c9d8e4ff5b81f0155fcc528c112e9bbfb73e48f14172442a6","drop":["DROP FUNCTION IF EXISTS \"public\".\"delete_gig\"(uuid, uuid)"],"key":"function public.delete_gig(uuid, uuid)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."delete_gig"("p_gig_id" uuid, "p_workspace_id" uuid)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- The backend's path is chosen by a grant (EXECUTE on the service helper), never by claims.
    IF pg_catalog.has_function_privilege('invariants_private.delete_gig_service(uuid, uuid)', 'EXECUTE') THEN
        PERFORM "invariants_private"."delete_gig_service"("p_gig_id", "p_workspace_id");
    ELSE
        PERFORM "invariants_private"."delete_gig"("p_gig_id", "p_workspace_id");
    END IF;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."delete_gig"(uuid, uuid) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."delete_gig"(uuid, uuid) TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:867f2bb67e0807478ef3a1ed4994f3bb1491713040d8d2d4e4654e2ba5986b81","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"create_workspace\"(text)"],"key":"function invariants_private.create_workspace(text)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "invariants_private"."create_workspace"("p_name" text)
    RETURNS uuid
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    new_id uuid;
BEGIN
    IF auth.uid() IS NULL THEN
        RAISE EXCEPTION 'only a signed-in user can create a workspace' USING ERRCODE = 'IV403';
    END IF;
    IF p_name IS NULL OR pg_catalog.char_length(pg_catalog.btrim(p_name)) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'name must be 1 to 200 characters' USING ERRCODE = 'IV422', COLUMN = 'name';
    END IF;
    INSERT INTO public.workspaces (name) VALUES (pg_catalog.btrim(p_name)) RETURNING id INTO new_id;
    INSERT INTO public.workspace_members (workspace_id, user_id, role) VALUES (new_id, auth.uid(), 'owner');
    RETURN new_id;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants_private"."create_workspace"(text)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."create_workspace"(text) TO "authenticated";

-- invariants:object {"checksum":"sha256:6966cf1a02e381d108724426143d2f8b0d811fa7b24111e5f279d2375fac5746","drop":["DROP FUNCTION IF EXISTS \"public\".\"create_workspace\"(text)"],"key":"function public.create_workspace(text)","kind":"function","source":"GigResponses.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."create_workspace"("p_name" text)
    RETURNS uuid
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    RETURN "invariants_private"."create_workspace"("p_name");
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."create_workspace"(text) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."create_workspace"(text) TO "authenticated";

-- invariants:object {"checksum":"sha256:964d85f47b682b95216679a4f3931b1134d43908b9ae2f6cad6c61f5f96b76ee","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"keep_public_responses_gig_id\"()"],"key":"function invariants.keep_public_responses_gig_id()","kind":"trigger function","source":"PolymorphicKey(table: public.responses, column: gig_id)"}
CREATE OR REPLACE FUNCTION "invariants"."keep_public_responses_gig_id"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant: gig_id is CASE WHEN "entity_type" = 'gig' THEN "entity_id" END, whatever the client sent.
    NEW."gig_id" := CASE WHEN NEW."entity_type" = 'gig' THEN NEW."entity_id" END;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."keep_public_responses_gig_id"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:0cc39a73559a818e1ce206e32a5acfc01bc620fb1f8a240aba47e1084a2fae14","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_gig_responses\"()"],"key":"function invariants.count_gig_responses()","kind":"trigger function","source":"CounterCache(gig_responses)"}
CREATE OR REPLACE FUNCTION "invariants"."count_gig_responses"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    only_row record;
    old_key uuid;
    new_key uuid;
    responses_old bigint;
    responses_new bigint;
    new_responses_old bigint;
    new_responses_new bigint;
    statement_rows bigint;
    parent_keys uuid[];
    responses_deltas bigint[];
    new_responses_deltas bigint[];
    updated_parents bigint;
    missing_key uuid;
BEGIN
    -- Counter cache gig_responses (statement strategy):
    -- "public"."responses" → "public"."gigs".

    -- A statement that wrote one row: the row's columns the counters read, into only_row
    -- (none found when it wrote several).
    IF TG_OP = 'INSERT' THEN
        SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS parent_key, r."status"
        INTO only_row
        FROM new_rows AS r
        WHERE NOT EXISTS (SELECT FROM new_rows OFFSET 1);
        IF FOUND THEN
            -- One inserted row (every single-row INSERT): one UPDATE of its parent.
            UPDATE "public"."gigs" AS p SET
                "responses" = p."responses" + 1::bigint,
                "new_responses" = p."new_responses"
                    + CASE WHEN only_row."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END
            WHERE p."id" = only_row.parent_key;
            IF NOT FOUND AND only_row.parent_key IS NOT NULL THEN
                RAISE EXCEPTION 'counter %: % row % does not exist',
                    'gig_responses', '"public"."gigs"', only_row.parent_key
                    USING ERRCODE = 'IV404';
            END IF;
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS parent_key, r."status"
        INTO only_row
        FROM old_rows AS r
        WHERE NOT EXISTS (SELECT FROM old_rows OFFSET 1);
        IF FOUND THEN
            UPDATE "public"."gigs" AS p SET
                "responses" = p."responses" - 1::bigint,
                "new_responses" = p."new_responses"
                    - CASE WHEN only_row."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END
            WHERE p."id" = only_row.parent_key;
            RETURN NULL;
        END IF;
    ELSE
        SELECT (SELECT count(*) FROM new_rows),
               CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END,
               1::bigint,
               CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END
        INTO statement_rows, new_key, responses_new, new_responses_new
        FROM new_rows AS r LIMIT 1;
        IF statement_rows = 1 THEN
            -- One updated row: a row trigger's work (a move locks both parents in key order).
            SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END,
                   1::bigint,
                   CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END
            INTO old_key, responses_old, new_responses_old
            FROM old_rows AS r;
            IF old_key IS NOT DISTINCT FROM new_key THEN
                -- Same parent (or none): one UPDATE with the net change.
                IF new_key IS NOT NULL AND (responses_new - responses_old <> 0
                    OR new_responses_new - new_responses_old <> 0) THEN
                    UPDATE "public"."gigs" AS p SET
                        "responses" = p."responses" + (responses_new - responses_old),
                        "new_responses" = p."new_responses" + (new_responses_new - new_responses_old)
                    WHERE p."id" = new_key;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'counter %: % row % does not exist',
                            'gig_responses', '"public"."gigs"', new_key
                            USING ERRCODE = 'IV404';
                    END IF;
                END IF;
                RETURN NULL;
            END IF;

            -- A move between two parents: lock both in key order, so two opposite moves
            -- cannot deadlock.
            IF old_key IS NOT NULL AND new_key IS NOT NULL THEN
                PERFORM 1 FROM "public"."gigs" AS p
                WHERE p."id" IN (old_key, new_key)
                ORDER BY p."id"
                FOR NO KEY UPDATE;
            END IF;
            IF old_key IS NOT NULL AND (responses_old <> 0
                OR new_responses_old <> 0) THEN
                -- No row: the parent is being deleted (a cascade) — nothing to keep.
                UPDATE "public"."gigs" AS p SET
                    "responses" = p."responses" + (-responses_old),
                    "new_responses" = p."new_responses" + (-new_responses_old)
                WHERE p."id" = old_key;
            END IF;
            IF new_key IS NOT NULL AND (responses_new <> 0
                OR new_responses_new <> 0) THEN
                UPDATE "public"."gigs" AS p SET
                    "responses" = p."responses" + responses_new,
                    "new_responses" = p."new_responses" + new_responses_new
                WHERE p."id" = new_key;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'counter %: % row % does not exist',
                        'gig_responses', '"public"."gigs"', new_key
                        USING ERRCODE = 'IV404';
                END IF;
            END IF;
            RETURN NULL;
        END IF;
        IF statement_rows IS NULL THEN
            RETURN NULL;  -- no row
        END IF;
    END IF;

    -- Several child rows: grouped per parent.
    IF TG_OP = 'INSERT' THEN
        WITH changes AS (
            SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS parent_key,
                   1::bigint AS responses,
                   CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS new_responses
            FROM new_rows AS r
        ), deltas AS (
            SELECT c.parent_key,
                   sum(c.responses)::bigint AS responses,
                   sum(c.new_responses)::bigint AS new_responses
            FROM changes AS c
            WHERE c.parent_key IS NOT NULL
            GROUP BY c.parent_key
            HAVING sum(c.responses) <> 0
                OR sum(c.new_responses) <> 0
        )
        SELECT array_agg(d.parent_key),
               array_agg(d.responses),
               array_agg(d.new_responses)
        INTO parent_keys, responses_deltas, new_responses_deltas
        FROM deltas AS d;
    ELSIF TG_OP = 'DELETE' THEN
        WITH changes AS (
            SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS parent_key,
                   -1::bigint AS responses,
                   -CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS new_responses
            FROM old_rows AS r
        ), deltas AS (
            SELECT c.parent_key,
                   sum(c.responses)::bigint AS responses,
                   sum(c.new_responses)::bigint AS new_responses
            FROM changes AS c
            WHERE c.parent_key IS NOT NULL
            GROUP BY c.parent_key
            HAVING sum(c.responses) <> 0
                OR sum(c.new_responses) <> 0
        )
        SELECT array_agg(d.parent_key),
               array_agg(d.responses),
               array_agg(d.new_responses)
        INTO parent_keys, responses_deltas, new_responses_deltas
        FROM deltas AS d;
    ELSE
        WITH changes AS (
            SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS parent_key,
                   1::bigint AS responses,
                   CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS new_responses
            FROM new_rows AS r
            UNION ALL
            SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS parent_key,
                   -1::bigint AS responses,
                   -CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS new_responses
            FROM old_rows AS r
        ), deltas AS (
            SELECT c.parent_key,
                   sum(c.responses)::bigint AS responses,
                   sum(c.new_responses)::bigint AS new_responses
            FROM changes AS c
            WHERE c.parent_key IS NOT NULL
            GROUP BY c.parent_key
            HAVING sum(c.responses) <> 0
                OR sum(c.new_responses) <> 0
        )
        SELECT array_agg(d.parent_key),
               array_agg(d.responses),
               array_agg(d.new_responses)
        INTO parent_keys, responses_deltas, new_responses_deltas
        FROM deltas AS d;
    END IF;
    IF parent_keys IS NULL THEN
        RETURN NULL;  -- no counter changes
    END IF;
    IF cardinality(parent_keys) > 1 THEN
        -- Several parents: lock them in key order before changing any.
        PERFORM 1 FROM "public"."gigs" AS p
        WHERE p."id" = ANY (parent_keys)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
    END IF;
    UPDATE "public"."gigs" AS p SET
        "responses" = p."responses" + d.responses,
        "new_responses" = p."new_responses" + d.new_responses
    FROM unnest(parent_keys, responses_deltas, new_responses_deltas)
        AS d(parent_key, responses, new_responses)
    WHERE p."id" = d.parent_key;
    GET DIAGNOSTICS updated_parents = ROW_COUNT;
    -- Fewer rows than parents: one is gone. A parent being deleted (a cascade) has nothing
    -- to keep; one that a new child row names is an error.
    IF updated_parents < cardinality(parent_keys) AND TG_OP <> 'DELETE' THEN
        SELECT k.parent_key INTO missing_key
        FROM new_rows AS r
        CROSS JOIN LATERAL (SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS parent_key) AS k
        WHERE k.parent_key IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM "public"."gigs" AS x WHERE x."id" = k.parent_key)
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'counter %: % row % does not exist',
                'gig_responses', '"public"."gigs"', missing_key
                USING ERRCODE = 'IV404';
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_gig_responses"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:d2ce28087ba9397905148640e518bd49a17532226027f01a8d505c805031cb9d","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_gig_responses_truncate\"()"],"key":"function invariants.count_gig_responses_truncate()","kind":"trigger function","source":"CounterCache(gig_responses)"}
CREATE OR REPLACE FUNCTION "invariants"."count_gig_responses_truncate"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    -- Counter cache gig_responses: "public"."responses" was truncated, so every count is zero.
    UPDATE "public"."gigs" SET
        "responses" = 0,
        "new_responses" = 0
    WHERE "responses" <> 0
       OR "new_responses" <> 0;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_gig_responses_truncate"() FROM PUBLIC;

