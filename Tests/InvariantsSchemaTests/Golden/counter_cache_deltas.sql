CREATE TABLE "invariants"."counter_deltas_project_tasks" (
    "parent_key" bigint NOT NULL,
    "d0" bigint NOT NULL,
    "d1" numeric NOT NULL
);

COMMENT ON TABLE "invariants"."counter_deltas_project_tasks" IS 'Pending deltas of counter project_tasks, folded into projects by fold_project_tasks().';

COMMENT ON COLUMN "invariants"."counter_deltas_project_tasks"."d0" IS 'Pending change of projects.open_tasks.';

COMMENT ON COLUMN "invariants"."counter_deltas_project_tasks"."d1" IS 'Pending change of projects.estimate.';

CREATE INDEX "counter_deltas_project_tasks_parent_key_idx"
    ON "invariants"."counter_deltas_project_tasks" USING btree ("parent_key");
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
    open_tasks_old bigint := 0::bigint;
    open_tasks_new bigint := 0::bigint;
    estimate_old numeric := 0::numeric;
    estimate_new numeric := 0::numeric;
BEGIN
    -- Counter cache project_tasks (delta strategy): writers append to "invariants"."counter_deltas_project_tasks"
    -- and never lock the parent row; "invariants"."fold_project_tasks"() folds the deltas in.
    IF TG_OP = 'INSERT' THEN
        -- An insert (the hot path): one delta row straight from NEW.
        IF (NEW."project_id") IS NOT NULL
           AND (CASE WHEN NEW."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END <> 0
            OR COALESCE(NEW."hours", 0)::numeric <> 0) THEN
            INSERT INTO "invariants"."counter_deltas_project_tasks" (parent_key, d0, d1)
            VALUES (NEW."project_id",
                    CASE WHEN NEW."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END,
                    COALESCE(NEW."hours", 0)::numeric);
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_key := OLD."project_id";
        open_tasks_old := CASE WHEN OLD."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END;
        estimate_old := COALESCE(OLD."hours", 0)::numeric;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_key := NEW."project_id";
        open_tasks_new := CASE WHEN NEW."state" IN ('open', 'reopened') THEN 1::bigint ELSE 0::bigint END;
        estimate_new := COALESCE(NEW."hours", 0)::numeric;
    END IF;
    IF old_key IS NOT DISTINCT FROM new_key THEN
        IF new_key IS NOT NULL AND (open_tasks_new - open_tasks_old <> 0
            OR estimate_new - estimate_old <> 0) THEN
            INSERT INTO "invariants"."counter_deltas_project_tasks" (parent_key, d0, d1)
            VALUES (new_key, open_tasks_new - open_tasks_old, estimate_new - estimate_old);
        END IF;
        RETURN NULL;
    END IF;
    IF old_key IS NOT NULL AND (open_tasks_old <> 0
        OR estimate_old <> 0) THEN
        INSERT INTO "invariants"."counter_deltas_project_tasks" (parent_key, d0, d1)
        VALUES (old_key, -open_tasks_old, -estimate_old);
    END IF;
    IF new_key IS NOT NULL AND (open_tasks_new <> 0
        OR estimate_new <> 0) THEN
        INSERT INTO "invariants"."counter_deltas_project_tasks" (parent_key, d0, d1)
        VALUES (new_key, open_tasks_new, estimate_new);
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
    DELETE FROM "invariants"."counter_deltas_project_tasks";
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
    -- One fold or repair at a time for a delta counter.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('invariants.counter.project_tasks'));

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
               COALESCE(counted.open_tasks, 0) - COALESCE(pending.open_tasks, 0) AS open_tasks_new,
               p."estimate" AS estimate_old,
               COALESCE(counted.estimate, 0) - COALESCE(pending.estimate, 0) AS estimate_new,
               pending.open_tasks AS open_tasks_pending, pending.estimate AS estimate_pending
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
        LEFT JOIN (
            SELECT d.parent_key AS key,
                   sum(d.d0)::bigint AS open_tasks,
                   sum(d.d1)::numeric AS estimate
            FROM "invariants"."counter_deltas_project_tasks" AS d
            WHERE d.parent_key = ANY (batch)
            GROUP BY d.parent_key
        ) AS pending ON pending.key = p."id"
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
            ('open_tasks',
             (t.open_tasks_old + COALESCE(t.open_tasks_pending, 0))::numeric,
             (t.open_tasks_new + COALESCE(t.open_tasks_pending, 0))::numeric),
            ('estimate',
             (t.estimate_old + COALESCE(t.estimate_pending, 0))::numeric,
             (t.estimate_new + COALESCE(t.estimate_pending, 0))::numeric)
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

-- function: function invariants.fold_project_tasks()
-- source: CounterCache(project_tasks)
CREATE OR REPLACE FUNCTION "invariants"."fold_project_tasks"()
    RETURNS bigint
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    parents bigint[];
    folded bigint;
BEGIN
    -- Fold of counter cache project_tasks: "invariants"."counter_deltas_project_tasks" → "public"."projects".
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('invariants.counter.project_tasks')) THEN
        RETURN 0;  -- another fold or repair is running
    END IF;
    SELECT pg_catalog.array_agg(s.key ORDER BY s.key) INTO parents
    FROM (
        SELECT p."id" AS key FROM "public"."projects" AS p
        WHERE p."id" IN (SELECT d.parent_key FROM "invariants"."counter_deltas_project_tasks" AS d)
        ORDER BY p."id"
        FOR NO KEY UPDATE
    ) AS s;
    -- Deltas of parents that no longer exist (deleted with their children) go too.
    WITH moved AS (
        DELETE FROM "invariants"."counter_deltas_project_tasks" AS d
        WHERE d.parent_key = ANY (parents)
           OR NOT EXISTS (SELECT 1 FROM "public"."projects" AS p WHERE p."id" = d.parent_key)
        RETURNING d.*
    ), grouped AS (
        SELECT m.parent_key,
               pg_catalog.sum(m.d0)::bigint AS open_tasks,
               pg_catalog.sum(m.d1)::numeric AS estimate,
               pg_catalog.count(*) AS folded_rows
        FROM moved AS m
        GROUP BY m.parent_key
    ), applied AS (
        UPDATE "public"."projects" AS p SET
            "open_tasks" = p."open_tasks" + g.open_tasks,
            "estimate" = p."estimate" + g.estimate
        FROM grouped AS g
        WHERE p."id" = g.parent_key AND p."id" = ANY (parents)
        RETURNING 1
    )
    SELECT COALESCE(pg_catalog.sum(g.folded_rows), 0)::bigint INTO folded
    FROM grouped AS g, (SELECT pg_catalog.count(*) FROM applied) AS a;
    RETURN folded;
END
$fn$;
REVOKE EXECUTE ON FUNCTION "invariants"."fold_project_tasks"() FROM PUBLIC, "anon", "authenticated", "service_role";
GRANT EXECUTE ON FUNCTION "invariants"."fold_project_tasks"() TO "service_role";
-- drop:
-- DROP FUNCTION IF EXISTS "invariants"."fold_project_tasks"()

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
LEFT JOIN (
    SELECT d.parent_key AS key,
           sum(d.d0)::bigint AS open_tasks,
           sum(d.d1)::numeric AS estimate
    FROM "invariants"."counter_deltas_project_tasks" AS d
    GROUP BY d.parent_key
) AS pending ON pending.key = p."id"
CROSS JOIN LATERAL (VALUES
    ('open_tasks',
     (p."open_tasks" + COALESCE(pending.open_tasks, 0))::numeric,
     COALESCE(counted.open_tasks, 0)::numeric),
    ('estimate',
     (p."estimate" + COALESCE(pending.estimate, 0))::numeric,
     COALESCE(counted.estimate, 0)::numeric)
) AS c (counter, stored, actual)
WHERE c.stored IS DISTINCT FROM c.actual;
REVOKE ALL ON TABLE "invariants"."project_tasks_drift" FROM PUBLIC, "anon", "authenticated", "service_role";
GRANT SELECT ON TABLE "invariants"."project_tasks_drift" TO "service_role";
-- drop:
-- DROP VIEW IF EXISTS "invariants"."project_tasks_drift"
