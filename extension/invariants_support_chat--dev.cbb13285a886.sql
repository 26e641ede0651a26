-- Extension invariants_support_chat, version dev.cbb13285a886: the stored functions (and their EXECUTE
-- grants) of the declared invariants. Tables, triggers, policies and views come
-- from the migrations and the repeatable set, never from the extension.
--
-- Generated from the Swift declarations; do not edit by hand. A released version's
-- script is frozen (never rendered again), like a released migration.
-- Install: make -C extension install; then, after the migrations,
--   CREATE EXTENSION invariants_support_chat VERSION 'dev.cbb13285a886';
-- (or `invariants migrate --stored-logic extension`, which also writes the ledger).
\echo Use "CREATE EXTENSION invariants_support_chat" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_support_chat holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_support_chat';
    END IF;
END
$guard$;

DO $adopt$
DECLARE
    sig text;
    f pg_catalog.regprocedure;
    holder name;
BEGIN
    FOREACH sig IN ARRAY ARRAY[
        '"invariants"."repair_chat_session_messages"(text, text, boolean, text, integer)',
        '"public"."apply_learning_record"(uuid, boolean)',
        '"invariants"."state_public_chat_sessions_status"()',
        '"invariants"."state_public_tool_executions_status"()',
        '"invariants"."count_chat_session_messages"()',
        '"invariants"."count_chat_session_messages_truncate"()',
        '"invariants"."chat_first_response_once"()',
        '"invariants"."state_public_tool_executions_approval_status"()'
    ]::text[] LOOP
        f := pg_catalog.to_regprocedure(sig);
        CONTINUE WHEN f IS NULL;
        SELECT e.extname INTO holder FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = f
          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e';
        IF holder IS NOT NULL THEN
            RAISE EXCEPTION 'function % belongs to extension %, not to invariants_support_chat', f, holder
                USING HINT = CASE WHEN holder = 'invariants' THEN 'ALTER EXTENSION invariants UPDATE TO ''modules'' first (invariants migrate --stored-logic extension does it)' ELSE 'a function belongs to one extension at a time' END;
        END IF;
        EXECUTE pg_catalog.format('ALTER EXTENSION %I ADD FUNCTION %s', 'invariants_support_chat', f);
    END LOOP;
END
$adopt$;

-- invariants:object {"checksum":"sha256:f0f188a692d55a57a60f23d2a0919a9d1682b2e9c741d2a88b491ca88ee2a916","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"repair_chat_session_messages\"(text, text, boolean, text, integer)"],"key":"function invariants.repair_chat_session_messages(text, text, boolean, text, integer)","kind":"function","source":"CounterCache(chat_session_messages)"}
CREATE OR REPLACE FUNCTION "invariants"."repair_chat_session_messages"(
    "p_parent" text,
    "p_scope" text,
    "p_force" boolean,
    "p_after" text,
    "p_batch" integer
)
    RETURNS TABLE (checked bigint, fixed bigint, last_key text)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    batch text[];
    -- Who repairs, once: not per audited value (auth.uid() reads the claims each call).
    repairer text := COALESCE(auth.uid()::text, SESSION_USER::text);
    every_parent boolean := p_parent IS NULL AND p_scope IS NULL AND p_after IS NULL AND p_batch IS NULL;
BEGIN
    -- Repair of counter cache chat_session_messages: "public"."chat_sessions" from "public"."chat_messages".
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
        SELECT p."session_id" AS key FROM "public"."chat_sessions" AS p
        WHERE (p_parent IS NULL OR p."session_id" = p_parent)
          AND p_scope IS NULL
          AND (p_after IS NULL OR p."session_id" > p_after)
        ORDER BY p."session_id"
        LIMIT p_batch
        FOR NO KEY UPDATE
    ) AS s;
    IF batch IS NULL THEN
        RETURN QUERY SELECT 0::bigint, 0::bigint, NULL::text;
        RETURN;
    END IF;

    -- 2. A new statement (a new snapshot): count, rewrite what differs (or all, when
    --    forced), audit each changed value.
    RETURN QUERY
    WITH target AS (
        SELECT p."session_id" AS key, NULL AS scope_value,
               p."total_messages" AS total_messages_old,
               COALESCE(counted.total_messages, 0) AS total_messages_new,
               p."ai_messages" AS ai_messages_old,
               COALESCE(counted.ai_messages, 0) AS ai_messages_new,
               p."human_messages" AS human_messages_old,
               COALESCE(counted.human_messages, 0) AS human_messages_new
        FROM "public"."chat_sessions" AS p
        LEFT JOIN (
            SELECT r."session_id" AS key,
                   count(*) AS total_messages,
                   count(*) FILTER (WHERE r."role" = 'assistant') AS ai_messages,
                   count(*) FILTER (WHERE r."role" = 'user') AS human_messages
            FROM "public"."chat_messages" AS r
            WHERE r."session_id" IS NOT NULL
              AND (every_parent OR r."session_id" = ANY (batch))
            GROUP BY r."session_id"
        ) AS counted ON counted.key = p."session_id"
        WHERE p."session_id" = ANY (batch)
    ), rewritten AS (
        UPDATE "public"."chat_sessions" AS p SET
            "total_messages" = t.total_messages_new,
            "ai_messages" = t.ai_messages_new,
            "human_messages" = t.human_messages_new
        FROM target AS t
        WHERE p."session_id" = t.key
          AND (p_force
               OR t.total_messages_old IS DISTINCT FROM t.total_messages_new
               OR t.ai_messages_old IS DISTINCT FROM t.ai_messages_new
               OR t.human_messages_old IS DISTINCT FROM t.human_messages_new)
        RETURNING p."session_id"
    ), audited AS (
        INSERT INTO invariants.counter_repairs (
            counter, parent_table, parent_key, scope, column_name, old_value, new_value, repaired_by)
        SELECT 'chat_session_messages', '"public"."chat_sessions"', t.key::text, NULL::text,
               v.column_name, v.old_value, v.new_value, repairer
        FROM target AS t
        CROSS JOIN LATERAL (VALUES
            ('total_messages', (t.total_messages_old)::numeric, (t.total_messages_new)::numeric),
            ('ai_messages', (t.ai_messages_old)::numeric, (t.ai_messages_new)::numeric),
            ('human_messages', (t.human_messages_old)::numeric, (t.human_messages_new)::numeric)
        ) AS v (column_name, old_value, new_value)
        WHERE v.old_value IS DISTINCT FROM v.new_value
        RETURNING 1
    )
    SELECT pg_catalog.cardinality(batch)::bigint,
           (SELECT pg_catalog.count(*) FROM target AS t
            WHERE t.total_messages_old IS DISTINCT FROM t.total_messages_new
               OR t.ai_messages_old IS DISTINCT FROM t.ai_messages_new
               OR t.human_messages_old IS DISTINCT FROM t.human_messages_new),
           batch[pg_catalog.cardinality(batch)]
    FROM (SELECT pg_catalog.count(*) FROM rewritten) AS r, (SELECT pg_catalog.count(*) FROM audited) AS x;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."repair_chat_session_messages"(text, text, boolean, text, integer)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants"."repair_chat_session_messages"(text, text, boolean, text, integer)
    TO "service_role";

-- invariants:object {"checksum":"sha256:cf6b0dd7e89569c0aa8101f7471aa012a5d2553afc389be1fcd8c769d40bd257","drop":["DROP FUNCTION IF EXISTS \"public\".\"apply_learning_record\"(uuid, boolean)"],"key":"function public.apply_learning_record(uuid, boolean)","kind":"function","source":"SupportChat.SupportChatFunctions"}
CREATE OR REPLACE FUNCTION "public"."apply_learning_record"("p_id" uuid, "p_success" boolean)
    RETURNS TABLE (times_applied integer, times_succeeded integer, success_rate numeric, last_applied_at timestamptz)
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
DECLARE
    current_status text;
BEGIN
    IF p_id IS NULL THEN
        RAISE EXCEPTION 'id is required' USING ERRCODE = 'IV422', COLUMN = 'id';
    END IF;
    IF p_success IS NULL THEN
        RAISE EXCEPTION 'success is required' USING ERRCODE = 'IV422', COLUMN = 'success';
    END IF;
    -- One statement: the row lock serializes concurrent appliers, each adds to the latest counts.
    RETURN QUERY
    WITH applied AS (
        UPDATE public.learning_records AS r
           SET times_applied = r.times_applied + 1,
               times_succeeded = r.times_succeeded + CASE WHEN p_success THEN 1 ELSE 0 END,
               last_applied_at = pg_catalog.now()
         WHERE r.id = p_id AND r.status = 'active'
        RETURNING r.times_applied AS a, r.times_succeeded AS s, r.success_rate AS rate, r.last_applied_at AS at
    )
    SELECT applied.a, applied.s, applied.rate, applied.at FROM applied;
    IF NOT FOUND THEN
        SELECT r.status INTO current_status FROM public.learning_records AS r WHERE r.id = p_id;
        IF current_status IS NULL THEN
            RAISE EXCEPTION 'learning record % not found', p_id USING ERRCODE = 'IV404', COLUMN = 'id';
        END IF;
        RAISE EXCEPTION 'learning record % is %, only active records are applied', p_id, current_status
            USING ERRCODE = 'IV409', COLUMN = 'status';
    END IF;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."apply_learning_record"(uuid, boolean)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."apply_learning_record"(uuid, boolean) TO "service_role";

-- invariants:object {"checksum":"sha256:1572dd57ed172219c3ce85d2c6a17f16d926a848848ef6aa3a48bc45771c78bb","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_chat_sessions_status\"()"],"key":"function invariants.state_public_chat_sessions_status()","kind":"trigger function","source":"StateMachine(table: public.chat_sessions, column: status)"}
CREATE OR REPLACE FUNCTION "invariants"."state_public_chat_sessions_status"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant state machine on chat_sessions.status: initial active; terminal closed.
    IF TG_OP = 'INSERT' THEN
        IF NEW."status" IS NULL OR NEW."status"::text NOT IN ('active') THEN
            RAISE EXCEPTION 'illegal initial state of chat_sessions.status: %', COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      HINT = 'a row starts in active';
        END IF;
    ELSIF NEW."status" IS DISTINCT FROM OLD."status" THEN
        IF OLD."status"::text IN ('active') AND NEW."status"::text = 'escalated' THEN
            NULL;
        ELSIF OLD."status"::text IN ('escalated') AND NEW."status"::text = 'active' THEN
            NULL;
        ELSIF OLD."status"::text IN ('resolved') AND NEW."status"::text = 'active' THEN
            NEW."resolved_at" := NULL;
            NEW."resolution_time_seconds" := NULL;
        ELSIF OLD."status"::text IN ('active', 'escalated') AND NEW."status"::text = 'resolved' THEN
            NULL;
        ELSIF OLD."status"::text IN ('active', 'escalated', 'resolved') AND NEW."status"::text = 'closed' THEN
            NULL;
        ELSE
            RAISE EXCEPTION 'illegal transition of chat_sessions.status: % -> %',
                    COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      DETAIL = CASE WHEN OLD."status"::text IN ('closed')
                                    THEN OLD."status"::text || ' is a terminal state' ELSE '' END;
        END IF;
    ELSE
        -- Same state: not a transition.
        RETURN NEW;
    END IF;
    IF NEW."status"::text = 'resolved' THEN
        NEW."resolved_at" := pg_catalog.now();
        NEW."resolution_time_seconds" := GREATEST(0, pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.now() -
            NEW."created_at")))::integer;
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_chat_sessions_status"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:6a6b35d423b48c8c268570233c7d7d3464342936dcfc044510a3e6f27350bb76","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_tool_executions_status\"()"],"key":"function invariants.state_public_tool_executions_status()","kind":"trigger function","source":"StateMachine(table: public.tool_executions, column: status)"}
CREATE OR REPLACE FUNCTION "invariants"."state_public_tool_executions_status"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant state machine on tool_executions.status: initial pending; terminal completed, failed.
    IF TG_OP = 'INSERT' THEN
        IF NEW."status" IS NULL OR NEW."status"::text NOT IN ('pending') THEN
            RAISE EXCEPTION 'illegal initial state of tool_executions.status: %', COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      HINT = 'a row starts in pending';
        END IF;
    ELSIF NEW."status" IS DISTINCT FROM OLD."status" THEN
        IF OLD."status"::text IN ('pending') AND NEW."status"::text = 'executing' THEN
            IF (NOT NEW."requires_approval" OR NEW."approval_status" = 'approved') IS NOT TRUE THEN
                RAISE EXCEPTION 'illegal transition of tool_executions.status: % -> %: it requires approval and'
                        ' approval_status is not approved',
                        OLD."status", NEW."status"
                    USING ERRCODE = 'IV001', COLUMN = 'status';
            END IF;
        ELSIF OLD."status"::text IN ('executing') AND NEW."status"::text = 'completed' THEN
            NULL;
        ELSIF OLD."status"::text IN ('pending', 'executing') AND NEW."status"::text = 'failed' THEN
            NULL;
        ELSE
            RAISE EXCEPTION 'illegal transition of tool_executions.status: % -> %',
                    COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      DETAIL = CASE WHEN OLD."status"::text IN ('completed', 'failed')
                                    THEN OLD."status"::text || ' is a terminal state' ELSE '' END;
        END IF;
    ELSE
        -- Same state: not a transition.
        RETURN NEW;
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_tool_executions_status"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:a4e0830e11c918b4e0d5916b6930058e5f0ccae11bf9fd7b229bcc2975340559","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_chat_session_messages\"()"],"key":"function invariants.count_chat_session_messages()","kind":"trigger function","source":"CounterCache(chat_session_messages)"}
CREATE OR REPLACE FUNCTION "invariants"."count_chat_session_messages"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    only_row record;
    old_key text;
    new_key text;
    total_messages_old bigint;
    total_messages_new bigint;
    ai_messages_old bigint;
    ai_messages_new bigint;
    human_messages_old bigint;
    human_messages_new bigint;
    new_earliest_created_at timestamp with time zone;
    statement_rows bigint;
    parent_keys text[];
    total_messages_deltas bigint[];
    ai_messages_deltas bigint[];
    human_messages_deltas bigint[];
    earliest_created_at_values timestamp with time zone[];
    updated_parents bigint;
    missing_key text;
BEGIN
    -- Counter cache chat_session_messages (statement strategy):
    -- "public"."chat_messages" → "public"."chat_sessions".

    -- A statement that wrote one row: the row's columns the counters read, into only_row
    -- (none found when it wrote several).
    IF TG_OP = 'INSERT' THEN
        SELECT r."session_id" AS parent_key, r."role", r."created_at"
        INTO only_row
        FROM new_rows AS r
        WHERE NOT EXISTS (SELECT FROM new_rows OFFSET 1);
        IF FOUND THEN
            -- One inserted row (every single-row INSERT): one UPDATE of its parent.
            UPDATE "public"."chat_sessions" AS p SET
                "total_messages" = p."total_messages" + 1::bigint,
                "ai_messages" = p."ai_messages"
                    + CASE WHEN only_row."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END,
                "human_messages" = p."human_messages"
                    + CASE WHEN only_row."role" = 'user' THEN 1::bigint ELSE 0::bigint END,
                "first_response_time_ms" = COALESCE(p."first_response_time_ms",
                    CASE WHEN only_row."role" = 'assistant' AND only_row."created_at" IS NOT NULL THEN
                        LEAST(GREATEST(0, pg_catalog.round(
                            pg_catalog.date_part('epoch', only_row."created_at" - p.created_at) * 1000)),
                            2147483647)::integer
                    END)
            WHERE p."session_id" = only_row.parent_key;
            IF NOT FOUND AND only_row.parent_key IS NOT NULL THEN
                RAISE EXCEPTION 'counter %: % row % does not exist',
                    'chat_session_messages', '"public"."chat_sessions"', only_row.parent_key
                    USING ERRCODE = 'IV404';
            END IF;
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT r."session_id" AS parent_key, r."role"
        INTO only_row
        FROM old_rows AS r
        WHERE NOT EXISTS (SELECT FROM old_rows OFFSET 1);
        IF FOUND THEN
            UPDATE "public"."chat_sessions" AS p SET
                "total_messages" = p."total_messages" - 1::bigint,
                "ai_messages" = p."ai_messages"
                    - CASE WHEN only_row."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END,
                "human_messages" = p."human_messages"
                    - CASE WHEN only_row."role" = 'user' THEN 1::bigint ELSE 0::bigint END
            WHERE p."session_id" = only_row.parent_key;
            RETURN NULL;
        END IF;
    ELSE
        SELECT (SELECT count(*) FROM new_rows),
               r."session_id",
               1::bigint,
               CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END,
               CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END
        INTO statement_rows, new_key, total_messages_new, ai_messages_new,
             human_messages_new
        FROM new_rows AS r LIMIT 1;
        IF statement_rows = 1 THEN
            -- One updated row: a row trigger's work (a move locks both parents in key order).
            SELECT r."session_id",
                   1::bigint,
                   CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END,
                   CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END
            INTO old_key, total_messages_old, ai_messages_old, human_messages_old
            FROM old_rows AS r;
            IF old_key IS NOT DISTINCT FROM new_key THEN
                -- Same parent (or none): one UPDATE with the net change.
                IF new_key IS NOT NULL AND (total_messages_new - total_messages_old <> 0
                    OR ai_messages_new - ai_messages_old <> 0
                    OR human_messages_new - human_messages_old <> 0) THEN
                    UPDATE "public"."chat_sessions" AS p SET
                        "total_messages" = p."total_messages" + (total_messages_new - total_messages_old),
                        "ai_messages" = p."ai_messages" + (ai_messages_new - ai_messages_old),
                        "human_messages" = p."human_messages" + (human_messages_new - human_messages_old)
                    WHERE p."session_id" = new_key;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'counter %: % row % does not exist',
                            'chat_session_messages', '"public"."chat_sessions"', new_key
                            USING ERRCODE = 'IV404';
                    END IF;
                END IF;
                RETURN NULL;
            END IF;

            -- A move between two parents: lock both in key order, so two opposite moves
            -- cannot deadlock.
            IF old_key IS NOT NULL AND new_key IS NOT NULL THEN
                PERFORM 1 FROM "public"."chat_sessions" AS p
                WHERE p."session_id" IN (old_key, new_key)
                ORDER BY p."session_id"
                FOR NO KEY UPDATE;
            END IF;
            IF old_key IS NOT NULL AND (total_messages_old <> 0
                OR ai_messages_old <> 0
                OR human_messages_old <> 0) THEN
                -- No row: the parent is being deleted (a cascade) — nothing to keep.
                UPDATE "public"."chat_sessions" AS p SET
                    "total_messages" = p."total_messages" + (-total_messages_old),
                    "ai_messages" = p."ai_messages" + (-ai_messages_old),
                    "human_messages" = p."human_messages" + (-human_messages_old)
                WHERE p."session_id" = old_key;
            END IF;
            IF new_key IS NOT NULL AND (total_messages_new <> 0
                OR ai_messages_new <> 0
                OR human_messages_new <> 0
                OR new_earliest_created_at IS NOT NULL) THEN
                UPDATE "public"."chat_sessions" AS p SET
                    "total_messages" = p."total_messages" + total_messages_new,
                    "ai_messages" = p."ai_messages" + ai_messages_new,
                    "human_messages" = p."human_messages" + human_messages_new,
                    "first_response_time_ms" = COALESCE(p."first_response_time_ms",
                        CASE WHEN new_earliest_created_at IS NOT NULL THEN
                            LEAST(GREATEST(0, pg_catalog.round(
                                pg_catalog.date_part('epoch', new_earliest_created_at - p.created_at) * 1000)),
                                2147483647)::integer
                        END)
                WHERE p."session_id" = new_key;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'counter %: % row % does not exist',
                        'chat_session_messages', '"public"."chat_sessions"', new_key
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
            SELECT r."session_id" AS parent_key,
                   1::bigint AS total_messages,
                   CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS ai_messages,
                   CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS human_messages,
                   CASE WHEN r."role" = 'assistant' THEN r."created_at" END AS earliest_created_at
            FROM new_rows AS r
        ), deltas AS (
            SELECT c.parent_key,
                   sum(c.total_messages)::bigint AS total_messages,
                   sum(c.ai_messages)::bigint AS ai_messages,
                   sum(c.human_messages)::bigint AS human_messages,
                   min(c.earliest_created_at) AS earliest_created_at
            FROM changes AS c
            WHERE c.parent_key IS NOT NULL
            GROUP BY c.parent_key
            HAVING sum(c.total_messages) <> 0
                OR sum(c.ai_messages) <> 0
                OR sum(c.human_messages) <> 0
                OR min(c.earliest_created_at) IS NOT NULL
        )
        SELECT array_agg(d.parent_key),
               array_agg(d.total_messages),
               array_agg(d.ai_messages),
               array_agg(d.human_messages),
               array_agg(d.earliest_created_at)
        INTO parent_keys, total_messages_deltas, ai_messages_deltas, human_messages_deltas,
             earliest_created_at_values
        FROM deltas AS d;
    ELSIF TG_OP = 'DELETE' THEN
        WITH changes AS (
            SELECT r."session_id" AS parent_key,
                   -1::bigint AS total_messages,
                   -CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS ai_messages,
                   -CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS human_messages
            FROM old_rows AS r
        ), deltas AS (
            SELECT c.parent_key,
                   sum(c.total_messages)::bigint AS total_messages,
                   sum(c.ai_messages)::bigint AS ai_messages,
                   sum(c.human_messages)::bigint AS human_messages
            FROM changes AS c
            WHERE c.parent_key IS NOT NULL
            GROUP BY c.parent_key
            HAVING sum(c.total_messages) <> 0
                OR sum(c.ai_messages) <> 0
                OR sum(c.human_messages) <> 0
        )
        SELECT array_agg(d.parent_key),
               array_agg(d.total_messages),
               array_agg(d.ai_messages),
               array_agg(d.human_messages)
        INTO parent_keys, total_messages_deltas, ai_messages_deltas, human_messages_deltas
        FROM deltas AS d;
    ELSE
        WITH changes AS (
            SELECT r."session_id" AS parent_key,
                   1::bigint AS total_messages,
                   CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS ai_messages,
                   CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS human_messages
            FROM new_rows AS r
            UNION ALL
            SELECT r."session_id" AS parent_key,
                   -1::bigint AS total_messages,
                   -CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS ai_messages,
                   -CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS human_messages
            FROM old_rows AS r
        ), deltas AS (
            SELECT c.parent_key,
                   sum(c.total_messages)::bigint AS total_messages,
                   sum(c.ai_messages)::bigint AS ai_messages,
                   sum(c.human_messages)::bigint AS human_messages
            FROM changes AS c
            WHERE c.parent_key IS NOT NULL
            GROUP BY c.parent_key
            HAVING sum(c.total_messages) <> 0
                OR sum(c.ai_messages) <> 0
                OR sum(c.human_messages) <> 0
        )
        SELECT array_agg(d.parent_key),
               array_agg(d.total_messages),
               array_agg(d.ai_messages),
               array_agg(d.human_messages)
        INTO parent_keys, total_messages_deltas, ai_messages_deltas, human_messages_deltas
        FROM deltas AS d;
    END IF;
    IF parent_keys IS NULL THEN
        RETURN NULL;  -- no counter changes
    END IF;
    IF cardinality(parent_keys) > 1 THEN
        -- Several parents: lock them in key order before changing any.
        PERFORM 1 FROM "public"."chat_sessions" AS p
        WHERE p."session_id" = ANY (parent_keys)
        ORDER BY p."session_id"
        FOR NO KEY UPDATE;
    END IF;
    UPDATE "public"."chat_sessions" AS p SET
        "total_messages" = p."total_messages" + d.total_messages,
        "ai_messages" = p."ai_messages" + d.ai_messages,
        "human_messages" = p."human_messages" + d.human_messages,
        "first_response_time_ms" = COALESCE(p."first_response_time_ms",
            CASE WHEN d.earliest_created_at IS NOT NULL THEN
                LEAST(GREATEST(0, pg_catalog.round(
                    pg_catalog.date_part('epoch', d.earliest_created_at - p.created_at) * 1000)),
                    2147483647)::integer
            END)
    FROM unnest(parent_keys, total_messages_deltas, ai_messages_deltas, human_messages_deltas,
                earliest_created_at_values)
        AS d(parent_key, total_messages, ai_messages, human_messages,
             earliest_created_at)
    WHERE p."session_id" = d.parent_key;
    GET DIAGNOSTICS updated_parents = ROW_COUNT;
    -- Fewer rows than parents: one is gone. A parent being deleted (a cascade) has nothing
    -- to keep; one that a new child row names is an error.
    IF updated_parents < cardinality(parent_keys) AND TG_OP <> 'DELETE' THEN
        SELECT k.parent_key INTO missing_key
        FROM new_rows AS r
        CROSS JOIN LATERAL (SELECT r."session_id" AS parent_key) AS k
        WHERE k.parent_key IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM "public"."chat_sessions" AS x WHERE x."session_id" = k.parent_key)
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'counter %: % row % does not exist',
                'chat_session_messages', '"public"."chat_sessions"', missing_key
                USING ERRCODE = 'IV404';
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_chat_session_messages"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:f46304b583f5d2b4186dcd09cb99fc26ef99a7dffd2a34cf67c7c189817f46d1","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_chat_session_messages_truncate\"()"],"key":"function invariants.count_chat_session_messages_truncate()","kind":"trigger function","source":"CounterCache(chat_session_messages)"}
CREATE OR REPLACE FUNCTION "invariants"."count_chat_session_messages_truncate"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    -- Counter cache chat_session_messages: "public"."chat_messages" was truncated, so every count is zero.
    UPDATE "public"."chat_sessions" SET
        "total_messages" = 0,
        "ai_messages" = 0,
        "human_messages" = 0
    WHERE "total_messages" <> 0
       OR "ai_messages" <> 0
       OR "human_messages" <> 0;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_chat_session_messages_truncate"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:4fbe653d73207ad7b749d12338dad6476954d32c2695095e01accf56c9c870e4","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"chat_first_response_once\"()"],"key":"function invariants.chat_first_response_once()","kind":"trigger function","source":"SupportChat.SupportChatFunctions"}
CREATE OR REPLACE FUNCTION "invariants"."chat_first_response_once"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    IF OLD.first_response_time_ms IS NOT NULL
       AND NEW.first_response_time_ms IS DISTINCT FROM OLD.first_response_time_ms THEN
        RAISE EXCEPTION 'first_response_time_ms of chat session % is already set (% ms)',
            OLD.session_id, OLD.first_response_time_ms
            USING ERRCODE = 'IV409', COLUMN = 'first_response_time_ms',
                  HINT = 'it is set once, by the first assistant message';
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."chat_first_response_once"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:c4c411b79c723f6394e079ba37b52cf5c7716a8043b23879c964225d45c9c570","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_tool_executions_approval_status\"()"],"key":"function invariants.state_public_tool_executions_approval_status()","kind":"trigger function","source":"SupportChat.SupportChatFunctions"}
CREATE OR REPLACE FUNCTION "invariants"."state_public_tool_executions_approval_status"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.requires_approval THEN
            NEW.approval_status := COALESCE(NEW.approval_status, 'pending');
            IF NEW.approval_status <> 'pending' THEN
                RAISE EXCEPTION 'illegal initial state of public.tool_executions.approval_status: %',
                        NEW.approval_status
                    USING ERRCODE = 'IV001', COLUMN = 'approval_status', HINT = 'a row starts in pending';
            END IF;
        ELSIF NEW.approval_status IS NOT NULL THEN
            RAISE EXCEPTION 'approval_status must be NULL when requires_approval is false (got %)', NEW.approval_status
                USING ERRCODE = 'IV422', COLUMN = 'approval_status';
        END IF;
        NEW.approved_at := NULL;
        RETURN NEW;
    END IF;
    IF NEW.requires_approval IS DISTINCT FROM OLD.requires_approval THEN
        RAISE EXCEPTION 'requires_approval of tool execution % cannot change after the request', OLD.id
            USING ERRCODE = 'IV409', COLUMN = 'requires_approval';
    END IF;
    IF NEW.approval_status IS NOT DISTINCT FROM OLD.approval_status THEN
        -- Not a decision: approved_at keeps the database's value.
        NEW.approved_at := OLD.approved_at;
        RETURN NEW;
    END IF;
    IF OLD.approval_status = 'pending' AND NEW.approval_status IN ('approved', 'rejected') THEN
        IF NEW.approved_by IS NULL OR pg_catalog.btrim(NEW.approved_by) = '' THEN
            -- Adjacent literals are one: PostgreSQL joins string constants split by a line break.
            RAISE EXCEPTION 'illegal transition of public.tool_executions.approval_status: % -> %: '
                            'approved_by is required',
                OLD.approval_status, NEW.approval_status
                USING ERRCODE = 'IV422', COLUMN = 'approved_by';
        END IF;
        NEW.approved_at := pg_catalog.now();
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'illegal transition of public.tool_executions.approval_status: % -> %',
        COALESCE(OLD.approval_status, 'NULL'), COALESCE(NEW.approval_status, 'NULL')
        USING ERRCODE = 'IV001', COLUMN = 'approval_status',
              DETAIL = CASE WHEN OLD.approval_status IN ('approved', 'rejected')
                            THEN OLD.approval_status || ' is a terminal state'
                            WHEN OLD.approval_status IS NULL THEN 'this execution does not require approval'
                            ELSE '' END;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_tool_executions_approval_status"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

