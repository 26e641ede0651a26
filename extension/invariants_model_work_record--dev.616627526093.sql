-- Extension invariants_model_work_record, version dev.616627526093: the stored functions (and their EXECUTE
-- grants) of the declared invariants. Tables, triggers, policies and views come
-- from the migrations and the repeatable set, never from the extension.
--
-- Generated from the Swift declarations; do not edit by hand. A released version's
-- script is frozen (never rendered again), like a released migration.
-- Install: make -C extension install; then, after the migrations,
--   CREATE EXTENSION invariants_model_work_record VERSION 'dev.616627526093';
-- (or `invariants migrate --stored-logic extension`, which also writes the ledger).
\echo Use "CREATE EXTENSION invariants_model_work_record" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_model_work_record holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_model_work_record';
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
        '"invariants"."session_config_problem"(jsonb)',
        '"public"."record_model_response"(uuid, text)',
        '"public"."model_statistics_summary"(text)',
        '"public"."my_model_leaderboard"(integer)',
        '"invariants_private"."dismiss_model"(uuid, text, text)',
        '"public"."dismiss_model"(uuid, text, text)',
        '"invariants_private"."set_session_models"(uuid, text[], bigint)',
        '"public"."set_session_models"(uuid, text[], bigint)',
        '"invariants_private"."add_brains"(uuid, text, integer)',
        '"public"."add_brains"(uuid, text, integer)',
        '"invariants_private"."global_model_leaderboard"(integer, integer)',
        '"public"."global_model_leaderboard"(integer, integer)',
        '"invariants"."validate_session_config"()',
        '"invariants"."fold_session_model_statistics"()'
    ]::text[] LOOP
        f := pg_catalog.to_regprocedure(sig);
        CONTINUE WHEN f IS NULL;
        SELECT e.extname INTO holder FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = f
          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e';
        IF holder IS NOT NULL THEN
            RAISE EXCEPTION 'function % belongs to extension %, not to invariants_model_work_record', f, holder
                USING HINT = CASE WHEN holder = 'invariants' THEN 'ALTER EXTENSION invariants UPDATE TO ''modules'' first (invariants migrate --stored-logic extension does it)' ELSE 'a function belongs to one extension at a time' END;
        END IF;
        EXECUTE pg_catalog.format('ALTER EXTENSION %I ADD FUNCTION %s', 'invariants_model_work_record', f);
    END LOOP;
END
$adopt$;

-- invariants:object {"checksum":"sha256:93ceb7fe8d871ba37f67239970f866e31d4b6c3cfc59a25c831cffc7a804ab53","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"session_config_problem\"(jsonb)"],"key":"function invariants.session_config_problem(jsonb)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
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
        THEN 'session_config has unknown keys: '
             || (SELECT pg_catalog.string_agg(k, ', ' ORDER BY k)
                 FROM pg_catalog.jsonb_object_keys(p_config - 'selectedModels' - 'perModelSettings') AS k)
    WHEN pg_catalog.jsonb_typeof(p_config -> 'selectedModels') <> 'array'
        THEN 'selectedModels must be an array of model ids'
    WHEN pg_catalog.jsonb_typeof(p_config -> 'perModelSettings') <> 'object'
        THEN 'perModelSettings must be an object keyed by model id'
    WHEN pg_catalog.jsonb_array_length(p_config -> 'selectedModels') > 64
        THEN 'selectedModels holds more than 64 models'
    WHEN EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(p_config -> 'selectedModels') AS e
                 WHERE pg_catalog.jsonb_typeof(e) <> 'string'
                    OR pg_catalog.char_length(e #>> '{}') NOT BETWEEN 1 AND 200)
        THEN 'selectedModels must hold model ids of 1 to 200 characters'
    WHEN (SELECT pg_catalog.count(DISTINCT e) <> pg_catalog.count(*)
          FROM pg_catalog.jsonb_array_elements_text(p_config -> 'selectedModels') AS e)
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
REVOKE EXECUTE ON FUNCTION "invariants"."session_config_problem"(jsonb)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:1b7e6819e3ca1278403c3b2e9e28bfda806530b72239e94d4932b6afbbc4a8a2","drop":["DROP FUNCTION IF EXISTS \"public\".\"record_model_response\"(uuid, text)"],"key":"function public.record_model_response(uuid, text)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."record_model_response"("p_session_id" uuid, "p_model_id" text)
    RETURNS TABLE (
        response_count bigint,
        first_used_at timestamp with time zone,
        last_used_at timestamp with time zone
    )
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
#variable_conflict use_column
DECLARE
    v_user uuid;
    v_config jsonb;
BEGIN
    IF p_session_id IS NULL THEN
        RAISE EXCEPTION 'session_id is required' USING ERRCODE = 'IV422', COLUMN = 'session_id';
    END IF;
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
    INSERT INTO public.model_statistics AS t
        (user_id, model_id, session_id, response_count, first_used_at, last_used_at)
    VALUES (v_user, p_model_id, p_session_id, 1, pg_catalog.now(), pg_catalog.now())
    ON CONFLICT (user_id, model_id, session_id) DO UPDATE SET
        response_count = t.response_count + 1,
        first_used_at = COALESCE(t.first_used_at, EXCLUDED.first_used_at),
        last_used_at = EXCLUDED.last_used_at
    RETURNING t.response_count, t.first_used_at, t.last_used_at;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."record_model_response"(uuid, text)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."record_model_response"(uuid, text) TO "service_role";

-- invariants:object {"checksum":"sha256:80f450fe54735d62c10ad3c1a4698a19eed30a1ac7f1b5eba5f5007f0855a2bb","drop":["DROP FUNCTION IF EXISTS \"public\".\"model_statistics_summary\"(text)"],"key":"function public.model_statistics_summary(text)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."model_statistics_summary"("p_model_id" text)
    RETURNS TABLE (
        model_id text,
        session_count bigint,
        response_count bigint,
        total_brains bigint,
        dismissal_count bigint,
        first_used_at timestamp with time zone,
        last_used_at timestamp with time zone
    )
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
REVOKE EXECUTE ON FUNCTION "public"."model_statistics_summary"(text)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."model_statistics_summary"(text) TO "authenticated";

-- invariants:object {"checksum":"sha256:e1fa560c7e0ab9a330baa304e35adb72e9b44734b7d6d8b48a11d9e8245e7c4c","drop":["DROP FUNCTION IF EXISTS \"public\".\"my_model_leaderboard\"(integer)"],"key":"function public.my_model_leaderboard(integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
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
REVOKE EXECUTE ON FUNCTION "public"."my_model_leaderboard"(integer)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."my_model_leaderboard"(integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:1dfc8e84792870dcec16efb4d1c8e72d050e521f212bf14a01713fa5e1f6c486","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"dismiss_model\"(uuid, text, text)"],"key":"function invariants_private.dismiss_model(uuid, text, text)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "invariants_private"."dismiss_model"("p_session_id" uuid, "p_model_id" text, "p_note" text)
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
    IF p_session_id IS NULL THEN
        RAISE EXCEPTION 'session_id is required' USING ERRCODE = 'IV422', COLUMN = 'session_id';
    END IF;
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
                'selectedModels', (
                    SELECT COALESCE(pg_catalog.jsonb_agg(e.value ORDER BY e.ordinality), '[]'::jsonb)
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
        INSERT INTO public.model_statistics AS t
            (user_id, model_id, session_id, dismissal_count, last_dismissal_note, last_dismissed_at)
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
REVOKE EXECUTE ON FUNCTION "invariants_private"."dismiss_model"(uuid, text, text)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."dismiss_model"(uuid, text, text) TO "authenticated";

-- invariants:object {"checksum":"sha256:ab008655b218fa585004dbf16a13ea5103bf4db80cb934374dbabc1fb7f934c6","drop":["DROP FUNCTION IF EXISTS \"public\".\"dismiss_model\"(uuid, text, text)"],"key":"function public.dismiss_model(uuid, text, text)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."dismiss_model"("p_session_id" uuid, "p_model_id" text, "p_note" text)
    RETURNS TABLE (dismissed boolean, config_version bigint, selected_models text[], dismissal_count bigint)
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    RETURN QUERY SELECT * FROM "invariants_private"."dismiss_model"("p_session_id", "p_model_id", "p_note");
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."dismiss_model"(uuid, text, text)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."dismiss_model"(uuid, text, text) TO "authenticated";

-- invariants:object {"checksum":"sha256:70a01500b50378341eaf5ac07c7e5a22958966e4a02bb3b94317225f28aa8884","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"set_session_models\"(uuid, text[], bigint)"],"key":"function invariants_private.set_session_models(uuid, text[], bigint)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "invariants_private"."set_session_models"(
    "p_session_id" uuid,
    "p_models" text[],
    "p_expected_version" bigint
)
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
    IF p_session_id IS NULL THEN
        RAISE EXCEPTION 'session_id is required' USING ERRCODE = 'IV422', COLUMN = 'session_id';
    END IF;
    IF p_models IS NULL OR pg_catalog.array_ndims(p_models) > 1 OR pg_catalog.cardinality(p_models) > 64 THEN
        RAISE EXCEPTION 'models must be a list of at most 64 model ids' USING ERRCODE = 'IV422', COLUMN = 'models';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(p_models) AS m
               WHERE m IS NULL OR pg_catalog.char_length(m) NOT BETWEEN 1 AND 200) THEN
        RAISE EXCEPTION 'every model id must be 1 to 200 characters' USING ERRCODE = 'IV422', COLUMN = 'models';
    END IF;
    IF (SELECT pg_catalog.count(DISTINCT m) FROM pg_catalog.unnest(p_models) AS m)
       <> pg_catalog.cardinality(p_models) THEN
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
        RAISE EXCEPTION 'the panel of session % changed: version % is stale, current is %',
                p_session_id, p_expected_version, v_version
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
    RETURN QUERY
    SELECT v_version, ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_config -> 'selectedModels'));
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants_private"."set_session_models"(uuid, text[], bigint)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."set_session_models"(uuid, text[], bigint) TO "authenticated";

-- invariants:object {"checksum":"sha256:7b9f45c08a36d7ba96a19eccb6030eb7eab7662d36219bf1310ccb3bed31fd26","drop":["DROP FUNCTION IF EXISTS \"public\".\"set_session_models\"(uuid, text[], bigint)"],"key":"function public.set_session_models(uuid, text[], bigint)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."set_session_models"(
    "p_session_id" uuid,
    "p_models" text[],
    "p_expected_version" bigint
)
    RETURNS TABLE (config_version bigint, selected_models text[])
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    RETURN QUERY SELECT * FROM "invariants_private"."set_session_models"(
        "p_session_id",
        "p_models",
        "p_expected_version"
    );
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."set_session_models"(uuid, text[], bigint)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."set_session_models"(uuid, text[], bigint) TO "authenticated";

-- invariants:object {"checksum":"sha256:e43779c3b4a11b508180999f6b32077dc7b6bb8be6a9b654d3ecf0c4adfbb801","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"add_brains\"(uuid, text, integer)"],"key":"function invariants_private.add_brains(uuid, text, integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "invariants_private"."add_brains"(
    "p_session_id" uuid,
    "p_model_id" text,
    "p_brains" integer
)
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
    IF p_session_id IS NULL THEN
        RAISE EXCEPTION 'session_id is required' USING ERRCODE = 'IV422', COLUMN = 'session_id';
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
      AND t.total_brains + p_brains <= 1000
    RETURNING t.total_brains INTO v_total;
    IF NOT FOUND THEN
        SELECT t.total_brains INTO v_total FROM public.model_statistics AS t
        WHERE t.user_id = v_user AND t.model_id = p_model_id AND t.session_id = p_session_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'model % has no record in session %', p_model_id, p_session_id
                USING ERRCODE = 'IV404', COLUMN = 'model_id';
        END IF;
        RAISE EXCEPTION 'brains are capped at 1000 per model and session: % already given, % more refused',
            v_total, p_brains
            USING ERRCODE = 'IV422', COLUMN = 'brains',
                  HINT = 'at most 1000 brains per (user, session, model) in total';
    END IF;
    RETURN QUERY SELECT v_total;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants_private"."add_brains"(uuid, text, integer)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."add_brains"(uuid, text, integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:2fddce515f892de1dea9496174aa4efd6f0ad3fefa03ea61185a8892d5a8a456","drop":["DROP FUNCTION IF EXISTS \"public\".\"add_brains\"(uuid, text, integer)"],"key":"function public.add_brains(uuid, text, integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."add_brains"("p_session_id" uuid, "p_model_id" text, "p_brains" integer)
    RETURNS TABLE (total_brains bigint)
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    RETURN QUERY SELECT * FROM "invariants_private"."add_brains"("p_session_id", "p_model_id", "p_brains");
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."add_brains"(uuid, text, integer)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."add_brains"(uuid, text, integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:62bda874123c3fb75eea61bbd1fca64c44266650939be69dd89d2927a03817cb","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"global_model_leaderboard\"(integer, integer)"],"key":"function invariants_private.global_model_leaderboard(integer, integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "invariants_private"."global_model_leaderboard"("p_min_users" integer, "p_limit" integer)
    RETURNS TABLE (
        rank bigint,
        model_id text,
        user_count bigint,
        response_count bigint,
        total_brains bigint,
        dismissal_count bigint
    )
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
               pg_catalog.count(DISTINCT t.user_id) FILTER (WHERE t.response_count > 0) AS user_count,
               pg_catalog.sum(t.response_count)::bigint AS response_count,
               pg_catalog.sum(t.total_brains)::bigint AS total_brains,
               pg_catalog.sum(t.dismissal_count)::bigint AS dismissal_count
        FROM public.model_statistics AS t
        GROUP BY t.model_id
        HAVING pg_catalog.count(DISTINCT t.user_id) FILTER (WHERE t.response_count > 0) >= p_min_users
    ) AS g
    ORDER BY 1
    LIMIT p_limit;
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "invariants_private"."global_model_leaderboard"(integer, integer)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."global_model_leaderboard"(integer, integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:d7ce2b21016b4e0ecf458fd9c6abbabb797814769eb2389d40a10c8ca0fa0a8b","drop":["DROP FUNCTION IF EXISTS \"public\".\"global_model_leaderboard\"(integer, integer)"],"key":"function public.global_model_leaderboard(integer, integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."global_model_leaderboard"("p_min_users" integer, "p_limit" integer)
    RETURNS TABLE (
        rank bigint,
        model_id text,
        user_count bigint,
        response_count bigint,
        total_brains bigint,
        dismissal_count bigint
    )
    LANGUAGE plpgsql
    STABLE
    SET search_path = ''
AS $fn$
BEGIN
    RETURN QUERY SELECT * FROM "invariants_private"."global_model_leaderboard"("p_min_users", "p_limit");
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."global_model_leaderboard"(integer, integer)
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."global_model_leaderboard"(integer, integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:5e61c962066f73348cbbde8090e45357d8e8554b4ea1889d75e5b5ed43bee866","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"validate_session_config\"()"],"key":"function invariants.validate_session_config()","kind":"trigger function","source":"ModelWorkRecord.ModelWorkRecordModule"}
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
REVOKE EXECUTE ON FUNCTION "invariants"."validate_session_config"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:object {"checksum":"sha256:f6ad85b24345304a404b84eebfee5ff855aec2328e452e5eda5531c4530cf81c","drop":["DROP FUNCTION IF EXISTS \"invariants\".\"fold_session_model_statistics\"()"],"key":"function invariants.fold_session_model_statistics()","kind":"trigger function","source":"ModelWorkRecord.ModelWorkRecordModule"}
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
REVOKE EXECUTE ON FUNCTION "invariants"."fold_session_model_statistics"()
    FROM PUBLIC, "anon", "authenticated", "service_role";

