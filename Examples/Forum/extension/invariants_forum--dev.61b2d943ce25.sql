-- Extension invariants_forum, version dev.61b2d943ce25: the stored functions (and their EXECUTE
-- grants) of the declared invariants. Tables, triggers, policies and views come
-- from the migrations and the repeatable set, never from the extension.
--
-- Generated from the Swift declarations; do not edit by hand. A released version's
-- script is frozen (never rendered again), like a released migration.
-- Install: make -C extension install; then, after the migrations,
--   CREATE EXTENSION invariants_forum VERSION 'dev.61b2d943ce25';
-- (or `invariants migrate --stored-logic extension`, which also writes the ledger).
\echo Use "CREATE EXTENSION invariants_forum" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_forum holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_forum';
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
        '"invariants"."repair_post_comments"(uuid, text, boolean, uuid, integer)',
        '"invariants"."repair_post_votes"(uuid, text, boolean, uuid, integer)',
        '"invariants"."state_public_posts_status"()',
        '"invariants"."state_public_summary_jobs_status"()',
        '"invariants"."save_summary_to_post"()',
        '"invariants"."count_post_comments"()',
        '"invariants"."count_post_comments_truncate"()',
        '"invariants"."count_post_votes"()',
        '"invariants"."count_post_votes_truncate"()',
        '"invariants"."touch_public_posts_updated_at"()'
    ]::text[] LOOP
        f := pg_catalog.to_regprocedure(sig);
        CONTINUE WHEN f IS NULL;
        SELECT e.extname INTO holder FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = f
          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e';
        IF holder IS NOT NULL THEN
            RAISE EXCEPTION 'function % belongs to extension %, not to invariants_forum', f, holder
                USING HINT = CASE WHEN holder = 'invariants' THEN 'ALTER EXTENSION invariants UPDATE TO ''modules'' first (invariants migrate --stored-logic extension does it)' ELSE 'a function belongs to one extension at a time' END;
        END IF;
        EXECUTE pg_catalog.format('ALTER EXTENSION %I ADD FUNCTION %s', 'invariants_forum', f);
    END LOOP;
END
$adopt$;

-- invariants:object {"checksum":"sha256:b7e46f5e0dd7a96deac2158296f1ff9b31e1f01b41c4e9816393682ee62992dd","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"repair_post_comments\"(uuid, text, boolean, uuid, integer)"],"key":"function invariants.repair_post_comments(uuid, text, boolean, uuid, integer)","kind":"function","source":"CounterCache(post_comments)"}
CREATE OR REPLACE FUNCTION "invariants"."repair_post_comments"(
    "p_parent" uuid,
    "p_scope" text,
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
    -- Repair of counter cache post_comments: "public"."posts" from "public"."comments".
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
        SELECT p."id" AS key FROM "public"."posts" AS p
        WHERE (p_parent IS NULL OR p."id" = p_parent)
          AND p_scope IS NULL
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
        SELECT p."id" AS key, NULL AS scope_value,
               p."comment_count" AS comment_count_old,
               COALESCE(counted.comment_count, 0) AS comment_count_new
        FROM "public"."posts" AS p
        LEFT JOIN (
            SELECT r."post_id" AS key,
                   count(*) FILTER (WHERE r."hidden" = 'false') AS comment_count
            FROM "public"."comments" AS r
            WHERE r."post_id" IS NOT NULL
              AND (every_parent OR r."post_id" = ANY (batch))
            GROUP BY r."post_id"
        ) AS counted ON counted.key = p."id"
        WHERE p."id" = ANY (batch)
    ), rewritten AS (
        UPDATE "public"."posts" AS p SET
            "comment_count" = t.comment_count_new
        FROM target AS t
        WHERE p."id" = t.key
          AND (p_force
               OR t.comment_count_old IS DISTINCT FROM t.comment_count_new)
        RETURNING p."id"
    ), audited AS (
        INSERT INTO invariants.counter_repairs (
            counter, parent_table, parent_key, scope, column_name, old_value, new_value, repaired_by)
        SELECT 'post_comments', '"public"."posts"', t.key::text, NULL::text,
               v.column_name, v.old_value, v.new_value, repairer
        FROM target AS t
        CROSS JOIN LATERAL (VALUES
            ('comment_count', (t.comment_count_old)::numeric, (t.comment_count_new)::numeric)
        ) AS v (column_name, old_value, new_value)
        WHERE v.old_value IS DISTINCT FROM v.new_value
        RETURNING 1
    )
    SELECT pg_catalog.cardinality(batch)::bigint,
           (SELECT pg_catalog.count(*) FROM target AS t
            WHERE t.comment_count_old IS DISTINCT FROM t.comment_count_new),
           batch[pg_catalog.cardinality(batch)]
    FROM (SELECT pg_catalog.count(*) FROM rewritten) AS r, (SELECT pg_catalog.count(*) FROM audited) AS x;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."repair_post_comments"(uuid, text, boolean, uuid, integer)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants"."repair_post_comments"(uuid, text, boolean, uuid, integer) TO "service_role";

-- invariants:object {"checksum":"sha256:d03a402a07a48ebe183e4934ecb2169220adaf4ac2e957ddb5de5ab739ff6540","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"repair_post_votes\"(uuid, text, boolean, uuid, integer)"],"key":"function invariants.repair_post_votes(uuid, text, boolean, uuid, integer)","kind":"function","source":"CounterCache(post_votes)"}
CREATE OR REPLACE FUNCTION "invariants"."repair_post_votes"(
    "p_parent" uuid,
    "p_scope" text,
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
    -- Repair of counter cache post_votes: "public"."posts" from "public"."votes".
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
        SELECT p."id" AS key FROM "public"."posts" AS p
        WHERE (p_parent IS NULL OR p."id" = p_parent)
          AND p_scope IS NULL
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
        SELECT p."id" AS key, NULL AS scope_value,
               p."vote_score" AS vote_score_old,
               COALESCE(counted.vote_score, 0) AS vote_score_new
        FROM "public"."posts" AS p
        LEFT JOIN (
            SELECT r."post_id" AS key,
                   COALESCE(sum(r."value"), 0) AS vote_score
            FROM "public"."votes" AS r
            WHERE r."post_id" IS NOT NULL
              AND (every_parent OR r."post_id" = ANY (batch))
            GROUP BY r."post_id"
        ) AS counted ON counted.key = p."id"
        WHERE p."id" = ANY (batch)
    ), rewritten AS (
        UPDATE "public"."posts" AS p SET
            "vote_score" = t.vote_score_new
        FROM target AS t
        WHERE p."id" = t.key
          AND (p_force
               OR t.vote_score_old IS DISTINCT FROM t.vote_score_new)
        RETURNING p."id"
    ), audited AS (
        INSERT INTO invariants.counter_repairs (
            counter, parent_table, parent_key, scope, column_name, old_value, new_value, repaired_by)
        SELECT 'post_votes', '"public"."posts"', t.key::text, NULL::text,
               v.column_name, v.old_value, v.new_value, repairer
        FROM target AS t
        CROSS JOIN LATERAL (VALUES
            ('vote_score', (t.vote_score_old)::numeric, (t.vote_score_new)::numeric)
        ) AS v (column_name, old_value, new_value)
        WHERE v.old_value IS DISTINCT FROM v.new_value
        RETURNING 1
    )
    SELECT pg_catalog.cardinality(batch)::bigint,
           (SELECT pg_catalog.count(*) FROM target AS t
            WHERE t.vote_score_old IS DISTINCT FROM t.vote_score_new),
           batch[pg_catalog.cardinality(batch)]
    FROM (SELECT pg_catalog.count(*) FROM rewritten) AS r, (SELECT pg_catalog.count(*) FROM audited) AS x;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."repair_post_votes"(uuid, text, boolean, uuid, integer)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants"."repair_post_votes"(uuid, text, boolean, uuid, integer) TO "service_role";

-- invariants:object {"checksum":"sha256:d2d16f555856cb97d71f955b53a7171b24e266ed2a6a59fc5d9b57afd2048004","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_posts_status\"()"],"key":"function invariants.state_public_posts_status()","kind":"trigger function","source":"StateMachine(table: public.posts, column: status)"}
CREATE OR REPLACE FUNCTION "invariants"."state_public_posts_status"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant state machine on posts.status: initial draft, published; terminal removed.
    IF TG_OP = 'INSERT' THEN
        IF NEW."status" IS NULL OR NEW."status"::text NOT IN ('draft', 'published') THEN
            RAISE EXCEPTION 'illegal initial state of posts.status: %', COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      HINT = 'a row starts in draft, published';
        END IF;
    ELSIF NEW."status" IS DISTINCT FROM OLD."status" THEN
        IF OLD."status"::text IN ('draft') AND NEW."status"::text = 'published' THEN
            NULL;
        ELSIF OLD."status"::text IN ('published') AND NEW."status"::text = 'hidden' THEN
            IF ("auth"."role"() IS DISTINCT FROM 'authenticated') IS NOT TRUE THEN
                RAISE EXCEPTION
                        'illegal transition of posts.status: % -> %: only a moderator may hide, lock or restore a post',
                        OLD."status", NEW."status"
                    USING ERRCODE = 'IV001', COLUMN = 'status';
            END IF;
        ELSIF OLD."status"::text IN ('published') AND NEW."status"::text = 'locked' THEN
            IF ("auth"."role"() IS DISTINCT FROM 'authenticated') IS NOT TRUE THEN
                RAISE EXCEPTION
                        'illegal transition of posts.status: % -> %: only a moderator may hide, lock or restore a post',
                        OLD."status", NEW."status"
                    USING ERRCODE = 'IV001', COLUMN = 'status';
            END IF;
        ELSIF OLD."status"::text IN ('hidden', 'locked') AND NEW."status"::text = 'published' THEN
            IF ("auth"."role"() IS DISTINCT FROM 'authenticated') IS NOT TRUE THEN
                RAISE EXCEPTION
                        'illegal transition of posts.status: % -> %: only a moderator may hide, lock or restore a post',
                        OLD."status", NEW."status"
                    USING ERRCODE = 'IV001', COLUMN = 'status';
            END IF;
        ELSIF OLD."status"::text IN ('draft', 'published', 'hidden', 'locked') AND NEW."status"::text = 'removed' THEN
            NULL;
        ELSE
            RAISE EXCEPTION 'illegal transition of posts.status: % -> %',
                    COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      DETAIL = CASE WHEN OLD."status"::text IN ('removed')
                                    THEN OLD."status"::text || ' is a terminal state' ELSE '' END;
        END IF;
    ELSE
        -- Same state: not a transition.
        RETURN NEW;
    END IF;
    IF NEW."status"::text = 'published' THEN
        NEW."published_at" := COALESCE(NEW.published_at, pg_catalog.now());
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_posts_status"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:a5f53580686b22ac188e00e68623f28eb5619fd6332ab3b7d976460028844536","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_summary_jobs_status\"()"],"key":"function invariants.state_public_summary_jobs_status()","kind":"trigger function","source":"StateMachine(table: public.summary_jobs, column: status)"}
CREATE OR REPLACE FUNCTION "invariants"."state_public_summary_jobs_status"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant state machine on summary_jobs.status: initial pending; terminal completed, failed.
    IF TG_OP = 'INSERT' THEN
        IF NEW."status" IS NULL OR NEW."status"::text NOT IN ('pending') THEN
            RAISE EXCEPTION 'illegal initial state of summary_jobs.status: %', COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      HINT = 'a row starts in pending';
        END IF;
    ELSIF NEW."status" IS DISTINCT FROM OLD."status" THEN
        IF OLD."status"::text IN ('pending') AND NEW."status"::text = 'completed' THEN
            NULL;
        ELSIF OLD."status"::text IN ('pending') AND NEW."status"::text = 'failed' THEN
            NULL;
        ELSE
            RAISE EXCEPTION 'illegal transition of summary_jobs.status: % -> %',
                    COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      DETAIL = CASE WHEN OLD."status"::text IN ('completed', 'failed')
                                    THEN OLD."status"::text || ' is a terminal state' ELSE '' END;
        END IF;
    ELSE
        -- Same state: not a transition.
        RETURN NEW;
    END IF;
    IF NEW."status"::text = 'completed' THEN
        IF (NEW.result IS NOT NULL AND pg_catalog.btrim(NEW.result) <> '') IS NOT TRUE THEN
            RAISE EXCEPTION 'cannot enter summary_jobs.status %: a completed job needs its result', NEW."status"
                USING ERRCODE = 'IV422', COLUMN = 'result';
        END IF;
        NEW."finished_at" := pg_catalog.now();
    END IF;
    IF NEW."status"::text = 'failed' THEN
        NEW."finished_at" := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_summary_jobs_status"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:d4563df3c08f32f882a8bfe25bca60aff7588ef0ce506963877b7124e75c4198","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"save_summary_to_post\"()"],"key":"function invariants.save_summary_to_post()","kind":"trigger function","source":"AppendToSource(child: public.summary_jobs, parent: public.posts)"}
CREATE OR REPLACE FUNCTION "invariants"."save_summary_to_post"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    source_id uuid;
    target uuid;
    item jsonb;
BEGIN
    -- Invariant append to source: public.summary_jobs entering completed adds to public.posts, exactly once.
    IF NEW."status" IS DISTINCT FROM 'completed' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD."status" IS NOT DISTINCT FROM 'completed' OR OLD."applied_to" IS NOT NULL THEN
            RETURN NEW;
        END IF;
    END IF;
    item := pg_catalog.jsonb_build_object(
        'job_id', NEW."id", 'text', NEW."result",
        'at', pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
    IF true THEN
        source_id := NEW."post_id";
        IF source_id IS NOT NULL THEN
            -- One statement: the row lock serializes concurrent appends to one parent.
            -- Same owner only: the definer bypasses RLS, so the owner is checked here.
            UPDATE "public"."posts" AS p
               SET "summaries" = pg_catalog.jsonb_set(
                       COALESCE(p."summaries", '{}'::jsonb), '{"items"}',
                       COALESCE(p."summaries" -> 'items', '[]'::jsonb) || pg_catalog.jsonb_build_array(item)),
                   "summary_tokens" = COALESCE(p."summary_tokens", 0) + COALESCE(NEW."tokens", 0)
             WHERE p."id" = source_id AND p."user_id" = NEW."user_id"
            RETURNING p."id" INTO target;
        END IF;
    END IF;
    IF target IS NULL THEN
        -- No valid source (none, missing, deleted, another owner's): a new parent for the child's owner.
        INSERT INTO "public"."posts" ("user_id", "summaries", "summary_tokens")
        VALUES (
            NEW."user_id",
            pg_catalog.jsonb_build_object('items', pg_catalog.jsonb_build_array(item)),
            COALESCE(NEW."tokens", 0)
        )
        RETURNING "id" INTO target;
    END IF;
    NEW."applied_to" := target;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."save_summary_to_post"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:e973515c8e6ed48cec4dcb4aaf746ee72f0a05d4ba7b21c8809122a4d03c35f0","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_post_comments\"()"],"key":"function invariants.count_post_comments()","kind":"trigger function","source":"CounterCache(post_comments)"}
CREATE OR REPLACE FUNCTION "invariants"."count_post_comments"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    old_key uuid;
    new_key uuid;
    comment_count_old bigint;
    comment_count_new bigint;
BEGIN
    -- Counter cache post_comments: "public"."comments" → "public"."posts".
    IF TG_OP = 'INSERT' THEN
        IF NEW."hidden" = 'false' THEN
            UPDATE "public"."posts" AS p SET
                "comment_count" = p."comment_count"
                    + CASE WHEN NEW."hidden" = 'false' THEN 1::bigint ELSE 0::bigint END
            WHERE p."id" = NEW."post_id";
            IF NOT FOUND AND NEW."post_id" IS NOT NULL THEN
                RAISE EXCEPTION 'counter %: % row % does not exist',
                    'post_comments', '"public"."posts"', NEW."post_id"
                    USING ERRCODE = 'IV404';
            END IF;
        END IF;
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD."hidden" = 'false' THEN
            UPDATE "public"."posts" AS p SET
                "comment_count" = p."comment_count"
                    - CASE WHEN OLD."hidden" = 'false' THEN 1::bigint ELSE 0::bigint END
            WHERE p."id" = OLD."post_id";
        END IF;
        RETURN NULL;
    END IF;
    -- An UPDATE of the child.
    old_key := OLD."post_id";
    comment_count_old := CASE WHEN OLD."hidden" = 'false' THEN 1::bigint ELSE 0::bigint END;
    new_key := NEW."post_id";
    comment_count_new := CASE WHEN NEW."hidden" = 'false' THEN 1::bigint ELSE 0::bigint END;

    IF old_key IS NOT DISTINCT FROM new_key THEN
        -- Same parent (or none): one UPDATE with the net change.
        IF new_key IS NOT NULL AND (comment_count_new - comment_count_old <> 0) THEN
            UPDATE "public"."posts" AS p SET
                "comment_count" = p."comment_count" + (comment_count_new - comment_count_old)
            WHERE p."id" = new_key;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'counter %: % row % does not exist',
                    'post_comments', '"public"."posts"', new_key
                    USING ERRCODE = 'IV404';
            END IF;
        END IF;
        RETURN NULL;
    END IF;

    -- A move between two parents: lock both in key order, so two opposite moves
    -- cannot deadlock.
    IF old_key IS NOT NULL AND new_key IS NOT NULL THEN
        PERFORM 1 FROM "public"."posts" AS p
        WHERE p."id" IN (old_key, new_key)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
    END IF;
    IF old_key IS NOT NULL AND (comment_count_old <> 0) THEN
        -- No row: the parent is being deleted (a cascade) — nothing to keep.
        UPDATE "public"."posts" AS p SET
            "comment_count" = p."comment_count" + (-comment_count_old)
        WHERE p."id" = old_key;
    END IF;
    IF new_key IS NOT NULL AND (comment_count_new <> 0) THEN
        UPDATE "public"."posts" AS p SET
            "comment_count" = p."comment_count" + comment_count_new
        WHERE p."id" = new_key;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'counter %: % row % does not exist',
                'post_comments', '"public"."posts"', new_key
                USING ERRCODE = 'IV404';
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_post_comments"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:bc7eeca9cd1d1f113f259e209cacc844009444b9fd407a33fcca6b32956dda23","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_post_comments_truncate\"()"],"key":"function invariants.count_post_comments_truncate()","kind":"trigger function","source":"CounterCache(post_comments)"}
CREATE OR REPLACE FUNCTION "invariants"."count_post_comments_truncate"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    -- Counter cache post_comments: "public"."comments" was truncated, so every count is zero.
    UPDATE "public"."posts" SET
        "comment_count" = 0
    WHERE "comment_count" <> 0;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_post_comments_truncate"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:7d2291739a3370b55f982dfce7741b30fdefcea9208af1e5381b4e622262149f","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_post_votes\"()"],"key":"function invariants.count_post_votes()","kind":"trigger function","source":"CounterCache(post_votes)"}
CREATE OR REPLACE FUNCTION "invariants"."count_post_votes"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    old_key uuid;
    new_key uuid;
    vote_score_old numeric;
    vote_score_new numeric;
BEGIN
    -- Counter cache post_votes: "public"."votes" → "public"."posts".
    IF TG_OP = 'INSERT' THEN
        IF NEW."value" <> 0 THEN
            UPDATE "public"."posts" AS p SET
                "vote_score" = p."vote_score" + COALESCE(NEW."value", 0)::numeric
            WHERE p."id" = NEW."post_id";
            IF NOT FOUND AND NEW."post_id" IS NOT NULL THEN
                RAISE EXCEPTION 'counter %: % row % does not exist',
                    'post_votes', '"public"."posts"', NEW."post_id"
                    USING ERRCODE = 'IV404';
            END IF;
        END IF;
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD."value" <> 0 THEN
            UPDATE "public"."posts" AS p SET
                "vote_score" = p."vote_score" - COALESCE(OLD."value", 0)::numeric
            WHERE p."id" = OLD."post_id";
        END IF;
        RETURN NULL;
    END IF;
    -- An UPDATE of the child.
    old_key := OLD."post_id";
    vote_score_old := COALESCE(OLD."value", 0)::numeric;
    new_key := NEW."post_id";
    vote_score_new := COALESCE(NEW."value", 0)::numeric;

    IF old_key IS NOT DISTINCT FROM new_key THEN
        -- Same parent (or none): one UPDATE with the net change.
        IF new_key IS NOT NULL AND (vote_score_new - vote_score_old <> 0) THEN
            UPDATE "public"."posts" AS p SET
                "vote_score" = p."vote_score" + (vote_score_new - vote_score_old)
            WHERE p."id" = new_key;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'counter %: % row % does not exist',
                    'post_votes', '"public"."posts"', new_key
                    USING ERRCODE = 'IV404';
            END IF;
        END IF;
        RETURN NULL;
    END IF;

    -- A move between two parents: lock both in key order, so two opposite moves
    -- cannot deadlock.
    IF old_key IS NOT NULL AND new_key IS NOT NULL THEN
        PERFORM 1 FROM "public"."posts" AS p
        WHERE p."id" IN (old_key, new_key)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
    END IF;
    IF old_key IS NOT NULL AND (vote_score_old <> 0) THEN
        -- No row: the parent is being deleted (a cascade) — nothing to keep.
        UPDATE "public"."posts" AS p SET
            "vote_score" = p."vote_score" + (-vote_score_old)
        WHERE p."id" = old_key;
    END IF;
    IF new_key IS NOT NULL AND (vote_score_new <> 0) THEN
        UPDATE "public"."posts" AS p SET
            "vote_score" = p."vote_score" + vote_score_new
        WHERE p."id" = new_key;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'counter %: % row % does not exist',
                'post_votes', '"public"."posts"', new_key
                USING ERRCODE = 'IV404';
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_post_votes"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:774dc3ead2672cd36e3b1fe3642e1158cb29417c152da2153f54ec31b4012ad8","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_post_votes_truncate\"()"],"key":"function invariants.count_post_votes_truncate()","kind":"trigger function","source":"CounterCache(post_votes)"}
CREATE OR REPLACE FUNCTION "invariants"."count_post_votes_truncate"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    -- Counter cache post_votes: "public"."votes" was truncated, so every count is zero.
    UPDATE "public"."posts" SET
        "vote_score" = 0
    WHERE "vote_score" <> 0;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_post_votes_truncate"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:1936c23234763184971c85b3629d0dbc575c83124004381ffd8612b68ecfb697","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"touch_public_posts_updated_at\"()"],"key":"function invariants.touch_public_posts_updated_at()","kind":"trigger function","source":"UpdatedAt(table: public.posts, column: updated_at)"}
CREATE OR REPLACE FUNCTION "invariants"."touch_public_posts_updated_at"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant updated_at on column updated_at: the server clock owns it.
    IF TG_OP = 'INSERT' THEN
        NEW."updated_at" := pg_catalog.now();
        RETURN NEW;
    END IF;
    -- Keep the old value; bump it only when something else changed.
    -- Record-image equality (*=) works for every column type, json included.
    NEW."updated_at" := OLD."updated_at";
    -- Stored generated columns are NULL in NEW until after this trigger.
    NEW."summary" := OLD."summary";
    IF NEW *= OLD THEN
        RETURN NEW;
    END IF;
    NEW."updated_at" := pg_catalog.now();
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."touch_public_posts_updated_at"() FROM PUBLIC;

