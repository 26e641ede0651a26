-- trigger function: function invariants.count_project_tasks()
-- source: CounterCache(project_tasks)
CREATE OR REPLACE FUNCTION "invariants"."count_project_tasks"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    old_key bigint;
    new_key bigint;
    open_tasks_old bigint;
    open_tasks_new bigint;
    estimate_old numeric;
    estimate_new numeric;
BEGIN
    -- Counter cache project_tasks: "public"."tasks" → "public"."projects".
    IF TG_OP = 'INSERT' THEN
        IF NEW."state" IN ('open', 'reopened')
           OR NEW."hours" <> 0 THEN
            UPDATE "public"."projects" AS p SET
                "open_tasks" = p."open_tasks"
                    + CASE WHEN NEW."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END,
                "estimate" = p."estimate" + COALESCE(NEW."hours", 0)::numeric
            WHERE p."id" = NEW."project_id";
            IF NOT FOUND AND NEW."project_id" IS NOT NULL THEN
                RAISE EXCEPTION 'counter %: % row % does not exist',
                    'project_tasks', '"public"."projects"', NEW."project_id"
                    USING ERRCODE = 'IV404';
            END IF;
        END IF;
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD."state" IN ('open', 'reopened')
           OR OLD."hours" <> 0 THEN
            UPDATE "public"."projects" AS p SET
                "open_tasks" = p."open_tasks"
                    - CASE WHEN OLD."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END,
                "estimate" = p."estimate" - COALESCE(OLD."hours", 0)::numeric
            WHERE p."id" = OLD."project_id";
        END IF;
        RETURN NULL;
    END IF;
    -- An UPDATE of the child.
    old_key := OLD."project_id";
    open_tasks_old := CASE WHEN OLD."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END;
    estimate_old := COALESCE(OLD."hours", 0)::numeric;
    new_key := NEW."project_id";
    open_tasks_new := CASE WHEN NEW."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END;
    estimate_new := COALESCE(NEW."hours", 0)::numeric;

    IF old_key IS NOT DISTINCT FROM new_key THEN
        -- Same parent (or none): one UPDATE with the net change.
        IF new_key IS NOT NULL AND (open_tasks_new - open_tasks_old <> 0
            OR estimate_new - estimate_old <> 0) THEN
            UPDATE "public"."projects" AS p SET
                "open_tasks" = p."open_tasks" + (open_tasks_new - open_tasks_old),
                "estimate" = p."estimate" + (estimate_new - estimate_old)
            WHERE p."id" = new_key;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'counter %: % row % does not exist',
                    'project_tasks', '"public"."projects"', new_key
                    USING ERRCODE = 'IV404';
            END IF;
        END IF;
        RETURN NULL;
    END IF;

    -- A move between two parents: lock both in key order, so two opposite moves
    -- cannot deadlock.
    IF old_key IS NOT NULL AND new_key IS NOT NULL THEN
        PERFORM 1 FROM "public"."projects" AS p
        WHERE p."id" IN (old_key, new_key)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
    END IF;
    IF old_key IS NOT NULL AND (open_tasks_old <> 0
        OR estimate_old <> 0) THEN
        -- No row: the parent is being deleted (a cascade) — nothing to keep.
        UPDATE "public"."projects" AS p SET
            "open_tasks" = p."open_tasks" + (-open_tasks_old),
            "estimate" = p."estimate" + (-estimate_old)
        WHERE p."id" = old_key;
    END IF;
    IF new_key IS NOT NULL AND (open_tasks_new <> 0
        OR estimate_new <> 0) THEN
        UPDATE "public"."projects" AS p SET
            "open_tasks" = p."open_tasks" + open_tasks_new,
            "estimate" = p."estimate" + estimate_new
        WHERE p."id" = new_key;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'counter %: % row % does not exist',
                'project_tasks', '"public"."projects"', new_key
                USING ERRCODE = 'IV404';
        END IF;
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
    UPDATE "public"."projects" SET
        "open_tasks" = 0,
        "estimate" = 0
    WHERE "open_tasks" <> 0
       OR "estimate" <> 0;
    RETURN NULL;
END
$fn$;
REVOKE EXECUTE ON FUNCTION "invariants"."count_project_tasks_truncate"() FROM PUBLIC;
-- drop:
-- DROP FUNCTION IF EXISTS "invariants"."count_project_tasks_truncate"()

-- trigger: trigger public.tasks.invariants_count_project_tasks
-- source: CounterCache(project_tasks)
CREATE OR REPLACE TRIGGER "invariants_count_project_tasks"
    AFTER INSERT OR DELETE ON "public"."tasks"
    FOR EACH ROW
    EXECUTE FUNCTION "invariants"."count_project_tasks"();
-- drop:
-- DROP TRIGGER IF EXISTS "invariants_count_project_tasks" ON "public"."tasks"

-- trigger: trigger public.tasks.invariants_count_project_tasks_update
-- source: CounterCache(project_tasks)
CREATE OR REPLACE TRIGGER "invariants_count_project_tasks_update"
    AFTER UPDATE ON "public"."tasks"
    FOR EACH ROW
    WHEN (OLD."project_id" IS DISTINCT FROM NEW."project_id"
        OR OLD."state" IS DISTINCT FROM NEW."state"
        OR OLD."hours" IS DISTINCT FROM NEW."hours")
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
CREATE OR REPLACE FUNCTION "invariants"."repair_project_tasks"(
    "p_parent" bigint,
    "p_scope" uuid,
    "p_force" boolean,
    "p_after" bigint,
    "p_batch" integer
)
    RETURNS TABLE (checked bigint, fixed bigint, last_key bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    batch bigint[];
    -- Who repairs, once: not per audited value (auth.uid() reads the claims each call).
    repairer text := COALESCE(auth.uid()::text, SESSION_USER::text);
    every_parent boolean := p_parent IS NULL AND p_scope IS NULL AND p_after IS NULL AND p_batch IS NULL;
BEGIN
    -- Repair of counter cache project_tasks: "public"."projects" from "public"."tasks".
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
               p."open_tasks" AS open_tasks_old,
               COALESCE(counted.open_tasks, 0) AS open_tasks_new,
               p."estimate" AS estimate_old,
               COALESCE(counted.estimate, 0) AS estimate_new
        FROM "public"."projects" AS p
        LEFT JOIN (
            SELECT r."project_id" AS key,
                   count(*) FILTER (WHERE r."state" IN ('open', 'reopened')) AS open_tasks,
                   COALESCE(sum(r."hours"), 0) AS estimate
            FROM "public"."tasks" AS r
            WHERE r."project_id" IS NOT NULL
              AND (every_parent OR r."project_id" = ANY (batch))
            GROUP BY r."project_id"
        ) AS counted ON counted.key = p."id"
        WHERE p."id" = ANY (batch)
    ), rewritten AS (
        UPDATE "public"."projects" AS p SET
            "open_tasks" = t.open_tasks_new,
            "estimate" = t.estimate_new
        FROM target AS t
        WHERE p."id" = t.key
          AND (p_force
               OR t.open_tasks_old IS DISTINCT FROM t.open_tasks_new
               OR t.estimate_old IS DISTINCT FROM t.estimate_new)
        RETURNING p."id"
    ), audited AS (
        INSERT INTO invariants.counter_repairs (
            counter, parent_table, parent_key, scope, column_name, old_value, new_value, repaired_by)
        SELECT 'project_tasks', '"public"."projects"', t.key::text, t.scope_value::text,
               v.column_name, v.old_value, v.new_value, repairer
        FROM target AS t
        CROSS JOIN LATERAL (VALUES
            ('open_tasks', (t.open_tasks_old)::numeric, (t.open_tasks_new)::numeric),
            ('estimate', (t.estimate_old)::numeric, (t.estimate_new)::numeric)
        ) AS v (column_name, old_value, new_value)
        WHERE v.old_value IS DISTINCT FROM v.new_value
        RETURNING 1
    )
    SELECT pg_catalog.cardinality(batch)::bigint,
           (SELECT pg_catalog.count(*) FROM target AS t
            WHERE t.open_tasks_old IS DISTINCT FROM t.open_tasks_new
               OR t.estimate_old IS DISTINCT FROM t.estimate_new),
           batch[pg_catalog.cardinality(batch)]
    FROM (SELECT pg_catalog.count(*) FROM rewritten) AS r, (SELECT pg_catalog.count(*) FROM audited) AS x;
END
$fn$;
REVOKE EXECUTE ON FUNCTION "invariants"."repair_project_tasks"(bigint, uuid, boolean, bigint, integer)
    FROM PUBLIC, "anon", "authenticated", "service_role";
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
LEFT JOIN (
    SELECT r."project_id" AS key,
           count(*) FILTER (WHERE r."state" IN ('open', 'reopened')) AS open_tasks,
           COALESCE(sum(r."hours"), 0) AS estimate
    FROM "public"."tasks" AS r
    WHERE r."project_id" IS NOT NULL
    GROUP BY r."project_id"
) AS counted ON counted.key = p."id"
CROSS JOIN LATERAL (VALUES
    ('open_tasks', (p."open_tasks")::numeric, COALESCE(counted.open_tasks, 0)::numeric),
    ('estimate', (p."estimate")::numeric, COALESCE(counted.estimate, 0)::numeric)
) AS c (counter, stored, actual)
WHERE c.stored IS DISTINCT FROM c.actual;
REVOKE ALL ON TABLE "invariants"."project_tasks_drift" FROM PUBLIC, "anon", "authenticated", "service_role";
GRANT SELECT ON TABLE "invariants"."project_tasks_drift" TO "service_role";
-- drop:
-- DROP VIEW IF EXISTS "invariants"."project_tasks_drift"
