-- Extension invariants_support_chat upgrade 0.3 → dev.8ebb65423768: 1 function(s) dropped,
-- 1 created or replaced, 7 unchanged.
-- Generated from the Swift declarations; do not edit by hand.
-- Apply: ALTER EXTENSION invariants_support_chat UPDATE TO 'dev.8ebb65423768';
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

-- invariants:object {"checksum":"sha256:3d221c273100f6f3168b1767175b8d4e074004de19d48fe033eb36c7c9325163","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_chat_session_messages\"()"],"key":"function invariants.count_chat_session_messages()","kind":"trigger function","source":"CounterCache(chat_session_messages)"}
CREATE OR REPLACE FUNCTION "invariants"."count_chat_session_messages"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    old_key text;
    new_key text;
    total_messages_old bigint := 0::bigint;
    total_messages_new bigint := 0::bigint;
    ai_messages_old bigint := 0::bigint;
    ai_messages_new bigint := 0::bigint;
    human_messages_old bigint := 0::bigint;
    human_messages_new bigint := 0::bigint;
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

    IF TG_OP = 'INSERT' THEN
        -- One inserted row (every single-row INSERT): one UPDATE of its parent, as a row
        -- trigger does. Not found: several rows, no parent, or a missing one (below).
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
        FROM (
            SELECT r."session_id" AS parent_key,
                   1::bigint AS total_messages,
                   CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS ai_messages,
                   CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS human_messages,
                   CASE WHEN r."role" = 'assistant' THEN r."created_at" END AS earliest_created_at
            FROM new_rows AS r
        ) AS d
        WHERE p."session_id" = d.parent_key
          AND (SELECT count(*) FROM new_rows) = 1
          AND (d.total_messages <> 0
               OR d.ai_messages <> 0
               OR d.human_messages <> 0
               OR d.earliest_created_at IS NOT NULL);
        IF FOUND THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE "public"."chat_sessions" AS p SET
            "total_messages" = p."total_messages" + d.total_messages,
            "ai_messages" = p."ai_messages" + d.ai_messages,
            "human_messages" = p."human_messages" + d.human_messages
        FROM (
            SELECT r."session_id" AS parent_key,
                   -1::bigint AS total_messages,
                   -CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS ai_messages,
                   -CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS human_messages
            FROM old_rows AS r
        ) AS d
        WHERE p."session_id" = d.parent_key
          AND (SELECT count(*) FROM old_rows) = 1
          AND (d.total_messages <> 0
               OR d.ai_messages <> 0
               OR d.human_messages <> 0);
        IF FOUND THEN
            RETURN NULL;
        END IF;
    ELSE
        -- An UPDATE: the first row's parents and changes, and how many rows there are.
        SELECT (SELECT count(*) FROM new_rows),
               r."session_id",
               1::bigint,
               CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END,
               CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END,
               CASE WHEN TG_OP = 'INSERT' THEN CASE WHEN r."role" = 'assistant' THEN r."created_at" END END
        INTO statement_rows, new_key, total_messages_new, ai_messages_new,
             human_messages_new, new_earliest_created_at
        FROM new_rows AS r LIMIT 1;
        IF statement_rows IS NULL THEN
            RETURN NULL;  -- no row
        END IF;
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
    END IF;

    -- Several child rows (or a single one that did not find its parent): grouped per parent.
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

