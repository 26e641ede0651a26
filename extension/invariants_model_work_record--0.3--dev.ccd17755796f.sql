-- Extension invariants_model_work_record upgrade 0.3 → dev.ccd17755796f: 0 function(s) dropped,
-- 9 created or replaced, 5 unchanged.
-- Generated from the Swift declarations; do not edit by hand.
-- Apply: ALTER EXTENSION invariants_model_work_record UPDATE TO 'dev.ccd17755796f';
-- (`invariants migrate --stored-logic extension` first drops the triggers and other
-- objects that still use a dropped function, then updates, then re-creates them.)
\echo Use "CREATE EXTENSION invariants_model_work_record" to load this file. \quit
DO $guard$
BEGIN
    IF pg_catalog.to_regnamespace('invariants') IS NULL THEN
        RAISE EXCEPTION 'extension invariants_model_work_record holds stored logic only: apply the migrations first'
            USING HINT = 'invariants migrate --stored-logic extension (or psql -f each module''s migrations), then CREATE EXTENSION invariants_model_work_record';
    END IF;
END
$guard$;

-- invariants:object {"checksum":"sha256:001bd8bc04947e41d957b4071d94465a9d33e3eaa9da0fddd28a04c384216b43","drop":["DROP FUNCTION IF EXISTS \"public\".\"record_model_response\"(uuid, text)"],"key":"function public.record_model_response(uuid, text)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
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

-- invariants:object {"checksum":"sha256:47db56b7c29fe1c7136f487cde4281da708369349a54d550136166ca06669196","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"dismiss_model\"(uuid, text, text)"],"key":"function invariants_private.dismiss_model(uuid, text, text)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
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
REVOKE EXECUTE ON FUNCTION "invariants_private"."dismiss_model"(uuid, text, text) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."dismiss_model"(uuid, text, text) TO "authenticated";

-- invariants:object {"checksum":"sha256:3e938f91ad3aa7c167c0b7b1ede6cceab7189f4e223eef9c9921219747190621","drop":["DROP FUNCTION IF EXISTS \"public\".\"dismiss_model\"(uuid, text, text)"],"key":"function public.dismiss_model(uuid, text, text)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
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
REVOKE EXECUTE ON FUNCTION "public"."dismiss_model"(uuid, text, text) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."dismiss_model"(uuid, text, text) TO "authenticated";

-- invariants:object {"checksum":"sha256:695cc07dffc7bd2457c5790a0ecf5a7d1b2632d48d5b7777132edccf997dbe99","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"set_session_models\"(uuid, text[], bigint)"],"key":"function invariants_private.set_session_models(uuid, text[], bigint)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "invariants_private"."set_session_models"("p_session_id" uuid, "p_models" text[], "p_expected_version" bigint)
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
REVOKE EXECUTE ON FUNCTION "invariants_private"."set_session_models"(uuid, text[], bigint) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."set_session_models"(uuid, text[], bigint) TO "authenticated";

-- invariants:object {"checksum":"sha256:2a4da023343aa1a3d62bedcc5b8b20848b503992d47094d2e0bd5d4fe91d7048","drop":["DROP FUNCTION IF EXISTS \"public\".\"set_session_models\"(uuid, text[], bigint)"],"key":"function public.set_session_models(uuid, text[], bigint)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."set_session_models"("p_session_id" uuid, "p_models" text[], "p_expected_version" bigint)
    RETURNS TABLE (config_version bigint, selected_models text[])
    LANGUAGE plpgsql
    SET search_path = ''
AS $fn$
BEGIN
    RETURN QUERY SELECT * FROM "invariants_private"."set_session_models"("p_session_id", "p_models", "p_expected_version");
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."set_session_models"(uuid, text[], bigint) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."set_session_models"(uuid, text[], bigint) TO "authenticated";

-- invariants:object {"checksum":"sha256:d6d9d43cdd8f3b2267b7eae76d7a86eaf7df932119181656887fc5ffe2e15d2b","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"add_brains\"(uuid, text, integer)"],"key":"function invariants_private.add_brains(uuid, text, integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "invariants_private"."add_brains"("p_session_id" uuid, "p_model_id" text, "p_brains" integer)
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
REVOKE EXECUTE ON FUNCTION "invariants_private"."add_brains"(uuid, text, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."add_brains"(uuid, text, integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:8cec957bbd90130422ef0a1a59a7c2fc4ee6003a55514e1dd00b4863bdfc9f0f","drop":["DROP FUNCTION IF EXISTS \"public\".\"add_brains\"(uuid, text, integer)"],"key":"function public.add_brains(uuid, text, integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
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
REVOKE EXECUTE ON FUNCTION "public"."add_brains"(uuid, text, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."add_brains"(uuid, text, integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:ebbb40de9aec9b0c0cb597f7356262ab2361df4426aa61d3b277a473277d4a0b","drop":["DROP FUNCTION IF EXISTS \"invariants_private\".\"global_model_leaderboard\"(integer, integer)"],"key":"function invariants_private.global_model_leaderboard(integer, integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "invariants_private"."global_model_leaderboard"("p_min_users" integer, "p_limit" integer)
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
REVOKE EXECUTE ON FUNCTION "invariants_private"."global_model_leaderboard"(integer, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "invariants_private"."global_model_leaderboard"(integer, integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:4f190a373fda045b078c688ecb04726fcc44d781f0a80226606125f6556d3f6d","drop":["DROP FUNCTION IF EXISTS \"public\".\"global_model_leaderboard\"(integer, integer)"],"key":"function public.global_model_leaderboard(integer, integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
CREATE OR REPLACE FUNCTION "public"."global_model_leaderboard"("p_min_users" integer, "p_limit" integer)
    RETURNS TABLE (rank bigint, model_id text, user_count bigint, response_count bigint, total_brains bigint, dismissal_count bigint)
    LANGUAGE plpgsql
    STABLE
    SET search_path = ''
AS $fn$
BEGIN
    RETURN QUERY SELECT * FROM "invariants_private"."global_model_leaderboard"("p_min_users", "p_limit");
END
$fn$;

-- invariants:statement
REVOKE EXECUTE ON FUNCTION "public"."global_model_leaderboard"(integer, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."global_model_leaderboard"(integer, integer) TO "authenticated";

