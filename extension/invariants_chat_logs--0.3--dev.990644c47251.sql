-- Extension invariants_chat_logs upgrade 0.3 → dev.990644c47251: 0 function(s) dropped,
-- 1 created or replaced, 4 unchanged.
-- Generated from the Swift declarations; do not edit by hand.
-- Apply: ALTER EXTENSION invariants_chat_logs UPDATE TO 'dev.990644c47251';
-- (`invariants migrate --stored-logic extension` first drops the triggers and other
-- objects that still use a dropped function, then updates, then re-creates them.)
\echo Use "CREATE EXTENSION invariants_chat_logs" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_chat_logs holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_chat_logs';
    END IF;
END
$guard$;

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

