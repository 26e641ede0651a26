-- Extension invariants_support_chat upgrade 0.3 → dev.babe8dde9813: 1 function(s) dropped,
-- 3 created or replaced, 5 unchanged.
-- Generated from the Swift declarations; do not edit by hand.
-- Apply: ALTER EXTENSION invariants_support_chat UPDATE TO 'dev.babe8dde9813';
-- (`invariants migrate --stored-logic extension` first drops the triggers and other
-- objects that still use a dropped function, then updates, then re-creates them.)
\echo Use "CREATE EXTENSION invariants_support_chat" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_support_chat holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_support_chat';
    END IF;
END
$guard$;

-- removed: function invariants.chat_first_response()
DROP FUNCTION IF EXISTS "invariants"."chat_first_response"();

-- invariants:object {"checksum":"sha256:8ca96503485332d733870a5ed26b6a20f3db6eec7eb37a246643b26e44323c51","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"repair_chat_session_messages\"(text, text, boolean, text, integer)"],"key":"function invariants.repair_chat_session_messages(text, text, boolean, text, integer)","kind":"function","source":"CounterCache(chat_session_messages)"}
CREATE OR REPLACE FUNCTION "invariants"."repair_chat_session_messages"("p_parent" text, "p_scope" text, "p_force" boolean, "p_after" text, "p_batch" integer)
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
REVOKE EXECUTE ON FUNCTION "invariants"."repair_chat_session_messages"(text, text, boolean, text, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants"."repair_chat_session_messages"(text, text, boolean, text, integer) TO "service_role";

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

