-- trigger function: function invariants.count_project_tasks()
-- source: CounterCache(project_tasks)
CREATE OR REPLACE FUNCTION "invariants"."count_project_tasks"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    missing_key bigint;
BEGIN
    -- Counter cache project_tasks (statement strategy): "public"."tasks" → "public"."projects".
    IF TG_OP = 'INSERT' THEN
        -- Lock every parent this statement touches, in key order, before changing any:
        -- a grouped UPDATE alone locks in plan order and two bulk writers could deadlock.
        PERFORM 1 FROM "public"."projects" AS p
        WHERE p."id" IN (SELECT c.key FROM (SELECT r."project_id" AS key, CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS d0, COALESCE(r."hours", 0)::numeric AS d1, true AS from_new FROM new_rows AS r WHERE r."project_id" IS NOT NULL) AS c)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
        WITH deltas AS (
            SELECT c.key, sum(c.d0) AS d0, sum(c.d1) AS d1, bool_or(c.from_new) AS from_new
            FROM (SELECT r."project_id" AS key, CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS d0, COALESCE(r."hours", 0)::numeric AS d1, true AS from_new FROM new_rows AS r WHERE r."project_id" IS NOT NULL) AS c
            GROUP BY c.key
            HAVING sum(c.d0) <> 0 OR sum(c.d1) <> 0
        ), updated AS (
            UPDATE "public"."projects" AS p SET
                "open_tasks" = p."open_tasks" + d.d0,
                "estimate" = p."estimate" + d.d1
            FROM deltas AS d
            WHERE p."id" = d.key
        )
        -- A child pointing at a parent row that does not exist (asked of the parent
        -- table's key index: an anti-join against the UPDATE's output is quadratic).
        SELECT d.key INTO missing_key
        FROM deltas AS d
        WHERE d.from_new AND NOT EXISTS (SELECT 1 FROM "public"."projects" AS x WHERE x."id" = d.key)
        LIMIT 1;
    ELSIF TG_OP = 'DELETE' THEN
        -- A parent without a row is being deleted (a cascade): nothing to keep.
        -- Lock every parent this statement touches, in key order, before changing any:
        -- a grouped UPDATE alone locks in plan order and two bulk writers could deadlock.
        PERFORM 1 FROM "public"."projects" AS p
        WHERE p."id" IN (SELECT c.key FROM (SELECT r."project_id" AS key, -CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS d0, -COALESCE(r."hours", 0)::numeric AS d1, false AS from_new FROM old_rows AS r WHERE r."project_id" IS NOT NULL) AS c)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
        WITH deltas AS (
            SELECT c.key, sum(c.d0) AS d0, sum(c.d1) AS d1
            FROM (SELECT r."project_id" AS key, -CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS d0, -COALESCE(r."hours", 0)::numeric AS d1, false AS from_new FROM old_rows AS r WHERE r."project_id" IS NOT NULL) AS c
            GROUP BY c.key
            HAVING sum(c.d0) <> 0 OR sum(c.d1) <> 0
        )
        UPDATE "public"."projects" AS p SET
            "open_tasks" = p."open_tasks" + d.d0,
            "estimate" = p."estimate" + d.d1
        FROM deltas AS d
        WHERE p."id" = d.key;
    ELSE
        -- Lock every parent this statement touches, in key order, before changing any:
        -- a grouped UPDATE alone locks in plan order and two bulk writers could deadlock.
        PERFORM 1 FROM "public"."projects" AS p
        WHERE p."id" IN (SELECT c.key FROM (SELECT r."project_id" AS key, CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS d0, COALESCE(r."hours", 0)::numeric AS d1, true AS from_new FROM new_rows AS r WHERE r."project_id" IS NOT NULL UNION ALL SELECT r."project_id" AS key, -CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS d0, -COALESCE(r."hours", 0)::numeric AS d1, false AS from_new FROM old_rows AS r WHERE r."project_id" IS NOT NULL) AS c)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
        WITH deltas AS (
            SELECT c.key, sum(c.d0) AS d0, sum(c.d1) AS d1, bool_or(c.from_new) AS from_new
            FROM (SELECT r."project_id" AS key, CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS d0, COALESCE(r."hours", 0)::numeric AS d1, true AS from_new FROM new_rows AS r WHERE r."project_id" IS NOT NULL UNION ALL SELECT r."project_id" AS key, -CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS d0, -COALESCE(r."hours", 0)::numeric AS d1, false AS from_new FROM old_rows AS r WHERE r."project_id" IS NOT NULL) AS c
            GROUP BY c.key
            HAVING sum(c.d0) <> 0 OR sum(c.d1) <> 0
        ), updated AS (
            UPDATE "public"."projects" AS p SET
                "open_tasks" = p."open_tasks" + d.d0,
                "estimate" = p."estimate" + d.d1
            FROM deltas AS d
            WHERE p."id" = d.key
        )
        -- A child pointing at a parent row that does not exist (asked of the parent
        -- table's key index: an anti-join against the UPDATE's output is quadratic).
        SELECT d.key INTO missing_key
        FROM deltas AS d
        WHERE d.from_new AND NOT EXISTS (SELECT 1 FROM "public"."projects" AS x WHERE x."id" = d.key)
        LIMIT 1;
    END IF;
    IF missing_key IS NOT NULL THEN
        RAISE EXCEPTION 'counter %: % row % does not exist', 'project_tasks', '"public"."projects"', missing_key
            USING ERRCODE = 'IV404';
    END IF;
    RETURN NULL;
END
$fn$;
REVOKE EXECUTE ON FUNCTION "invariants"."count_project_tasks"() FROM PUBLIC;
-- drop:
-- DROP FUNCTION IF EXISTS "invariants"."count_project_tasks"()

-- trigger function: function invariants.count_project_tasks_truncate()
-- source: CounterCache(project_tasks)
CREATE OR REPLACE FUNCTION "invariants"."count_project_tasks_truncate"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    -- Counter cache project_tasks: "public"."tasks" was truncated, so every count is zero.
    UPDATE "public"."projects" SET "open_tasks" = 0, "estimate" = 0 WHERE "open_tasks" <> 0 OR "estimate" <> 0;
    RETURN NULL;
END
$fn$;
REVOKE EXECUTE ON FUNCTION "invariants"."count_project_tasks_truncate"() FROM PUBLIC;
-- drop:
-- DROP FUNCTION IF EXISTS "invariants"."count_project_tasks_truncate"()

-- trigger: trigger public.tasks.invariants_count_project_tasks_insert
-- source: CounterCache(project_tasks)
CREATE OR REPLACE TRIGGER "invariants_count_project_tasks_insert"
    AFTER INSERT ON "public"."tasks"
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION "invariants"."count_project_tasks"();
-- drop:
-- DROP TRIGGER IF EXISTS "invariants_count_project_tasks_insert" ON "public"."tasks"

-- trigger: trigger public.tasks.invariants_count_project_tasks_delete
-- source: CounterCache(project_tasks)
CREATE OR REPLACE TRIGGER "invariants_count_project_tasks_delete"
    AFTER DELETE ON "public"."tasks"
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION "invariants"."count_project_tasks"();
-- drop:
-- DROP TRIGGER IF EXISTS "invariants_count_project_tasks_delete" ON "public"."tasks"

-- trigger: trigger public.tasks.invariants_count_project_tasks_update
-- source: CounterCache(project_tasks)
CREATE OR REPLACE TRIGGER "invariants_count_project_tasks_update"
    AFTER UPDATE ON "public"."tasks"
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION "invariants"."count_project_tasks"();
-- drop:
-- DROP TRIGGER IF EXISTS "invariants_count_project_tasks_update" ON "public"."tasks"

-- trigger: trigger public.tasks.invariants_count_project_tasks_truncate
-- source: CounterCache(project_tasks)
CREATE OR REPLACE TRIGGER "invariants_count_project_tasks_truncate"
    AFTER TRUNCATE ON "public"."tasks"
    FOR EACH STATEMENT
    EXECUTE FUNCTION "invariants"."count_project_tasks_truncate"();
-- drop:
-- DROP TRIGGER IF EXISTS "invariants_count_project_tasks_truncate" ON "public"."tasks"

-- function: function invariants.repair_project_tasks(bigint, uuid, boolean, bigint, integer)
-- source: CounterCache(project_tasks)
CREATE OR REPLACE FUNCTION "invariants"."repair_project_tasks"("p_parent" bigint, "p_scope" uuid, "p_force" boolean, "p_after" bigint, "p_batch" integer)
    RETURNS TABLE (checked bigint, fixed bigint, last_key bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    batch bigint[];
BEGIN
    -- Repair of counter cache project_tasks: "public"."projects" from "public"."tasks".
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'counter repair needs READ COMMITTED, not %', pg_catalog.current_setting('transaction_isolation')
            USING ERRCODE = 'IV422';
    END IF;
    IF p_batch IS NOT NULL AND p_batch < 1 THEN
        RAISE EXCEPTION 'batch size must be positive, got %', p_batch
            USING ERRCODE = 'IV422', COLUMN = 'batch';
    END IF;

    -- 1. Lock the batch's parents in key order.
    SELECT pg_catalog.array_agg(s.key ORDER BY s.key) INTO batch
    FROM (
        SELECT p."id" AS key FROM "public"."projects" AS p
        WHERE (p_parent IS NULL OR p."id" = p_parent)
          AND (p_scope IS NULL OR p."workspace_id" = p_scope)
          AND (p_after IS NULL OR p."id" > p_after)
        ORDER BY p."id"
        LIMIT p_batch
        FOR NO KEY UPDATE
    ) AS s;
    IF batch IS NULL THEN
        RETURN QUERY SELECT 0::bigint, 0::bigint, NULL::bigint;
        RETURN;
    END IF;

    -- 2. A new statement (a new snapshot): count, rewrite what differs (or all, when
    --    forced), audit each changed value.
    RETURN QUERY
    WITH target AS (
        SELECT p."id" AS key, p."workspace_id" AS scope_value,
               p."open_tasks" AS old0, (COALESCE(a.a0, 0)) AS new0,
               p."estimate" AS old1, (COALESCE(a.a1, 0)) AS new1
        FROM "public"."projects" AS p
        LEFT JOIN (SELECT r."project_id" AS key, COALESCE(count(*) FILTER (WHERE r."state" IN ('open', 'reopened')), 0) AS a0, COALESCE(sum(r."hours"), 0) AS a1 FROM "public"."tasks" AS r WHERE r."project_id" IS NOT NULL AND r."project_id" = ANY (batch) GROUP BY r."project_id") AS a ON a.key = p."id"
        WHERE p."id" = ANY (batch)
    ), rewritten AS (
        UPDATE "public"."projects" AS p SET
            "open_tasks" = t.new0,
            "estimate" = t.new1
        FROM target AS t
        WHERE p."id" = t.key AND (p_force OR t.old0 IS DISTINCT FROM t.new0 OR t.old1 IS DISTINCT FROM t.new1)
        RETURNING p."id"
    ), audited AS (
        INSERT INTO invariants.counter_repairs (counter, parent_table, parent_key, scope, column_name, old_value, new_value, repaired_by)
        SELECT 'project_tasks', '"public"."projects"', t.key::text, t.scope_value::text, v.column_name, v.old_value, v.new_value,
               COALESCE(auth.uid()::text, SESSION_USER::text)
        FROM target AS t
        CROSS JOIN LATERAL (VALUES
                ('open_tasks', (t.old0)::numeric, (t.new0)::numeric),
                    ('estimate', (t.old1)::numeric, (t.new1)::numeric)
            ) AS v (column_name, old_value, new_value)
        WHERE v.old_value IS DISTINCT FROM v.new_value
        RETURNING 1
    )
    SELECT pg_catalog.cardinality(batch)::bigint,
           (SELECT pg_catalog.count(*) FROM target AS t WHERE t.old0 IS DISTINCT FROM t.new0 OR t.old1 IS DISTINCT FROM t.new1),
           batch[pg_catalog.cardinality(batch)]
    FROM (SELECT pg_catalog.count(*) FROM rewritten) AS r, (SELECT pg_catalog.count(*) FROM audited) AS x;
END
$fn$;
REVOKE EXECUTE ON FUNCTION "invariants"."repair_project_tasks"(bigint, uuid, boolean, bigint, integer) FROM PUBLIC, "anon", "authenticated", "service_role";
GRANT EXECUTE ON FUNCTION "invariants"."repair_project_tasks"(bigint, uuid, boolean, bigint, integer) TO "service_role";
-- drop:
-- DROP FUNCTION IF EXISTS "invariants"."repair_project_tasks"(bigint, uuid, boolean, bigint, integer)

-- view: view invariants.project_tasks_drift
-- source: CounterCache(project_tasks)
DROP VIEW IF EXISTS "invariants"."project_tasks_drift";
CREATE OR REPLACE VIEW "invariants"."project_tasks_drift"
    WITH (security_invoker = true) AS
SELECT p."id" AS parent_key, p."workspace_id" AS scope, c.counter, c.stored, c.actual
FROM "public"."projects" AS p
LEFT JOIN (SELECT r."project_id" AS key, COALESCE(count(*) FILTER (WHERE r."state" IN ('open', 'reopened')), 0) AS a0, COALESCE(sum(r."hours"), 0) AS a1 FROM "public"."tasks" AS r WHERE r."project_id" IS NOT NULL GROUP BY r."project_id") AS a ON a.key = p."id"
CROSS JOIN LATERAL (VALUES
        ('open_tasks', (p."open_tasks")::numeric, COALESCE(a.a0, 0)::numeric),
        ('estimate', (p."estimate")::numeric, COALESCE(a.a1, 0)::numeric)
    ) AS c (counter, stored, actual)
WHERE c.stored IS DISTINCT FROM c.actual;
REVOKE ALL ON TABLE "invariants"."project_tasks_drift" FROM PUBLIC, "anon", "authenticated", "service_role";
GRANT SELECT ON TABLE "invariants"."project_tasks_drift" TO "service_role";
-- drop:
-- DROP VIEW IF EXISTS "invariants"."project_tasks_drift"
