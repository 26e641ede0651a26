-- Invariants extension, version 0.2: the stored functions (and their EXECUTE
-- grants) of the declared invariants. Tables, triggers, policies and views come
-- from the migrations and the repeatable set, never from the extension.
--
-- Generated from the Swift declarations; do not edit by hand. A released version's
-- script is frozen (never rendered again), like a released migration.
-- Install: make -C extension install; then, after the migrations,
--   CREATE EXTENSION invariants VERSION '0.2';
-- (or `invariants migrate --stored-logic extension`, which also writes the ledger).
\echo Use "CREATE EXTENSION invariants" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each sql/migrations file), then CREATE EXTENSION invariants';
    END IF;
END
$guard$;
-- invariants:object {"checksum":"sha256:941e92ba43876a55e349e4b5b58c03616377e2a13750f04c896fefafba02b52d","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"call_as\"(text, text, text, text[])"],"key":"function invariants.call_as(text, text, text, text[])","kind":"function","source":"InvariantsCatalog.CoreCallAs"}
CREATE OR REPLACE FUNCTION "invariants"."call_as"("p_role" text, "p_claims" text, "p_statement" text, "p_arguments" text[])
    RETURNS SETOF record
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
DECLARE
    previous_role   text := pg_catalog.current_setting('role');
    previous_claims text := pg_catalog.current_setting('request.jwt.claims', true);
BEGIN
    IF p_role IS NULL OR p_role NOT IN ('anon', 'authenticated', 'service_role') THEN
        RAISE EXCEPTION 'role % is not a request role (%)', p_role, 'anon, authenticated, service_role'
            USING ERRCODE = 'IV422', COLUMN = 'role';
    END IF;
    PERFORM pg_catalog.set_config('role', p_role, true),
            pg_catalog.set_config('request.jwt.claims', p_claims, true);
    -- $1 of the statement is p_arguments; the statement casts its elements.
    RETURN QUERY EXECUTE p_statement USING p_arguments;
    PERFORM pg_catalog.set_config('role', previous_role, true),
            pg_catalog.set_config('request.jwt.claims', COALESCE(previous_claims, ''), true);
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."call_as"(text, text, text, text[]) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:84a3100e5c9e211dd9f32dd25897b1136fb2e4ba99c84cbf7b15b5d72631b676","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"session_config_problem\"(jsonb)"],"key":"function invariants.session_config_problem(jsonb)","kind":"function","source":"InvariantsCatalog.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "invariants"."session_config_problem"("p_config" jsonb)
    RETURNS text
    LANGUAGE sql
    IMMUTABLE
    SET search_path = ''
AS $fn$
SELECT CASE
    WHEN p_config IS NULL OR pg_catalog.jsonb_typeof(p_config) <> 'object'
        THEN 'session_config must be a JSON object'
    WHEN NOT p_config ?& ARRAY['selectedModels', 'perModelSettings']
        THEN 'session_config needs the keys selectedModels and perModelSettings'
    WHEN (p_config - 'selectedModels' - 'perModelSettings') <> '{}'::jsonb
        THEN 'session_config has unknown keys: ' || (SELECT pg_catalog.string_agg(k, ', ' ORDER BY k) FROM pg_catalog.jsonb_object_keys(p_config - 'selectedModels' - 'perModelSettings') AS k)
    WHEN pg_catalog.jsonb_typeof(p_config -> 'selectedModels') <> 'array'
        THEN 'selectedModels must be an array of model ids'
    WHEN pg_catalog.jsonb_typeof(p_config -> 'perModelSettings') <> 'object'
        THEN 'perModelSettings must be an object keyed by model id'
    WHEN pg_catalog.jsonb_array_length(p_config -> 'selectedModels') > 64
        THEN 'selectedModels holds more than 64 models'
    WHEN EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(p_config -> 'selectedModels') AS e
                 WHERE pg_catalog.jsonb_typeof(e) <> 'string' OR pg_catalog.char_length(e #>> '{}') NOT BETWEEN 1 AND 200)
        THEN 'selectedModels must hold model ids of 1 to 200 characters'
    WHEN (SELECT pg_catalog.count(DISTINCT e) <> pg_catalog.count(*) FROM pg_catalog.jsonb_array_elements_text(p_config -> 'selectedModels') AS e)
        THEN 'selectedModels lists a model twice'
    WHEN EXISTS (SELECT 1 FROM pg_catalog.jsonb_each(p_config -> 'perModelSettings') AS s
                 WHERE pg_catalog.jsonb_typeof(s.value) <> 'object')
        THEN 'perModelSettings values must be objects'
    WHEN EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(p_config -> 'perModelSettings') AS k
                 WHERE NOT (p_config -> 'selectedModels') ? k)
        THEN 'perModelSettings has settings for a model that is not selected'
    WHEN pg_catalog.octet_length(p_config::text) > 65536
        THEN 'session_config is larger than 64 kB'
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."session_config_problem"(jsonb) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:e9d3ec569598778118fe55c65b9414ec5fb60ba46ace3a3038b18aa9ba244e71","drop":["DROP FUNCTION IF EXISTS \"public\".\"record_model_response\"(uuid, text)"],"key":"function public.record_model_response(uuid, text)","kind":"function","source":"InvariantsCatalog.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."record_model_response"("p_session_id" uuid, "p_model_id" text)
    RETURNS TABLE (response_count bigint, first_used_at timestamp with time zone, last_used_at timestamp with time zone)
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
#variable_conflict use_column
DECLARE
    v_user uuid;
    v_config jsonb;
BEGIN
    IF p_model_id IS NULL OR pg_catalog.char_length(p_model_id) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'model_id must be 1 to 200 characters'
            USING ERRCODE = 'IV422', COLUMN = 'model_id';
    END IF;
    -- FOR SHARE: waits for a dismiss or delete of this session in flight, then sees its result.
    SELECT s.user_id, s.session_config INTO v_user, v_config
    FROM public.sessions AS s WHERE s.id = p_session_id
    FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'session % not found', p_session_id USING ERRCODE = 'IV404', COLUMN = 'session_id';
    END IF;
    IF NOT (v_config -> 'selectedModels') ? p_model_id THEN
        RAISE EXCEPTION 'model % is not on the panel of session %', p_model_id, p_session_id
            USING ERRCODE = 'IV404', COLUMN = 'model_id';
    END IF;
    RETURN QUERY
    INSERT INTO public.model_statistics AS t (user_id, model_id, session_id, response_count, first_used_at, last_used_at)
    VALUES (v_user, p_model_id, p_session_id, 1, pg_catalog.now(), pg_catalog.now())
    ON CONFLICT (user_id, model_id, session_id) DO UPDATE SET
        response_count = t.response_count + 1,
        first_used_at = COALESCE(t.first_used_at, EXCLUDED.first_used_at),
        last_used_at = EXCLUDED.last_used_at
    RETURNING t.response_count, t.first_used_at, t.last_used_at;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."record_model_response"(uuid, text) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."record_model_response"(uuid, text) TO "service_role";

-- invariants:object {"checksum":"sha256:633e2dae749116ddf02f04a79f1203ad1aa451ff37e886bb0afe6d7686c7e00c","drop":["DROP FUNCTION IF EXISTS \"public\".\"dismiss_model\"(uuid, text, text)"],"key":"function public.dismiss_model(uuid, text, text)","kind":"function","source":"InvariantsCatalog.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."dismiss_model"("p_session_id" uuid, "p_model_id" text, "p_note" text)
    RETURNS TABLE (dismissed boolean, config_version bigint, selected_models text[], dismissal_count bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
#variable_conflict use_column
DECLARE
    v_user uuid := (SELECT auth.uid());
    v_config jsonb;
    v_version bigint;
    v_count bigint;
    v_dismissed boolean := false;
    v_rows bigint;
BEGIN
    IF p_model_id IS NULL OR pg_catalog.char_length(p_model_id) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'model_id must be 1 to 200 characters'
            USING ERRCODE = 'IV422', COLUMN = 'model_id';
    END IF;
    IF pg_catalog.char_length(p_note) > 500 THEN
        RAISE EXCEPTION 'note must be at most 500 characters, got %', pg_catalog.char_length(p_note)
            USING ERRCODE = 'IV422', COLUMN = 'note';
    END IF;
    SELECT s.session_config, s.config_version INTO v_config, v_version
    FROM public.sessions AS s WHERE s.id = p_session_id AND s.user_id = v_user
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'session % not found', p_session_id USING ERRCODE = 'IV404', COLUMN = 'session_id';
    END IF;
    IF (v_config -> 'selectedModels') ? p_model_id THEN
        UPDATE public.sessions AS s SET
            session_config = pg_catalog.jsonb_build_object(
                'selectedModels', (SELECT COALESCE(pg_catalog.jsonb_agg(e.value ORDER BY e.ordinality), '[]'::jsonb)
                                   FROM pg_catalog.jsonb_array_elements_text(v_config -> 'selectedModels') WITH ORDINALITY AS e
                                   WHERE e.value <> p_model_id),
                'perModelSettings', (v_config -> 'perModelSettings') - p_model_id),
            config_version = s.config_version + 1
        WHERE s.id = p_session_id
        RETURNING s.session_config, s.config_version INTO v_config, v_version;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        IF v_rows <> 1 THEN
            RAISE EXCEPTION 'dismiss_model: % session rows updated, expected 1', v_rows;
        END IF;
        INSERT INTO public.model_statistics AS t (user_id, model_id, session_id, dismissal_count, last_dismissal_note, last_dismissed_at)
        VALUES (v_user, p_model_id, p_session_id, 1, p_note, pg_catalog.now())
        ON CONFLICT (user_id, model_id, session_id) DO UPDATE SET
            dismissal_count = t.dismissal_count + 1,
            last_dismissal_note = EXCLUDED.last_dismissal_note,
            last_dismissed_at = EXCLUDED.last_dismissed_at
        RETURNING t.dismissal_count INTO v_count;
        IF v_count IS NULL THEN
            RAISE EXCEPTION 'dismiss_model: no statistics row written';
        END IF;
        v_dismissed := true;
    ELSE
        SELECT t.dismissal_count INTO v_count FROM public.model_statistics AS t
        WHERE t.user_id = v_user AND t.model_id = p_model_id AND t.session_id = p_session_id;
        IF NOT FOUND OR v_count = 0 THEN
            RAISE EXCEPTION 'model % is not on the panel of session %', p_model_id, p_session_id
                USING ERRCODE = 'IV404', COLUMN = 'model_id';
        END IF;
    END IF;
    RETURN QUERY SELECT v_dismissed, v_version,
        ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_config -> 'selectedModels')), v_count;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."dismiss_model"(uuid, text, text) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."dismiss_model"(uuid, text, text) TO "authenticated";

-- invariants:object {"checksum":"sha256:07f8a9b8c9ba9c73f10d085cb6246325ac11d71cab5754cfb17171510354b458","drop":["DROP FUNCTION IF EXISTS \"public\".\"set_session_models\"(uuid, text[], bigint)"],"key":"function public.set_session_models(uuid, text[], bigint)","kind":"function","source":"InvariantsCatalog.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."set_session_models"("p_session_id" uuid, "p_models" text[], "p_expected_version" bigint)
    RETURNS TABLE (config_version bigint, selected_models text[])
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
#variable_conflict use_column
DECLARE
    v_user uuid := (SELECT auth.uid());
    v_config jsonb;
    v_version bigint;
    v_rows bigint;
BEGIN
    IF p_models IS NULL OR pg_catalog.array_ndims(p_models) > 1 OR pg_catalog.cardinality(p_models) > 64 THEN
        RAISE EXCEPTION 'models must be a list of at most 64 model ids' USING ERRCODE = 'IV422', COLUMN = 'models';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(p_models) AS m WHERE m IS NULL OR pg_catalog.char_length(m) NOT BETWEEN 1 AND 200) THEN
        RAISE EXCEPTION 'every model id must be 1 to 200 characters' USING ERRCODE = 'IV422', COLUMN = 'models';
    END IF;
    IF (SELECT pg_catalog.count(DISTINCT m) FROM pg_catalog.unnest(p_models) AS m) <> pg_catalog.cardinality(p_models) THEN
        RAISE EXCEPTION 'models lists a model twice' USING ERRCODE = 'IV422', COLUMN = 'models';
    END IF;
    IF p_expected_version IS NULL THEN
        RAISE EXCEPTION 'expected_version is required' USING ERRCODE = 'IV422', COLUMN = 'expected_version';
    END IF;
    SELECT s.session_config, s.config_version INTO v_config, v_version
    FROM public.sessions AS s WHERE s.id = p_session_id AND s.user_id = v_user
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'session % not found', p_session_id USING ERRCODE = 'IV404', COLUMN = 'session_id';
    END IF;
    IF v_version <> p_expected_version THEN
        RAISE EXCEPTION 'the panel of session % changed: version % is stale, current is %', p_session_id, p_expected_version, v_version
            USING ERRCODE = 'IV409', COLUMN = 'expected_version',
                  DETAIL = pg_catalog.format('current version %s', v_version);
    END IF;
    IF (v_config -> 'selectedModels') <> pg_catalog.to_jsonb(p_models) THEN
        UPDATE public.sessions AS s SET
            session_config = pg_catalog.jsonb_build_object(
                'selectedModels', pg_catalog.to_jsonb(p_models),
                'perModelSettings', (SELECT COALESCE(pg_catalog.jsonb_object_agg(e.key, e.value), '{}'::jsonb)
                                     FROM pg_catalog.jsonb_each(v_config -> 'perModelSettings') AS e
                                     WHERE e.key = ANY (p_models))),
            config_version = s.config_version + 1
        WHERE s.id = p_session_id
        RETURNING s.session_config, s.config_version INTO v_config, v_version;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        IF v_rows <> 1 THEN
            RAISE EXCEPTION 'set_session_models: % session rows updated, expected 1', v_rows;
        END IF;
    END IF;
    RETURN QUERY SELECT v_version, ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_config -> 'selectedModels'));
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."set_session_models"(uuid, text[], bigint) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."set_session_models"(uuid, text[], bigint) TO "authenticated";

-- invariants:object {"checksum":"sha256:51117e3410c51d4572cf041ac38c6bfe40965e17970484a0e22b6687f997bdd2","drop":["DROP FUNCTION IF EXISTS \"public\".\"add_brains\"(uuid, text, integer)"],"key":"function public.add_brains(uuid, text, integer)","kind":"function","source":"InvariantsCatalog.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."add_brains"("p_session_id" uuid, "p_model_id" text, "p_brains" integer)
    RETURNS TABLE (total_brains bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
#variable_conflict use_column
DECLARE
    v_user uuid := (SELECT auth.uid());
    v_total bigint;
BEGIN
    IF p_brains IS NULL OR p_brains < 1 OR p_brains > 1000 THEN
        RAISE EXCEPTION 'brains must be between 1 and 1000, got %', COALESCE(p_brains::text, 'NULL')
            USING ERRCODE = 'IV422', COLUMN = 'brains';
    END IF;
    IF p_model_id IS NULL OR pg_catalog.char_length(p_model_id) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'model_id must be 1 to 200 characters'
            USING ERRCODE = 'IV422', COLUMN = 'model_id';
    END IF;
    PERFORM 1 FROM public.sessions AS s WHERE s.id = p_session_id AND s.user_id = v_user FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'session % not found', p_session_id USING ERRCODE = 'IV404', COLUMN = 'session_id';
    END IF;
    UPDATE public.model_statistics AS t SET total_brains = t.total_brains + p_brains
    WHERE t.user_id = v_user AND t.model_id = p_model_id AND t.session_id = p_session_id
    RETURNING t.total_brains INTO v_total;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model % has no record in session %', p_model_id, p_session_id
            USING ERRCODE = 'IV404', COLUMN = 'model_id';
    END IF;
    RETURN QUERY SELECT v_total;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."add_brains"(uuid, text, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."add_brains"(uuid, text, integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:1bf7d1670853921fa43edbdc0a5e0b0143f780481c1295f6ff0487eb06431cbf","drop":["DROP FUNCTION IF EXISTS \"public\".\"model_statistics_summary\"(text)"],"key":"function public.model_statistics_summary(text)","kind":"function","source":"InvariantsCatalog.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."model_statistics_summary"("p_model_id" text)
    RETURNS TABLE (model_id text, session_count bigint, response_count bigint, total_brains bigint, dismissal_count bigint, first_used_at timestamp with time zone, last_used_at timestamp with time zone)
    LANGUAGE sql
    STABLE
    SET search_path = ''
AS $fn$
SELECT t.model_id,
       pg_catalog.count(t.session_id) + COALESCE(pg_catalog.sum(t.folded_session_count), 0)::bigint,
       pg_catalog.sum(t.response_count)::bigint,
       pg_catalog.sum(t.total_brains)::bigint,
       pg_catalog.sum(t.dismissal_count)::bigint,
       pg_catalog.min(t.first_used_at),
       pg_catalog.max(t.last_used_at)
FROM public.model_statistics AS t
WHERE t.user_id = (SELECT auth.uid()) AND (p_model_id IS NULL OR t.model_id = p_model_id)
GROUP BY t.model_id
ORDER BY t.model_id
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."model_statistics_summary"(text) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."model_statistics_summary"(text) TO "authenticated";

-- invariants:object {"checksum":"sha256:dfb4d23aae95e291873476bac2e6ffdddc1cec6011d3e30b4a9e3104cb0f1f60","drop":["DROP FUNCTION IF EXISTS \"public\".\"my_model_leaderboard\"(integer)"],"key":"function public.my_model_leaderboard(integer)","kind":"function","source":"InvariantsCatalog.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."my_model_leaderboard"("p_limit" integer)
    RETURNS TABLE (rank bigint, model_id text, response_count bigint, total_brains bigint, dismissal_count bigint)
    LANGUAGE plpgsql
    STABLE
    SET search_path = ''
AS $fn$
#variable_conflict use_column
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100' USING ERRCODE = 'IV422', COLUMN = 'limit';
    END IF;
    RETURN QUERY
    SELECT pg_catalog.row_number() OVER (ORDER BY m.total_brains DESC, m.response_count DESC, m.model_id),
           m.model_id, m.response_count, m.total_brains, m.dismissal_count
    FROM public.model_statistics_summary(NULL) AS m
    ORDER BY 1
    LIMIT p_limit;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."my_model_leaderboard"(integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."my_model_leaderboard"(integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:bd671340b3dfd0488c7fb2021d1de13bb5a3f6a6b95e853ce49799bdef480953","drop":["DROP FUNCTION IF EXISTS \"public\".\"global_model_leaderboard\"(integer, integer)"],"key":"function public.global_model_leaderboard(integer, integer)","kind":"function","source":"InvariantsCatalog.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."global_model_leaderboard"("p_min_users" integer, "p_limit" integer)
    RETURNS TABLE (rank bigint, model_id text, user_count bigint, response_count bigint, total_brains bigint, dismissal_count bigint)
    LANGUAGE plpgsql
    STABLE
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
#variable_conflict use_column
BEGIN
    IF p_min_users IS NULL OR p_min_users < 3 THEN
        RAISE EXCEPTION 'min_users must be at least 3, got %', COALESCE(p_min_users::text, 'NULL')
            USING ERRCODE = 'IV422', COLUMN = 'min_users';
    END IF;
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100' USING ERRCODE = 'IV422', COLUMN = 'limit';
    END IF;
    RETURN QUERY
    SELECT pg_catalog.row_number() OVER (ORDER BY g.total_brains DESC, g.response_count DESC, g.model_id),
           g.model_id, g.user_count, g.response_count, g.total_brains, g.dismissal_count
    FROM (
        SELECT t.model_id,
               pg_catalog.count(DISTINCT t.user_id) AS user_count,
               pg_catalog.sum(t.response_count)::bigint AS response_count,
               pg_catalog.sum(t.total_brains)::bigint AS total_brains,
               pg_catalog.sum(t.dismissal_count)::bigint AS dismissal_count
        FROM public.model_statistics AS t
        GROUP BY t.model_id
        HAVING pg_catalog.count(DISTINCT t.user_id) >= p_min_users
    ) AS g
    ORDER BY 1
    LIMIT p_limit;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."global_model_leaderboard"(integer, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."global_model_leaderboard"(integer, integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:fea7431ac9b01c74757e3cc2327ee4e641274db6458bde3864a87a50cc37d8a4","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"chat_logs_validate\"()"],"key":"function invariants.chat_logs_validate()","kind":"function","source":"InvariantsCatalog.ChatLogsLogging"}
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

-- invariants:object {"checksum":"sha256:abec4f992804bb647eca0e8c262e7ddf7728bdadf41864528a756fd6c505869a","drop":["DROP FUNCTION IF EXISTS \"public\".\"log_chat\"(uuid, text, text, jsonb, integer, integer, numeric, text)"],"key":"function public.log_chat(uuid, text, text, jsonb, integer, integer, numeric, text)","kind":"function","source":"InvariantsCatalog.ChatLogsLogging"}
CREATE OR REPLACE FUNCTION "public"."log_chat"("p_user_id" uuid, "p_question" text, "p_response" text, "p_tools_used" jsonb, "p_input_tokens" integer, "p_output_tokens" integer, "p_cost" numeric, "p_model" text)
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
REVOKE EXECUTE ON FUNCTION "public"."log_chat"(uuid, text, text, jsonb, integer, integer, numeric, text) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."log_chat"(uuid, text, text, jsonb, integer, integer, numeric, text) TO "service_role";

-- invariants:object {"checksum":"sha256:2960a5a22c0e4ce9396dcecac755295d6fbe3f02f424e731af2085278d6e9199","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"saved_chats_copy\"()"],"key":"function invariants.saved_chats_copy()","kind":"function","source":"InvariantsCatalog.ChatLogsSaving"}
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

-- invariants:object {"checksum":"sha256:37fc870558f4d65432ff9811f5cfd11ee716788f480e3651940230882bcdb3b4","drop":["DROP FUNCTION IF EXISTS \"public\".\"save_chat\"(bigint, text)"],"key":"function public.save_chat(bigint, text)","kind":"function","source":"InvariantsCatalog.ChatLogsSaving"}
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
    INSERT INTO public.saved_chats (user_id, chat_log_id, note)
    VALUES (auth.uid(), p_chat_log_id, p_note)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."save_chat"(bigint, text) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."save_chat"(bigint, text) TO "authenticated";

-- invariants:object {"checksum":"sha256:9b4b97ff4dc98386823d6848716efe7f8f906579f4c05c9bde6d8b9754653d3e","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"chat_logs_usage\"()"],"key":"function invariants.chat_logs_usage()","kind":"function","source":"InvariantsCatalog.ChatLogsUsage"}
CREATE OR REPLACE FUNCTION "invariants"."chat_logs_usage"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
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
                PERFORM pg_catalog.pg_notify('invariants_cost_alerts',
                    pg_catalog.json_build_object('user_id', NEW.user_id, 'day', log_day)::text);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."chat_logs_usage"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:27e4ea4b99a83daa5e0f9bb7057588fa386b67360b431e7338f3b0c56f5bb0cd","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"repair_gig_responses\"(uuid, uuid, boolean, uuid, integer)"],"key":"function invariants.repair_gig_responses(uuid, uuid, boolean, uuid, integer)","kind":"function","source":"CounterCache(gig_responses)"}
CREATE OR REPLACE FUNCTION "invariants"."repair_gig_responses"("p_parent" uuid, "p_scope" uuid, "p_force" boolean, "p_after" uuid, "p_batch" integer)
    RETURNS TABLE (checked bigint, fixed bigint, last_key uuid)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    batch uuid[];
BEGIN
    -- Repair of counter cache gig_responses: "public"."gigs" from "public"."responses".
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
        SELECT p."id" AS key FROM "public"."gigs" AS p
        WHERE (p_parent IS NULL OR p."id" = p_parent)
          AND (p_scope IS NULL OR p."workspace_id" = p_scope)
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
        SELECT p."id" AS key, p."workspace_id" AS scope_value,
               p."responses" AS old0, (COALESCE(a.a0, 0)) AS new0,
               p."new_responses" AS old1, (COALESCE(a.a1, 0)) AS new1
        FROM "public"."gigs" AS p
        LEFT JOIN (SELECT r."entity_id" AS key, COALESCE(count(*), 0) AS a0, COALESCE(count(*) FILTER (WHERE r."status" = 'NEW'), 0) AS a1 FROM "public"."responses" AS r WHERE r."entity_type" = 'gig' AND r."entity_id" = ANY (batch) GROUP BY r."entity_id") AS a ON a.key = p."id"
        WHERE p."id" = ANY (batch)
    ), rewritten AS (
        UPDATE "public"."gigs" AS p SET
            "responses" = t.new0,
            "new_responses" = t.new1
        FROM target AS t
        WHERE p."id" = t.key AND (p_force OR t.old0 IS DISTINCT FROM t.new0 OR t.old1 IS DISTINCT FROM t.new1)
        RETURNING p."id"
    ), audited AS (
        INSERT INTO invariants.counter_repairs (counter, parent_table, parent_key, scope, column_name, old_value, new_value, repaired_by)
        SELECT 'gig_responses', '"public"."gigs"', t.key::text, t.scope_value::text, v.column_name, v.old_value, v.new_value,
               COALESCE(auth.uid()::text, SESSION_USER::text)
        FROM target AS t
        CROSS JOIN LATERAL (VALUES
                ('responses', (t.old0)::numeric, (t.new0)::numeric),
                    ('new_responses', (t.old1)::numeric, (t.new1)::numeric)
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

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."repair_gig_responses"(uuid, uuid, boolean, uuid, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants"."repair_gig_responses"(uuid, uuid, boolean, uuid, integer) TO "service_role";

-- invariants:object {"checksum":"sha256:396ced5de768d7de6c174c90e744699c42ba408dca3bc37f33d8e051f79fac8c","drop":["DROP FUNCTION IF EXISTS \"public\".\"delete_response\"(uuid, uuid)"],"key":"function public.delete_response(uuid, uuid)","kind":"function","source":"InvariantsCatalog.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."delete_response"("p_response_id" uuid, "p_workspace_id" uuid)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    IF p_response_id IS NULL THEN
        RAISE EXCEPTION 'response_id is required' USING ERRCODE = 'IV422', COLUMN = 'response_id';
    END IF;
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF auth.role() IS DISTINCT FROM 'service_role' AND NOT EXISTS (
        SELECT 1 FROM public.workspace_members AS m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = auth.uid()
    ) THEN
        RAISE EXCEPTION 'not a member of workspace %', p_workspace_id
            USING ERRCODE = 'IV403', COLUMN = 'workspace_id';
    END IF;
    DELETE FROM public.responses AS r
    WHERE r.id = p_response_id AND r.workspace_id = p_workspace_id;
    IF NOT FOUND THEN
        -- Same answer for another workspace's response and a missing one.
        RAISE EXCEPTION 'response % not found in workspace %', p_response_id, p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'response_id';
    END IF;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."delete_response"(uuid, uuid) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."delete_response"(uuid, uuid) TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:1116f46a0388071c9b2a6ac2c037f7641c3492d02a1c9ced67cacc4fbcb4ddeb","drop":["DROP FUNCTION IF EXISTS \"public\".\"gig_response_counts\"(uuid, uuid)"],"key":"function public.gig_response_counts(uuid, uuid)","kind":"function","source":"InvariantsCatalog.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."gig_response_counts"("p_gig_id" uuid, "p_workspace_id" uuid)
    RETURNS TABLE (total bigint, "new" bigint, gig_responses bigint, gig_new_responses bigint, is_synced boolean)
    LANGUAGE plpgsql
    STABLE
    SET search_path = ''
AS $fn$
BEGIN
    IF p_gig_id IS NULL THEN
        RAISE EXCEPTION 'gig_id is required' USING ERRCODE = 'IV422', COLUMN = 'gig_id';
    END IF;
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF auth.role() IS DISTINCT FROM 'service_role' AND NOT EXISTS (
        SELECT 1 FROM public.workspace_members AS m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = auth.uid()
    ) THEN
        RAISE EXCEPTION 'not a member of workspace %', p_workspace_id
            USING ERRCODE = 'IV403', COLUMN = 'workspace_id';
    END IF;
    -- One statement, one snapshot: a writer's response and its counter change are
    -- seen together or not at all.
    RETURN QUERY
    SELECT a.total, a.new_total, g.responses, g.new_responses,
           a.total = g.responses AND a.new_total = g.new_responses
    FROM public.gigs AS g
    CROSS JOIN LATERAL (
        SELECT pg_catalog.count(*) AS total,
               pg_catalog.count(*) FILTER (WHERE r.status = 'NEW') AS new_total
        FROM public.responses AS r
        WHERE r.entity_type = 'gig' AND r.entity_id = g.id
    ) AS a
    WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'gig_id';
    END IF;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."gig_response_counts"(uuid, uuid) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."gig_response_counts"(uuid, uuid) TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:fc39ff5d1814a43ccbdaf3bc6470ac34ab799c8d297030e12f99b437ba215306","drop":["DROP FUNCTION IF EXISTS \"public\".\"sync_gig_response_counts\"(uuid, uuid, boolean)"],"key":"function public.sync_gig_response_counts(uuid, uuid, boolean)","kind":"function","source":"InvariantsCatalog.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."sync_gig_response_counts"("p_gig_id" uuid, "p_workspace_id" uuid, "p_force" boolean)
    RETURNS TABLE (checked bigint, fixed bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    IF p_gig_id IS NULL THEN
        RAISE EXCEPTION 'gig_id is required' USING ERRCODE = 'IV422', COLUMN = 'gig_id';
    END IF;
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF auth.role() IS DISTINCT FROM 'service_role' AND NOT EXISTS (
        SELECT 1 FROM public.workspace_members AS m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = auth.uid()
    ) THEN
        RAISE EXCEPTION 'not a member of workspace %', p_workspace_id
            USING ERRCODE = 'IV403', COLUMN = 'workspace_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.gigs AS g WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id) THEN
        RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'gig_id';
    END IF;
    RETURN QUERY
    SELECT r.checked, r.fixed
    FROM invariants.repair_gig_responses(p_gig_id, p_workspace_id, COALESCE(p_force, false), NULL, NULL) AS r;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."sync_gig_response_counts"(uuid, uuid, boolean) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."sync_gig_response_counts"(uuid, uuid, boolean) TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:310be35c4e0aa301688d72f3ab78d0b3b309bf0de363f43f876fede7a3ee600f","drop":["DROP FUNCTION IF EXISTS \"public\".\"sync_workspace_response_counts\"(uuid, boolean)"],"key":"function public.sync_workspace_response_counts(uuid, boolean)","kind":"function","source":"InvariantsCatalog.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."sync_workspace_response_counts"("p_workspace_id" uuid, "p_force" boolean)
    RETURNS TABLE (checked bigint, fixed bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    IF p_workspace_id IS NULL THEN
        RAISE EXCEPTION 'workspace_id is required' USING ERRCODE = 'IV422', COLUMN = 'workspace_id';
    END IF;
    IF auth.role() IS DISTINCT FROM 'service_role' AND NOT EXISTS (
        SELECT 1 FROM public.workspace_members AS m
        WHERE m.workspace_id = p_workspace_id AND m.user_id = auth.uid()
    ) THEN
        RAISE EXCEPTION 'not a member of workspace %', p_workspace_id
            USING ERRCODE = 'IV403', COLUMN = 'workspace_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.workspaces AS w WHERE w.id = p_workspace_id) THEN
        RAISE EXCEPTION 'workspace % not found', p_workspace_id
            USING ERRCODE = 'IV404', COLUMN = 'workspace_id';
    END IF;
    RETURN QUERY
    SELECT r.checked, r.fixed
    FROM invariants.repair_gig_responses(NULL, p_workspace_id, COALESCE(p_force, false), NULL, NULL) AS r;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."sync_workspace_response_counts"(uuid, boolean) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."sync_workspace_response_counts"(uuid, boolean) TO "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:36b00066676b71c3ead6763a0075c411ee63033eabdee2589ddd11d1bd9a0581","drop":["DROP FUNCTION IF EXISTS \"public\".\"sync_all_response_counts\"(boolean)"],"key":"function public.sync_all_response_counts(boolean)","kind":"function","source":"InvariantsCatalog.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."sync_all_response_counts"("p_force" boolean)
    RETURNS TABLE (checked bigint, fixed bigint)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    RETURN QUERY
    SELECT r.checked, r.fixed
    FROM invariants.repair_gig_responses(NULL, NULL, COALESCE(p_force, false), NULL, NULL) AS r;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."sync_all_response_counts"(boolean) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."sync_all_response_counts"(boolean) TO "service_role";

-- invariants:object {"checksum":"sha256:2aa8c0eab79c90bbd3203eec0b36ac425c4400c3635771bfb459cf083c0ef85f","drop":["DROP FUNCTION IF EXISTS \"public\".\"create_workspace\"(text)"],"key":"function public.create_workspace(text)","kind":"function","source":"InvariantsCatalog.GigResponsesFunctions"}
CREATE OR REPLACE FUNCTION "public"."create_workspace"("p_name" text)
    RETURNS uuid
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    new_id uuid;
BEGIN
    IF auth.uid() IS NULL THEN
        RAISE EXCEPTION 'only a signed-in user can create a workspace' USING ERRCODE = 'IV403';
    END IF;
    IF p_name IS NULL OR pg_catalog.char_length(pg_catalog.btrim(p_name)) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'name must be 1 to 200 characters' USING ERRCODE = 'IV422', COLUMN = 'name';
    END IF;
    INSERT INTO public.workspaces (name) VALUES (pg_catalog.btrim(p_name)) RETURNING id INTO new_id;
    INSERT INTO public.workspace_members (workspace_id, user_id, role) VALUES (new_id, auth.uid(), 'owner');
    RETURN new_id;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."create_workspace"(text) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."create_workspace"(text) TO "authenticated";

-- invariants:object {"checksum":"sha256:1497b23c5e8918b559dc69afc5ae8897fffaca65608b8d9f40e47caca556a054","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"legacy_source_generation_id\"(text, jsonb)"],"key":"function invariants.legacy_source_generation_id(text, jsonb)","kind":"function","source":"InvariantsCatalog.GenerationsHistory"}
CREATE OR REPLACE FUNCTION "invariants"."legacy_source_generation_id"("p_description" text, "p_product_images" jsonb)
    RETURNS uuid
    LANGUAGE plpgsql
    IMMUTABLE
    SET search_path = ''
AS $fn$
DECLARE
    found text;
BEGIN
    -- 1. description: sourceGenerationId (or source_generation_id), ':' or '=', the UUID.
    found := (pg_catalog.regexp_match(p_description,
        '(?:sourceGenerationId|source_generation_id)["'']?\s*[:=]\s*["'']?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})'))[1];
    IF found IS NULL AND p_product_images IS NOT NULL THEN
        -- 2. product_images: lax mode looks into a top-level array's elements too.
        found := COALESCE(
            pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.sourceGenerationId'),
            pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.source_generation_id'),
            pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.metadata.sourceGenerationId'),
            pg_catalog.jsonb_path_query_first(p_product_images, 'lax $.metadata.source_generation_id')
        ) #>> '{}';
        IF found !~ '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$' THEN
            found := NULL;
        END IF;
    END IF;
    RETURN found::uuid;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."legacy_source_generation_id"(text, jsonb) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:9eb47df6ed8695b343b7ed63f5501e1393ec4746e04d9edccc4aa5ea38af5b24","drop":["DROP FUNCTION IF EXISTS \"public\".\"notification_queue_usage\"()"],"key":"function public.notification_queue_usage()","kind":"function","source":"InvariantsCatalog.GenerationsHistory"}
CREATE OR REPLACE FUNCTION "public"."notification_queue_usage"()
    RETURNS double precision
    LANGUAGE sql
    SET search_path = ''
AS $fn$
SELECT pg_catalog.pg_notification_queue_usage()
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."notification_queue_usage"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."notification_queue_usage"() TO "service_role";

-- invariants:object {"checksum":"sha256:741ac5abc3ab03dec2c49fa44263d9322777650dbb52ec6d050309d6e45ff8e7","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"repair_chat_session_messages\"(text, text, boolean, text, integer)"],"key":"function invariants.repair_chat_session_messages(text, text, boolean, text, integer)","kind":"function","source":"CounterCache(chat_session_messages)"}
CREATE OR REPLACE FUNCTION "invariants"."repair_chat_session_messages"("p_parent" text, "p_scope" text, "p_force" boolean, "p_after" text, "p_batch" integer)
    RETURNS TABLE (checked bigint, fixed bigint, last_key text)
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    batch text[];
BEGIN
    -- Repair of counter cache chat_session_messages: "public"."chat_sessions" from "public"."chat_messages".
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
               p."total_messages" AS old0, (COALESCE(a.a0, 0)) AS new0,
               p."ai_messages" AS old1, (COALESCE(a.a1, 0)) AS new1,
               p."human_messages" AS old2, (COALESCE(a.a2, 0)) AS new2
        FROM "public"."chat_sessions" AS p
        LEFT JOIN (SELECT r."session_id" AS key, COALESCE(count(*), 0) AS a0, COALESCE(count(*) FILTER (WHERE r."role" = 'assistant'), 0) AS a1, COALESCE(count(*) FILTER (WHERE r."role" = 'user'), 0) AS a2 FROM "public"."chat_messages" AS r WHERE r."session_id" IS NOT NULL AND r."session_id" = ANY (batch) GROUP BY r."session_id") AS a ON a.key = p."session_id"
        WHERE p."session_id" = ANY (batch)
    ), rewritten AS (
        UPDATE "public"."chat_sessions" AS p SET
            "total_messages" = t.new0,
            "ai_messages" = t.new1,
            "human_messages" = t.new2
        FROM target AS t
        WHERE p."session_id" = t.key AND (p_force OR t.old0 IS DISTINCT FROM t.new0 OR t.old1 IS DISTINCT FROM t.new1 OR t.old2 IS DISTINCT FROM t.new2)
        RETURNING p."session_id"
    ), audited AS (
        INSERT INTO invariants.counter_repairs (counter, parent_table, parent_key, scope, column_name, old_value, new_value, repaired_by)
        SELECT 'chat_session_messages', '"public"."chat_sessions"', t.key::text, NULL::text, v.column_name, v.old_value, v.new_value,
               COALESCE(auth.uid()::text, SESSION_USER::text)
        FROM target AS t
        CROSS JOIN LATERAL (VALUES
                ('total_messages', (t.old0)::numeric, (t.new0)::numeric),
                    ('ai_messages', (t.old1)::numeric, (t.new1)::numeric),
                    ('human_messages', (t.old2)::numeric, (t.new2)::numeric)
            ) AS v (column_name, old_value, new_value)
        WHERE v.old_value IS DISTINCT FROM v.new_value
        RETURNING 1
    )
    SELECT pg_catalog.cardinality(batch)::bigint,
           (SELECT pg_catalog.count(*) FROM target AS t WHERE t.old0 IS DISTINCT FROM t.new0 OR t.old1 IS DISTINCT FROM t.new1 OR t.old2 IS DISTINCT FROM t.new2),
           batch[pg_catalog.cardinality(batch)]
    FROM (SELECT pg_catalog.count(*) FROM rewritten) AS r, (SELECT pg_catalog.count(*) FROM audited) AS x;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."repair_chat_session_messages"(text, text, boolean, text, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants"."repair_chat_session_messages"(text, text, boolean, text, integer) TO "service_role";

-- invariants:object {"checksum":"sha256:6a4db0b29840deb9eaafcdbb2ff0d3b20949ffb21c9bceae2290b8b26c76c028","drop":["DROP FUNCTION IF EXISTS \"public\".\"apply_learning_record\"(uuid, boolean)"],"key":"function public.apply_learning_record(uuid, boolean)","kind":"function","source":"InvariantsCatalog.SupportChatFunctions"}
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
REVOKE EXECUTE ON FUNCTION "public"."apply_learning_record"(uuid, boolean) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."apply_learning_record"(uuid, boolean) TO "service_role";

-- invariants:object {"checksum":"sha256:658f9c7f9ec9b36e31709ed2f744a2c518902c7de814ec509b4296d83fb85462","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"touch_updated_at\"()"],"key":"function invariants.touch_updated_at()","kind":"trigger function","source":"UpdatedAt(column: updated_at)"}
CREATE OR REPLACE FUNCTION "invariants"."touch_updated_at"()
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
    IF NEW *= OLD THEN
        RETURN NEW;
    END IF;
    NEW."updated_at" := pg_catalog.now();
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."touch_updated_at"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:affdb1c871cb9514d54f47c3aa8228195068256e61a7e7913b3d0bc46aec6d19","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"validate_session_config\"()"],"key":"function invariants.validate_session_config()","kind":"trigger function","source":"InvariantsCatalog.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "invariants"."validate_session_config"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    problem text := invariants.session_config_problem(NEW.session_config);
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION '%', problem
            USING ERRCODE = 'IV422', COLUMN = 'session_config';
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."validate_session_config"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:9fcedde72f1ce1f40b2036263ae08f38b8c468e4b4672aa1b035661d699db3c2","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"fold_session_model_statistics\"()"],"key":"function invariants.fold_session_model_statistics()","kind":"trigger function","source":"InvariantsCatalog.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "invariants"."fold_session_model_statistics"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    expected bigint;
    folded bigint;
    removed bigint;
BEGIN
    -- A user being deleted loses all rows by the auth.users cascade: nothing to keep.
    IF NOT EXISTS (SELECT 1 FROM auth.users AS u WHERE u.id = OLD.user_id) THEN
        RETURN OLD;
    END IF;
    SELECT pg_catalog.count(*) INTO expected FROM (
        SELECT 1 FROM public.model_statistics AS s
        WHERE s.user_id = OLD.user_id AND s.session_id = OLD.id
        ORDER BY s.model_id
        FOR UPDATE
    ) AS locked;
    IF expected = 0 THEN
        RETURN OLD;
    END IF;
    INSERT INTO public.model_statistics AS t (
        user_id, model_id, session_id, response_count, total_brains, dismissal_count,
        folded_session_count, last_dismissal_note, last_dismissed_at, first_used_at, last_used_at)
    SELECT s.user_id, s.model_id, NULL, s.response_count, s.total_brains, s.dismissal_count,
           1, s.last_dismissal_note, s.last_dismissed_at, s.first_used_at, s.last_used_at
    FROM public.model_statistics AS s
    WHERE s.user_id = OLD.user_id AND s.session_id = OLD.id
    ORDER BY s.model_id
    ON CONFLICT (user_id, model_id, session_id) DO UPDATE SET
        response_count = t.response_count + EXCLUDED.response_count,
        total_brains = t.total_brains + EXCLUDED.total_brains,
        dismissal_count = t.dismissal_count + EXCLUDED.dismissal_count,
        folded_session_count = t.folded_session_count + 1,
        last_dismissal_note = CASE
            WHEN t.last_dismissed_at IS NULL OR EXCLUDED.last_dismissed_at > t.last_dismissed_at
            THEN EXCLUDED.last_dismissal_note ELSE t.last_dismissal_note END,
        last_dismissed_at = GREATEST(t.last_dismissed_at, EXCLUDED.last_dismissed_at),
        first_used_at = LEAST(t.first_used_at, EXCLUDED.first_used_at),
        last_used_at = GREATEST(t.last_used_at, EXCLUDED.last_used_at);
    GET DIAGNOSTICS folded = ROW_COUNT;
    IF folded <> expected THEN
        RAISE EXCEPTION 'folding session %: % statistics rows, % lifetime rows written', OLD.id, expected, folded;
    END IF;
    DELETE FROM public.model_statistics AS s WHERE s.user_id = OLD.user_id AND s.session_id = OLD.id;
    GET DIAGNOSTICS removed = ROW_COUNT;
    IF removed <> expected THEN
        RAISE EXCEPTION 'folding session %: % statistics rows, % removed', OLD.id, expected, removed;
    END IF;
    RETURN OLD;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."fold_session_model_statistics"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:5ed4bd14709638aaa66d7aa11384e3a1f6da38953cdd9eb31cda4d1dad9d20b6","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"touch_public_responses_updated_at\"()"],"key":"function invariants.touch_public_responses_updated_at()","kind":"trigger function","source":"UpdatedAt(table: public.responses, column: updated_at)"}
CREATE OR REPLACE FUNCTION "invariants"."touch_public_responses_updated_at"()
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
    NEW."gig_id" := OLD."gig_id";
    IF NEW *= OLD THEN
        RETURN NEW;
    END IF;
    NEW."updated_at" := pg_catalog.now();
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."touch_public_responses_updated_at"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:523bb1e83ede217f3f5ce249101edb77f4f4aaac2772c5d693f885ec4adebcad","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_gig_responses\"()"],"key":"function invariants.count_gig_responses()","kind":"trigger function","source":"CounterCache(gig_responses)"}
CREATE OR REPLACE FUNCTION "invariants"."count_gig_responses"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    missing_key uuid;
BEGIN
    -- Counter cache gig_responses (statement strategy): "public"."responses" → "public"."gigs".
    IF TG_OP = 'INSERT' THEN
        -- Lock every parent this statement touches, in key order, before changing any:
        -- a grouped UPDATE alone locks in plan order and two bulk writers could deadlock.
        PERFORM 1 FROM "public"."gigs" AS p
        WHERE p."id" IN (SELECT c.key FROM (SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS key, 1::bigint AS d0, CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS d1, true AS from_new FROM new_rows AS r WHERE CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END IS NOT NULL) AS c)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
        WITH deltas AS (
            SELECT c.key, sum(c.d0) AS d0, sum(c.d1) AS d1, bool_or(c.from_new) AS from_new
            FROM (SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS key, 1::bigint AS d0, CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS d1, true AS from_new FROM new_rows AS r WHERE CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END IS NOT NULL) AS c
            GROUP BY c.key
            HAVING sum(c.d0) <> 0 OR sum(c.d1) <> 0
        ), updated AS (
            UPDATE "public"."gigs" AS p SET
                "responses" = p."responses" + d.d0,
                "new_responses" = p."new_responses" + d.d1
            FROM deltas AS d
            WHERE p."id" = d.key
        )
        -- A child pointing at a parent row that does not exist (asked of the parent
        -- table's key index: an anti-join against the UPDATE's output is quadratic).
        SELECT d.key INTO missing_key
        FROM deltas AS d
        WHERE d.from_new AND NOT EXISTS (SELECT 1 FROM "public"."gigs" AS x WHERE x."id" = d.key)
        LIMIT 1;
    ELSIF TG_OP = 'DELETE' THEN
        -- A parent without a row is being deleted (a cascade): nothing to keep.
        -- Lock every parent this statement touches, in key order, before changing any:
        -- a grouped UPDATE alone locks in plan order and two bulk writers could deadlock.
        PERFORM 1 FROM "public"."gigs" AS p
        WHERE p."id" IN (SELECT c.key FROM (SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS key, -1::bigint AS d0, -CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS d1, false AS from_new FROM old_rows AS r WHERE CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END IS NOT NULL) AS c)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
        WITH deltas AS (
            SELECT c.key, sum(c.d0) AS d0, sum(c.d1) AS d1
            FROM (SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS key, -1::bigint AS d0, -CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS d1, false AS from_new FROM old_rows AS r WHERE CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END IS NOT NULL) AS c
            GROUP BY c.key
            HAVING sum(c.d0) <> 0 OR sum(c.d1) <> 0
        )
        UPDATE "public"."gigs" AS p SET
            "responses" = p."responses" + d.d0,
            "new_responses" = p."new_responses" + d.d1
        FROM deltas AS d
        WHERE p."id" = d.key;
    ELSE
        -- Lock every parent this statement touches, in key order, before changing any:
        -- a grouped UPDATE alone locks in plan order and two bulk writers could deadlock.
        PERFORM 1 FROM "public"."gigs" AS p
        WHERE p."id" IN (SELECT c.key FROM (SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS key, 1::bigint AS d0, CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS d1, true AS from_new FROM new_rows AS r WHERE CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END IS NOT NULL UNION ALL SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS key, -1::bigint AS d0, -CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS d1, false AS from_new FROM old_rows AS r WHERE CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END IS NOT NULL) AS c)
        ORDER BY p."id"
        FOR NO KEY UPDATE;
        WITH deltas AS (
            SELECT c.key, sum(c.d0) AS d0, sum(c.d1) AS d1, bool_or(c.from_new) AS from_new
            FROM (SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS key, 1::bigint AS d0, CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS d1, true AS from_new FROM new_rows AS r WHERE CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END IS NOT NULL UNION ALL SELECT CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END AS key, -1::bigint AS d0, -CASE WHEN r."status" = 'NEW' THEN 1::bigint ELSE 0::bigint END AS d1, false AS from_new FROM old_rows AS r WHERE CASE WHEN r."entity_type" = 'gig' THEN r."entity_id" END IS NOT NULL) AS c
            GROUP BY c.key
            HAVING sum(c.d0) <> 0 OR sum(c.d1) <> 0
        ), updated AS (
            UPDATE "public"."gigs" AS p SET
                "responses" = p."responses" + d.d0,
                "new_responses" = p."new_responses" + d.d1
            FROM deltas AS d
            WHERE p."id" = d.key
        )
        -- A child pointing at a parent row that does not exist (asked of the parent
        -- table's key index: an anti-join against the UPDATE's output is quadratic).
        SELECT d.key INTO missing_key
        FROM deltas AS d
        WHERE d.from_new AND NOT EXISTS (SELECT 1 FROM "public"."gigs" AS x WHERE x."id" = d.key)
        LIMIT 1;
    END IF;
    IF missing_key IS NOT NULL THEN
        RAISE EXCEPTION 'counter %: % row % does not exist', 'gig_responses', '"public"."gigs"', missing_key
            USING ERRCODE = 'IV404';
    END IF;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_gig_responses"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:65e134de081b59d12e3a1514de72fcd96ffe3502d28241cddd02feb7de27c8dc","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_gig_responses_truncate\"()"],"key":"function invariants.count_gig_responses_truncate()","kind":"trigger function","source":"CounterCache(gig_responses)"}
CREATE OR REPLACE FUNCTION "invariants"."count_gig_responses_truncate"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    -- Counter cache gig_responses: "public"."responses" was truncated, so every count is zero.
    UPDATE "public"."gigs" SET "responses" = 0, "new_responses" = 0 WHERE "responses" <> 0 OR "new_responses" <> 0;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_gig_responses_truncate"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:5e3e0eeca19d3eb3b945dfca09d9ff7b08dd8060c002dfe0c5441887d6ea6e40","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_generation_jobs_status\"()"],"key":"function invariants.state_public_generation_jobs_status()","kind":"trigger function","source":"StateMachine(table: public.generation_jobs, column: status)"}
CREATE OR REPLACE FUNCTION "invariants"."state_public_generation_jobs_status"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Invariant state machine on generation_jobs.status: initial pending, processing, completed, failed; terminal completed, failed.
    IF TG_OP = 'INSERT' THEN
        IF NEW."status" IS NULL OR NEW."status"::text NOT IN ('pending', 'processing', 'completed', 'failed') THEN
            RAISE EXCEPTION 'illegal initial state of generation_jobs.status: %', COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status',
                      HINT = 'a row starts in pending, processing, completed, failed';
        END IF;
    ELSIF NEW."status" IS DISTINCT FROM OLD."status" THEN
        IF OLD."status"::text IN ('pending') AND NEW."status"::text = 'processing' THEN
            NULL;
        ELSIF OLD."status"::text IN ('pending', 'processing') AND NEW."status"::text = 'completed' THEN
            NULL;
        ELSIF OLD."status"::text IN ('pending', 'processing') AND NEW."status"::text = 'failed' THEN
            NULL;
        ELSE
            RAISE EXCEPTION 'illegal transition of generation_jobs.status: % -> %', COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status', DETAIL = COALESCE(CASE WHEN OLD."status"::text IN ('completed', 'failed') THEN OLD."status"::text || ' is a terminal state' END, '');
        END IF;
    ELSE
        -- Same state: not a transition.
        RETURN NEW;
    END IF;
    IF NEW."status"::text = 'processing' THEN
        NEW."started_at" := pg_catalog.now();
    END IF;
    IF NEW."status"::text = 'completed' THEN
        IF (NEW.image_url IS NOT NULL AND pg_catalog.btrim(NEW.image_url) <> '') IS NOT TRUE THEN
            RAISE EXCEPTION 'cannot enter generation_jobs.status %: a completed job needs image_url', NEW."status"
                USING ERRCODE = 'IV422', COLUMN = 'image_url';
        END IF;
        NEW."finished_at" := pg_catalog.now();
        NEW."error_message" := NULL;
    END IF;
    IF NEW."status"::text = 'failed' THEN
        NEW."finished_at" := pg_catalog.now();
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_generation_jobs_status"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:8fb0aaf166731e42ed4888f45a1dfca387dd35ff934baf307ea7a1483ae67193","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"save_completed_generation_to_history\"()"],"key":"function invariants.save_completed_generation_to_history()","kind":"trigger function","source":"AppendToSource(child: public.generation_jobs, parent: public.generations)"}
CREATE OR REPLACE FUNCTION "invariants"."save_completed_generation_to_history"()
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
    -- Invariant append to source: public.generation_jobs entering completed adds to public.generations, exactly once.
    IF NEW."status" IS DISTINCT FROM 'completed' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD."status" IS NOT DISTINCT FROM 'completed' OR OLD."generation_id" IS NOT NULL THEN
            RETURN NEW;
        END IF;
    END IF;
    item := pg_catalog.jsonb_build_object('url', NEW."image_url", 'job_id', NEW."id", 'edited', NEW."category" = 'edit', 'at', pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
    IF (NEW."category" = 'edit') IS TRUE THEN
        source_id := COALESCE(NEW."source_generation_id", "invariants"."legacy_source_generation_id"(NEW."description", NEW."product_images"));
        IF source_id IS NOT NULL THEN
            -- One statement: the row lock serializes concurrent appends to one parent.
            -- Same owner only: the definer bypasses RLS, so the owner is checked here.
            UPDATE "public"."generations" AS p
               SET "output_data" = pg_catalog.jsonb_set(
                       COALESCE(p."output_data", '{}'::jsonb), '{"images"}',
                       COALESCE(p."output_data" -> 'images', '[]'::jsonb) || pg_catalog.jsonb_build_array(item)),
                   "tokens_used" = COALESCE(p."tokens_used", 0) + COALESCE(NEW."tokens_cost", 0)
             WHERE p."id" = source_id AND p."user_id" = NEW."user_id"
            RETURNING p."id" INTO target;
        END IF;
    END IF;
    IF target IS NULL THEN
        -- No valid source (none, missing, deleted, another owner's): a new parent for the child's owner.
        INSERT INTO "public"."generations" ("user_id", "output_data", "tokens_used", "category", "prompt")
        VALUES (NEW."user_id", pg_catalog.jsonb_build_object('images', pg_catalog.jsonb_build_array(item)), COALESCE(NEW."tokens_cost", 0), NEW."category", NEW."description")
        RETURNING "id" INTO target;
    END IF;
    NEW."generation_id" := target;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."save_completed_generation_to_history"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:e34a86cfdf1c39a5f09154260d1ab24a572a5bcea9cd871f73a444731dae9402","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"generation_jobs_notify\"()"],"key":"function invariants.generation_jobs_notify()","kind":"trigger function","source":"InvariantsCatalog.GenerationsHistory"}
CREATE OR REPLACE FUNCTION "invariants"."generation_jobs_notify"()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    -- Ids only: any connection can LISTEN; clients re-read the rows under RLS.
    IF NEW.status IN ('completed', 'failed')
       AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status) THEN
        PERFORM pg_catalog.pg_notify('invariants_generations',
            pg_catalog.json_build_object('job_id', NEW.id, 'generation_id', NEW.generation_id)::text);
    END IF;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."generation_jobs_notify"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:5a2f10720423a7d413b1f2f5dad35541b7993450037772f5f74c8fe5a238432e","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_chat_sessions_status\"()"],"key":"function invariants.state_public_chat_sessions_status()","kind":"trigger function","source":"StateMachine(table: public.chat_sessions, column: status)"}
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
            RAISE EXCEPTION 'illegal transition of chat_sessions.status: % -> %', COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status', DETAIL = COALESCE(CASE WHEN OLD."status"::text IN ('closed') THEN OLD."status"::text || ' is a terminal state' END, '');
        END IF;
    ELSE
        -- Same state: not a transition.
        RETURN NEW;
    END IF;
    IF NEW."status"::text = 'resolved' THEN
        NEW."resolved_at" := pg_catalog.now();
        NEW."resolution_time_seconds" := GREATEST(0, pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.now() - NEW."created_at")))::integer;
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_chat_sessions_status"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:5d8fd4b662d3c8db2d45b43061555454a92443770b377c5139ce9fae38ab5855","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_tool_executions_status\"()"],"key":"function invariants.state_public_tool_executions_status()","kind":"trigger function","source":"StateMachine(table: public.tool_executions, column: status)"}
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
                RAISE EXCEPTION 'illegal transition of tool_executions.status: % -> %: it requires approval and approval_status is not approved', OLD."status", NEW."status"
                    USING ERRCODE = 'IV001', COLUMN = 'status';
            END IF;
        ELSIF OLD."status"::text IN ('executing') AND NEW."status"::text = 'completed' THEN
            NULL;
        ELSIF OLD."status"::text IN ('pending', 'executing') AND NEW."status"::text = 'failed' THEN
            NULL;
        ELSE
            RAISE EXCEPTION 'illegal transition of tool_executions.status: % -> %', COALESCE(OLD."status"::text, 'NULL'), COALESCE(NEW."status"::text, 'NULL')
                USING ERRCODE = 'IV001', COLUMN = 'status', DETAIL = COALESCE(CASE WHEN OLD."status"::text IN ('completed', 'failed') THEN OLD."status"::text || ' is a terminal state' END, '');
        END IF;
    ELSE
        -- Same state: not a transition.
        RETURN NEW;
    END IF;
    RETURN NEW;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_tool_executions_status"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:be7e3c526418255faaaa14ec2156e634e35bb00c7ac39fdcf6bd31c5a880b361","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_chat_session_messages\"()"],"key":"function invariants.count_chat_session_messages()","kind":"trigger function","source":"CounterCache(chat_session_messages)"}
CREATE OR REPLACE FUNCTION "invariants"."count_chat_session_messages"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
DECLARE
    missing_key text;
BEGIN
    -- Counter cache chat_session_messages (statement strategy): "public"."chat_messages" → "public"."chat_sessions".
    IF TG_OP = 'INSERT' THEN
        -- Lock every parent this statement touches, in key order, before changing any:
        -- a grouped UPDATE alone locks in plan order and two bulk writers could deadlock.
        PERFORM 1 FROM "public"."chat_sessions" AS p
        WHERE p."session_id" IN (SELECT c.key FROM (SELECT r."session_id" AS key, 1::bigint AS d0, CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS d1, CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS d2, true AS from_new FROM new_rows AS r WHERE r."session_id" IS NOT NULL) AS c)
        ORDER BY p."session_id"
        FOR NO KEY UPDATE;
        WITH deltas AS (
            SELECT c.key, sum(c.d0) AS d0, sum(c.d1) AS d1, sum(c.d2) AS d2, bool_or(c.from_new) AS from_new
            FROM (SELECT r."session_id" AS key, 1::bigint AS d0, CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS d1, CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS d2, true AS from_new FROM new_rows AS r WHERE r."session_id" IS NOT NULL) AS c
            GROUP BY c.key
            HAVING sum(c.d0) <> 0 OR sum(c.d1) <> 0 OR sum(c.d2) <> 0
        ), updated AS (
            UPDATE "public"."chat_sessions" AS p SET
                "total_messages" = p."total_messages" + d.d0,
                "ai_messages" = p."ai_messages" + d.d1,
                "human_messages" = p."human_messages" + d.d2
            FROM deltas AS d
            WHERE p."session_id" = d.key
        )
        -- A child pointing at a parent row that does not exist (asked of the parent
        -- table's key index: an anti-join against the UPDATE's output is quadratic).
        SELECT d.key INTO missing_key
        FROM deltas AS d
        WHERE d.from_new AND NOT EXISTS (SELECT 1 FROM "public"."chat_sessions" AS x WHERE x."session_id" = d.key)
        LIMIT 1;
    ELSIF TG_OP = 'DELETE' THEN
        -- A parent without a row is being deleted (a cascade): nothing to keep.
        -- Lock every parent this statement touches, in key order, before changing any:
        -- a grouped UPDATE alone locks in plan order and two bulk writers could deadlock.
        PERFORM 1 FROM "public"."chat_sessions" AS p
        WHERE p."session_id" IN (SELECT c.key FROM (SELECT r."session_id" AS key, -1::bigint AS d0, -CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS d1, -CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS d2, false AS from_new FROM old_rows AS r WHERE r."session_id" IS NOT NULL) AS c)
        ORDER BY p."session_id"
        FOR NO KEY UPDATE;
        WITH deltas AS (
            SELECT c.key, sum(c.d0) AS d0, sum(c.d1) AS d1, sum(c.d2) AS d2
            FROM (SELECT r."session_id" AS key, -1::bigint AS d0, -CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS d1, -CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS d2, false AS from_new FROM old_rows AS r WHERE r."session_id" IS NOT NULL) AS c
            GROUP BY c.key
            HAVING sum(c.d0) <> 0 OR sum(c.d1) <> 0 OR sum(c.d2) <> 0
        )
        UPDATE "public"."chat_sessions" AS p SET
            "total_messages" = p."total_messages" + d.d0,
            "ai_messages" = p."ai_messages" + d.d1,
            "human_messages" = p."human_messages" + d.d2
        FROM deltas AS d
        WHERE p."session_id" = d.key;
    ELSE
        -- Lock every parent this statement touches, in key order, before changing any:
        -- a grouped UPDATE alone locks in plan order and two bulk writers could deadlock.
        PERFORM 1 FROM "public"."chat_sessions" AS p
        WHERE p."session_id" IN (SELECT c.key FROM (SELECT r."session_id" AS key, 1::bigint AS d0, CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS d1, CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS d2, true AS from_new FROM new_rows AS r WHERE r."session_id" IS NOT NULL UNION ALL SELECT r."session_id" AS key, -1::bigint AS d0, -CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS d1, -CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS d2, false AS from_new FROM old_rows AS r WHERE r."session_id" IS NOT NULL) AS c)
        ORDER BY p."session_id"
        FOR NO KEY UPDATE;
        WITH deltas AS (
            SELECT c.key, sum(c.d0) AS d0, sum(c.d1) AS d1, sum(c.d2) AS d2, bool_or(c.from_new) AS from_new
            FROM (SELECT r."session_id" AS key, 1::bigint AS d0, CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS d1, CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS d2, true AS from_new FROM new_rows AS r WHERE r."session_id" IS NOT NULL UNION ALL SELECT r."session_id" AS key, -1::bigint AS d0, -CASE WHEN r."role" = 'assistant' THEN 1::bigint ELSE 0::bigint END AS d1, -CASE WHEN r."role" = 'user' THEN 1::bigint ELSE 0::bigint END AS d2, false AS from_new FROM old_rows AS r WHERE r."session_id" IS NOT NULL) AS c
            GROUP BY c.key
            HAVING sum(c.d0) <> 0 OR sum(c.d1) <> 0 OR sum(c.d2) <> 0
        ), updated AS (
            UPDATE "public"."chat_sessions" AS p SET
                "total_messages" = p."total_messages" + d.d0,
                "ai_messages" = p."ai_messages" + d.d1,
                "human_messages" = p."human_messages" + d.d2
            FROM deltas AS d
            WHERE p."session_id" = d.key
        )
        -- A child pointing at a parent row that does not exist (asked of the parent
        -- table's key index: an anti-join against the UPDATE's output is quadratic).
        SELECT d.key INTO missing_key
        FROM deltas AS d
        WHERE d.from_new AND NOT EXISTS (SELECT 1 FROM "public"."chat_sessions" AS x WHERE x."session_id" = d.key)
        LIMIT 1;
    END IF;
    IF missing_key IS NOT NULL THEN
        RAISE EXCEPTION 'counter %: % row % does not exist', 'chat_session_messages', '"public"."chat_sessions"', missing_key
            USING ERRCODE = 'IV404';
    END IF;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_chat_session_messages"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:387bafff86e1d3e1dd5a9b29ec893bbe2e62927671924c8c1fd9fc3faa7e0a1e","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"count_chat_session_messages_truncate\"()"],"key":"function invariants.count_chat_session_messages_truncate()","kind":"trigger function","source":"CounterCache(chat_session_messages)"}
CREATE OR REPLACE FUNCTION "invariants"."count_chat_session_messages_truncate"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    -- Counter cache chat_session_messages: "public"."chat_messages" was truncated, so every count is zero.
    UPDATE "public"."chat_sessions" SET "total_messages" = 0, "ai_messages" = 0, "human_messages" = 0 WHERE "total_messages" <> 0 OR "ai_messages" <> 0 OR "human_messages" <> 0;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."count_chat_session_messages_truncate"() FROM PUBLIC;

-- invariants:object {"checksum":"sha256:bdeced6c6313952e07dbd90aeddfb6331011cd2e272d9eb8e0279780c1becd41","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"chat_first_response\"()"],"key":"function invariants.chat_first_response()","kind":"trigger function","source":"InvariantsCatalog.SupportChatFunctions"}
CREATE OR REPLACE FUNCTION "invariants"."chat_first_response"()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = ''
AS $fn$
BEGIN
    -- Sessions are already locked in key order by the counter trigger
    -- (invariants_count_… fires first: AFTER triggers run in name order).
    UPDATE public.chat_sessions AS s
       SET first_response_time_ms = LEAST(GREATEST(0, pg_catalog.round(
               pg_catalog.date_part('epoch', f.first_at - s.created_at) * 1000)), 2147483647)::integer
      FROM (SELECT n.session_id, pg_catalog.min(n.created_at) AS first_at
              FROM new_rows AS n
             WHERE n.role = 'assistant'
             GROUP BY n.session_id) AS f
     WHERE s.session_id = f.session_id AND s.first_response_time_ms IS NULL;
    RETURN NULL;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants"."chat_first_response"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:1dc2e06833930a61eb14b8fa0916747599de9161acb09ca3ed7bef361d47359c","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"chat_first_response_once\"()"],"key":"function invariants.chat_first_response_once()","kind":"trigger function","source":"InvariantsCatalog.SupportChatFunctions"}
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
REVOKE EXECUTE ON FUNCTION "invariants"."chat_first_response_once"() FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:37bbbfdcecfe10c358d3d30f0d837ec1700b50769eba1193438474d458d7e136","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"state_public_tool_executions_approval_status\"()"],"key":"function invariants.state_public_tool_executions_approval_status()","kind":"trigger function","source":"InvariantsCatalog.SupportChatFunctions"}
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
                RAISE EXCEPTION 'illegal initial state of public.tool_executions.approval_status: %', NEW.approval_status
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
            RAISE EXCEPTION 'illegal transition of public.tool_executions.approval_status: % -> %: approved_by is required',
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
REVOKE EXECUTE ON FUNCTION "invariants"."state_public_tool_executions_approval_status"() FROM PUBLIC, "anon", "authenticated", "service_role";

