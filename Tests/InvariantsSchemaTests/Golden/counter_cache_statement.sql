-- trigger function: function invariants.count_project_tasks()
-- source: CounterCache(project_tasks)
CREATE OR REPLACE FUNCTION "invariants"."count_project_tasks"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    only_row record;
    old_key bigint;
    new_key bigint;
    open_tasks_old bigint;
    open_tasks_new bigint;
    estimate_old numeric;
    estimate_new numeric;
    statement_rows bigint;
    parent_keys bigint[];
    open_tasks_deltas bigint[];
    estimate_deltas numeric[];
    updated_parents bigint;
    missing_key bigint;
BEGIN
    -- Counter cache project_tasks (statement strategy):
    -- "public"."tasks" → "public"."projects".

    -- A statement that wrote one row: the row's columns the counters read, into only_row
    -- (none found when it wrote several).
    IF TG_OP = 'INSERT' THEN
        SELECT r."project_id" AS parent_key, r."state", r."hours"
        INTO only_row
        FROM new_rows AS r
        WHERE NOT EXISTS (SELECT FROM new_rows OFFSET 1);
        IF FOUND THEN
            -- One inserted row (every single-row INSERT): one UPDATE of its parent.
            IF only_row."state" IN ('open', 'reopened')
               OR only_row."hours" <> 0 THEN
                UPDATE "public"."projects" AS p SET
                    "open_tasks" = p."open_tasks"
                        + CASE WHEN only_row."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END,
                    "estimate" = p."estimate" + COALESCE(only_row."hours", 0)::numeric
                WHERE p."id" = only_row.parent_key;
                IF NOT FOUND AND only_row.parent_key IS NOT NULL THEN
                    RAISE EXCEPTION 'counter %: % row % does not exist',
                        'project_tasks', '"public"."projects"', only_row.parent_key
                        USING ERRCODE = 'IV404';
                END IF;
            END IF;
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT r."project_id" AS parent_key, r."state", r."hours"
        INTO only_row
        FROM old_rows AS r
        WHERE NOT EXISTS (SELECT FROM old_rows OFFSET 1);
        IF FOUND THEN
            IF only_row."state" IN ('open', 'reopened')
               OR only_row."hours" <> 0 THEN
                UPDATE "public"."projects" AS p SET
                    "open_tasks" = p."open_tasks"
                        - CASE WHEN only_row."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END,
                    "estimate" = p."estimate" - COALESCE(only_row."hours", 0)::numeric
                WHERE p."id" = only_row.parent_key;
            END IF;
            RETURN NULL;
        END IF;
    ELSE
        SELECT (SELECT count(*) FROM new_rows),
               r."project_id",
               CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END,
               COALESCE(r."hours", 0)::numeric
        INTO statement_rows, new_key, open_tasks_new, estimate_new
        FROM new_rows AS r LIMIT 1;
        IF statement_rows = 1 THEN
            -- One updated row: a row trigger's work (a move locks both parents in key order).
            SELECT r."project_id",
                   CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END,
                   COALESCE(r."hours", 0)::numeric
            INTO old_key, open_tasks_old, estimate_old
            FROM old_rows AS r;
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
        END IF;
        IF statement_rows IS NULL THEN
            RETURN NULL;  -- no row
        END IF;
    END IF;

    -- Several child rows: grouped per parent.
    IF TG_OP = 'INSERT' THEN
        WITH changes AS (
            SELECT r."project_id" AS parent_key,
                   CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS open_tasks,
                   COALESCE(r."hours", 0)::numeric AS estimate
            FROM new_rows AS r
        ), deltas AS (
            SELECT c.parent_key,
                   sum(c.open_tasks)::bigint AS open_tasks,
                   sum(c.estimate)::numeric AS estimate
            FROM changes AS c
            WHERE c.parent_key IS NOT NULL
            GROUP BY c.parent_key
            HAVING sum(c.open_tasks) <> 0
                OR sum(c.estimate) <> 0
        )
        SELECT array_agg(d.parent_key),
               array_agg(d.open_tasks),
               array_agg(d.estimate)
        INTO parent_keys, open_tasks_deltas, estimate_deltas
        FROM deltas AS d;
    ELSIF TG_OP = 'DELETE' THEN
        WITH changes AS (
            SELECT r."project_id" AS parent_key,
                   -CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS open_tasks,
                   -COALESCE(r."hours", 0)::numeric AS estimate
            FROM old_rows AS r
        ), deltas AS (
            SELECT c.parent_key,
                   sum(c.open_tasks)::bigint AS open_tasks,
                   sum(c.estimate)::numeric AS estimate
            FROM changes AS c
            WHERE c.parent_key IS NOT NULL
            GROUP BY c.parent_key
            HAVING sum(c.open_tasks) <> 0
                OR sum(c.estimate) <> 0
        )
        SELECT array_agg(d.parent_key),
               array_agg(d.open_tasks),
               array_agg(d.estimate)
        INTO parent_keys, open_tasks_deltas, estimate_deltas
        FROM deltas AS d;
    ELSE
        WITH changes AS (
            SELECT r."project_id" AS parent_key,
                   CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS open_tasks,
                   COALESCE(r."hours", 0)::numeric AS estimate
            FROM new_rows AS r
            UNION ALL
            SELECT r."project_id" AS parent_key,
                   -CASE WHEN r."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END AS open_tasks,
                   -COALESCE(r."hours", 0)::numeric AS estimate
            FROM old_rows AS r
        ), deltas AS (
            SELECT c.parent_key,
                   sum(c.open_tasks)::bigint AS open_tasks,
                   sum(c.estimate)::numeric AS estimate
            FROM changes AS c
            WHERE c.parent_key IS NOT NULL
            GROUP BY c.parent_key
            HAVING sum(c.open_tasks) <> 0
                OR sum(c.estimate) <> 0
        )
        SELECT array_agg(d.parent_key),
               array_agg(d.open_tasks),
               array_agg(d.estimate)
        INTO parent_keys, open_tasks_deltas, estimate_deltas
        FROM deltas AS d;
    END IF;
    IF parent_keys IS NULL THEN
        RETURN NULL;  -- no counter changes
    END IF;
    IF cardinality(parent_keys) > 1 THEN
        -- Several parents: lock them in key order before changing any.
        PERFORM 1 FROM "public"."projects" AS p
        WHERE p."id" = ANY (parent_keys)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
    END IF;
    UPDATE "public"."projects" AS p SET
        "open_tasks" = p."open_tasks" + d.open_tasks,
        "estimate" = p."estimate" + d.estimate
    FROM unnest(parent_keys, open_tasks_deltas, estimate_deltas)
        AS d(parent_key, open_tasks, estimate)
    WHERE p."id" = d.parent_key;
    GET DIAGNOSTICS updated_parents = ROW_COUNT;
    -- Fewer rows than parents: one is gone. A parent being deleted (a cascade) has nothing
    -- to keep; one that a new child row names is an error.
    IF updated_parents < cardinality(parent_keys) AND TG_OP <> 'DELETE' THEN
        SELECT k.parent_key INTO missing_key
        FROM new_rows AS r
        CROSS JOIN LATERAL (SELECT r."project_id" AS parent_key) AS k
        WHERE k.parent_key IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM "public"."projects" AS x WHERE x."id" = k.parent_key)
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'counter %: % row % does not exist',
                'project_tasks', '"public"."projects"', missing_key
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
