-- Extension invariants_chat_logs, version dev.e0c1a1e7cc17: the stored functions (and their EXECUTE
-- grants) of the declared invariants. Tables, triggers, policies and views come
-- from the migrations and the repeatable set, never from the extension.
--
-- Generated from the Swift declarations; do not edit by hand. A released version's
-- script is frozen (never rendered again), like a released migration.
-- Install: make -C extension install; then, after the migrations,
--   CREATE EXTENSION invariants_chat_logs VERSION 'dev.e0c1a1e7cc17';
-- (or `invariants migrate --stored-logic extension`, which also writes the ledger).
\echo Use "CREATE EXTENSION invariants_chat_logs" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_chat_logs holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_chat_logs';
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
        '"invariants"."chat_logs_validate"()',
        '"public"."log_chat"(uuid, text, text, jsonb, integer, integer, numeric, text)',
        '"invariants"."saved_chats_copy"()',
        '"public"."save_chat"(bigint, text)',
        '"invariants"."chat_logs_usage"()'
    ]::text[] LOOP
        f := pg_catalog.to_regprocedure(sig);
        CONTINUE WHEN f IS NULL;
        SELECT e.extname INTO holder FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = f
          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e';
        IF holder IS NOT NULL THEN
            RAISE EXCEPTION 'function % belongs to extension %, not to invariants_chat_logs', f, holder
                USING HINT = CASE WHEN holder = 'invariants' THEN 'ALTER EXTENSION invariants UPDATE TO ''modules'' first (invariants migrate --stored-logic extension does it)' ELSE 'a function belongs to one extension at a time' END;
        END IF;
        EXECUTE pg_catalog.format('ALTER EXTENSION %I ADD FUNCTION %s', 'invariants_chat_logs', f);
    END LOOP;
END
$adopt$;

-- invariants:object {"checksum":"sha256:fea7431ac9b01c74757e3cc2327ee4e641274db6458bde3864a87a50cc37d8a4","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"chat_logs_validate\"()"],"key":"function invariants.chat_logs_validate()","kind":"function","source":"ChatLogs.ChatLogsLogging"}
CREATE OR REPLACE FUNCTION "invariants"."chat_logs_validate"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Runs before the CHECK backstops so that the client gets IV422 with the field name.
    IF pg_catalog.jsonb_typeof(NEW.tools_used) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'tools_used must be a JSON array of objects with a "name", got %',
            COALESCE(pg_catalog.jsonb_typeof(NEW.tools_used), 'null')
            USING ERRCODE = 'IV422', COLUMN = 'tools_used';
    END IF;
    -- strict: a nested array is not unwrapped into objects; lax: a missing "name" is no error.
    IF pg_catalog.jsonb_path_exists(NEW.tools_used, 'strict $[*] ? (@.type() != "object")')
       OR pg_catalog.jsonb_path_exists(NEW.tools_used, 'lax $[*] ? (!(@.name.type() == "string" && @.name != ""))') THEN
        RAISE EXCEPTION 'tools_used must be a JSON array of objects, each with a non-empty string "name"'
            USING ERRCODE = 'IV422', COLUMN = 'tools_used';
    END IF;
    IF NEW.input_tokens < 0 THEN
        RAISE EXCEPTION 'input_tokens must not be negative, got %', NEW.input_tokens
            USING ERRCODE = 'IV422', COLUMN = 'input_tokens';
    END IF;
    IF NEW.output_tokens < 0 THEN
        RAISE EXCEPTION 'output_tokens must not be negative, got %', NEW.output_tokens
            USING ERRCODE = 'IV422', COLUMN = 'output_tokens';
    END IF;
    IF NEW.cost < 0 THEN
        RAISE EXCEPTION 'cost must not be negative, got %', NEW.cost
            USING ERRCODE = 'IV422', COLUMN = 'cost';
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."chat_logs_validate"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:40577a9a6609024fd2a1f1b9790d664b80e047983d18010b3d5b3dcdcb87e3bd","drop":["DROP FUNCTION IF EXISTS \"public\".\"log_chat\"(uuid, text, text, jsonb, integer, integer, numeric, text)"],"key":"function public.log_chat(uuid, text, text, jsonb, integer, integer, numeric, text)","kind":"function","source":"ChatLogs.ChatLogsLogging"}
CREATE OR REPLACE FUNCTION "public"."log_chat"(
    "p_user_id" uuid,
    "p_question" text,
    "p_response" text,
    "p_tools_used" jsonb,
    "p_input_tokens" integer,
    "p_output_tokens" integer,
    "p_cost" numeric,
    "p_model" text
)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
DECLARE
    new_id bigint;
BEGIN
    -- Checked here: varchar(50) would refuse it with 22001, which names no field.
    IF pg_catalog.char_length(p_model) > 50 THEN
        RAISE EXCEPTION 'model must be at most 50 characters, got %', pg_catalog.char_length(p_model)
            USING ERRCODE = 'IV422', COLUMN = 'model';
    END IF;
    INSERT INTO public.chat_logs
        (user_id, question, response, tools_used, input_tokens, output_tokens, cost, model)
    VALUES (p_user_id, p_question, p_response, COALESCE(p_tools_used, '[]'::jsonb),
            p_input_tokens, p_output_tokens, p_cost, p_model)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."log_chat"(uuid, text, text, jsonb, integer, integer, numeric, text)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."log_chat"(uuid, text, text, jsonb, integer, integer, numeric, text)
    TO "service_role";

-- invariants:object {"checksum":"sha256:2960a5a22c0e4ce9396dcecac755295d6fbe3f02f424e731af2085278d6e9199","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"saved_chats_copy\"()"],"key":"function invariants.saved_chats_copy()","kind":"function","source":"ChatLogs.ChatLogsSaving"}
CREATE OR REPLACE FUNCTION "invariants"."saved_chats_copy"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
DECLARE
    log record;
BEGIN
    -- A standalone save (no log) keeps the text the client sent.
    IF NEW.chat_log_id IS NULL THEN
        RETURN NEW;
    END IF;
    -- Ownership is checked here, not only by RLS: service_role bypasses RLS.
    SELECT l.question, l.response INTO log
      FROM public.chat_logs AS l
     WHERE l.id = NEW.chat_log_id AND l.user_id = NEW.user_id;
    IF NOT FOUND THEN
        -- Same answer for another user's log and a missing one.
        RAISE EXCEPTION 'chat log % not found', NEW.chat_log_id
            USING ERRCODE = 'IV404', COLUMN = 'chat_log_id';
    END IF;
    -- Whatever the client sent, the favorite is a copy of the log.
    NEW.question := log.question;
    NEW.response := log.response;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."saved_chats_copy"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:dc99861a5111d0e716353f98c4c7da627d723bd5762efcfd6ec3f84c92d143fd","drop":["DROP FUNCTION IF EXISTS \"public\".\"save_chat\"(bigint, text)"],"key":"function public.save_chat(bigint, text)","kind":"function","source":"ChatLogs.ChatLogsSaving"}
CREATE OR REPLACE FUNCTION "public"."save_chat"("p_chat_log_id" bigint, "p_note" text)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
DECLARE
    new_id bigint;
BEGIN
    -- Checked here: varchar(500) would refuse it with 22001, which names no field.
    IF pg_catalog.char_length(p_note) > 500 THEN
        RAISE EXCEPTION 'note must be at most 500 characters, got %', pg_catalog.char_length(p_note)
            USING ERRCODE = 'IV422', COLUMN = 'note';
    END IF;
    IF p_chat_log_id IS NULL THEN
        RAISE EXCEPTION 'chat_log_id is required' USING ERRCODE = 'IV422', COLUMN = 'chat_log_id';
    END IF;
    -- Invoker rights: RLS's WITH CHECK and the copy trigger apply as to a direct insert.
    -- A log saved twice is the caller's conflict (IV409 naming it), not a raw 23505.
    INSERT INTO public.saved_chats (user_id, chat_log_id, note)
    VALUES (auth.uid(), p_chat_log_id, p_note)
    ON CONFLICT (user_id, chat_log_id) DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        RAISE EXCEPTION 'chat log % is already saved', p_chat_log_id
            USING ERRCODE = 'IV409', COLUMN = 'chat_log_id';
    END IF;
    RETURN new_id;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."save_chat"(bigint, text) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."save_chat"(bigint, text) TO "authenticated";

-- invariants:object {"checksum":"sha256:a8a87c2c214b760f38fc80a61cc37f0c603f2fb9d16e641f87132c9139441933","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"chat_logs_usage\"()"],"key":"function invariants.chat_logs_usage()","kind":"function","source":"ChatLogs.ChatLogsUsage"}
CREATE OR REPLACE FUNCTION "invariants"."chat_logs_usage"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    alert_id uuid;
    changed bigint;
    total numeric;
    cost_limit numeric;
    log_day date;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        -- When the owner itself is being deleted, usage_daily goes by the same cascade
        -- (in either order): there is nothing left to keep exact.
        IF EXISTS (SELECT 1 FROM auth.users AS u WHERE u.id = OLD.user_id) THEN
            log_day := (OLD.created_at AT TIME ZONE 'UTC')::date;
            UPDATE public.usage_daily AS d
               SET requests = d.requests - 1,
                   input_tokens = d.input_tokens - COALESCE(OLD.input_tokens, 0),
                   output_tokens = d.output_tokens - COALESCE(OLD.output_tokens, 0),
                   cost = d.cost - COALESCE(OLD.cost, 0)
             WHERE d.user_id = OLD.user_id AND d.day = log_day;
            GET DIAGNOSTICS changed = ROW_COUNT;
            IF changed <> 1 THEN
                RAISE EXCEPTION 'usage_daily for user % on % matched % rows, expected 1',
                    OLD.user_id, log_day, changed
                    USING HINT = 'usage_daily drifted from chat_logs; repair it before retrying';
            END IF;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        log_day := (NEW.created_at AT TIME ZONE 'UTC')::date;
        INSERT INTO public.usage_daily AS d (user_id, day, requests, input_tokens, output_tokens, cost)
        VALUES (NEW.user_id, log_day, 1, COALESCE(NEW.input_tokens, 0),
                COALESCE(NEW.output_tokens, 0), COALESCE(NEW.cost, 0))
        ON CONFLICT (user_id, day) DO UPDATE
           SET requests = d.requests + 1,
               input_tokens = d.input_tokens + EXCLUDED.input_tokens,
               output_tokens = d.output_tokens + EXCLUDED.output_tokens,
               cost = d.cost + EXCLUDED.cost
        RETURNING d.cost INTO total;
        GET DIAGNOSTICS changed = ROW_COUNT;
        IF changed <> 1 THEN
            RAISE EXCEPTION 'usage_daily for user % on % matched % rows, expected 1',
                NEW.user_id, log_day, changed;
        END IF;
        IF COALESCE(NEW.cost, 0) > 0 THEN
            SELECT t.daily_cost_limit INTO cost_limit
              FROM public.usage_thresholds AS t
             WHERE t.user_id = NEW.user_id;
            -- Only the log that takes the total across the limit notifies.
            IF cost_limit IS NOT NULL AND total > cost_limit AND total - NEW.cost <= cost_limit THEN
                INSERT INTO public.cost_alerts (user_id, day, cost, daily_cost_limit)
                VALUES (NEW.user_id, log_day, total, cost_limit)
                RETURNING id INTO alert_id;
                PERFORM pg_catalog.pg_notify('invariants_cost_alerts',
                    pg_catalog.json_build_object('alert_id', alert_id)::text);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."chat_logs_usage"() FROM PUBLIC, "anon", "authenticated", "service_role";

