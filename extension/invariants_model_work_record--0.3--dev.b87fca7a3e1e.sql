-- Extension invariants_model_work_record upgrade 0.3 → dev.b87fca7a3e1e: 0 function(s) dropped,
-- 2 created or replaced, 8 unchanged.
-- Generated from the Swift declarations; do not edit by hand.
-- Apply: ALTER EXTENSION invariants_model_work_record UPDATE TO 'dev.b87fca7a3e1e';
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

-- invariants:object {"checksum":"sha256:789d2e074457d82df329bf9a6a4a319f463cb2ed1b56729c3a0d5c82b8dd467b","drop":["DROP FUNCTION IF EXISTS \"public\".\"add_brains\"(uuid, text, integer)"],"key":"function public.add_brains(uuid, text, integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
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
REVOKE EXECUTE ON FUNCTION "public"."add_brains"(uuid, text, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."add_brains"(uuid, text, integer) TO "authenticated";

-- invariants:object {"checksum":"sha256:cd8dd3c5e50856ac9e9d180d41fb0d5586dfd2289ebf6baaf5921e3698304c90","drop":["DROP FUNCTION IF EXISTS \"public\".\"global_model_leaderboard\"(integer, integer)"],"key":"function public.global_model_leaderboard(integer, integer)","kind":"function","source":"ModelWorkRecord.ModelWorkRecordModule"}
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
REVOKE EXECUTE ON FUNCTION "public"."global_model_leaderboard"(integer, integer) FROM PUBLIC, "anon", "authenticated", "service_role";

-- invariants:statement
GRANT EXECUTE ON FUNCTION "public"."global_model_leaderboard"(integer, integer) TO "authenticated";

