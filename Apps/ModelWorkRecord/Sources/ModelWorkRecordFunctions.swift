import InvariantsSchema

/// The functions of seed 000. Every one locks the session row before any statistics row
/// (the order the session-delete fold uses too), so none of them deadlocks another.
extension ModelWorkRecordModule {
    static let source = "ModelWorkRecord.ModelWorkRecordModule"
    static let invalid = ProjectErrorCode.invalidInput.sqlLiteral
    static let notFound = ProjectErrorCode.notFound.sqlLiteral
    static let conflict = ProjectErrorCode.conflict.sqlLiteral

    /// Refuses a NULL session id (IV422 `session_id`): "session <NULL> not found" would blame a
    /// session that was never named.
    static let checkSessionID = """
        IF p_session_id IS NULL THEN
                RAISE EXCEPTION 'session_id is required' USING ERRCODE = \(invalid), COLUMN = 'session_id';
            END IF;
        """

    /// Refuses a model id that is NULL, empty or longer than 200 characters (IV422 `model_id`).
    static let checkModelID = """
        IF p_model_id IS NULL OR pg_catalog.char_length(p_model_id) NOT BETWEEN 1 AND 200 THEN
                RAISE EXCEPTION 'model_id must be 1 to 200 characters'
                    USING ERRCODE = \(invalid), COLUMN = 'model_id';
            END IF;
        """

    /// `public.record_model_response(session_id, model_id)`: +1 response and `last_used_at`.
    ///
    /// Called by the orchestrator as `service_role` only. Users may not call it: the global
    /// leaderboard sums responses across users, and a user who could count their own
    /// responses could inflate it. SECURITY INVOKER: `service_role` owns the rights it needs.
    /// The model must be on the session's panel (a dismissed model's late answer is refused
    /// with IV404, so the record never counts work for a model that is off the panel).
    static let recordModelResponse = StoredFunction(
        QualifiedName("public", "record_model_response"),
        arguments: [.init("p_session_id", .uuid), .init("p_model_id", .text)],
        returnsTable: [.init("response_count", .bigint), .init("first_used_at", .timestamptz), .init("last_used_at", .timestamptz)],
        body: """
            #variable_conflict use_column
            DECLARE
                v_user uuid;
                v_config jsonb;
            BEGIN
                \(checkSessionID)
                \(checkModelID)
                -- FOR SHARE: waits for a dismiss or delete of this session in flight, then sees its result.
                SELECT s.user_id, s.session_config INTO v_user, v_config
                FROM public.sessions AS s WHERE s.id = p_session_id
                FOR SHARE;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'session % not found', p_session_id USING ERRCODE = \(notFound), COLUMN = 'session_id';
                END IF;
                IF NOT (v_config -> 'selectedModels') ? p_model_id THEN
                    RAISE EXCEPTION 'model % is not on the panel of session %', p_model_id, p_session_id
                        USING ERRCODE = \(notFound), COLUMN = 'model_id';
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
            """)

    /// `public.dismiss_model(session_id, model_id, note)`: removes the model from the panel
    /// and its per-model settings, bumps `config_version` and counts the dismissal, in one
    /// transaction. Dismissing a model already dismissed changes nothing (`dismissed` false);
    /// a model never on this session's panel is IV404.
    ///
    /// Owner's rights (a ``PrivilegedFunction``): users cannot write the panel or the counters directly. The session
    /// is looked up with the caller's `auth.uid()`, so another user's session is "not found".
    static let dismissModel = PrivilegedFunction(StoredFunction(
        QualifiedName("public", "dismiss_model"),
        arguments: [.init("p_session_id", .uuid), .init("p_model_id", .text), .init("p_note", .text)],
        returnsTable: [
            .init("dismissed", .boolean), .init("config_version", .bigint), .init("selected_models", .textArray),
            .init("dismissal_count", .bigint),
        ],
        body: """
            #variable_conflict use_column
            DECLARE
                v_user uuid := (SELECT auth.uid());
                v_config jsonb;
                v_version bigint;
                v_count bigint;
                v_dismissed boolean := false;
                v_rows bigint;
            BEGIN
                \(checkSessionID)
                \(checkModelID)
                IF pg_catalog.char_length(p_note) > 500 THEN
                    RAISE EXCEPTION 'note must be at most 500 characters, got %', pg_catalog.char_length(p_note)
                        USING ERRCODE = \(invalid), COLUMN = 'note';
                END IF;
                SELECT s.session_config, s.config_version INTO v_config, v_version
                FROM public.sessions AS s WHERE s.id = p_session_id AND s.user_id = v_user
                FOR NO KEY UPDATE;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'session % not found', p_session_id USING ERRCODE = \(notFound), COLUMN = 'session_id';
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
                            USING ERRCODE = \(notFound), COLUMN = 'model_id';
                    END IF;
                END IF;
                RETURN QUERY SELECT v_dismissed, v_version,
                    ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_config -> 'selectedModels')), v_count;
            END
            """))

    /// `public.set_session_models(session_id, models, expected_version)`: replaces the panel
    /// when `expected_version` is still current, else IV409 (the caller re-reads and re-applies
    /// its own changes, so a dismiss made meanwhile is never undone). Settings of models
    /// no longer selected are dropped. An unchanged panel is not a change (no version bump).
    static let setSessionModels = PrivilegedFunction(StoredFunction(
        QualifiedName("public", "set_session_models"),
        arguments: [.init("p_session_id", .uuid), .init("p_models", .textArray), .init("p_expected_version", .bigint)],
        returnsTable: [.init("config_version", .bigint), .init("selected_models", .textArray)],
        body: """
            #variable_conflict use_column
            DECLARE
                v_user uuid := (SELECT auth.uid());
                v_config jsonb;
                v_version bigint;
                v_rows bigint;
            BEGIN
                \(checkSessionID)
                IF p_models IS NULL OR pg_catalog.array_ndims(p_models) > 1 OR pg_catalog.cardinality(p_models) > 64 THEN
                    RAISE EXCEPTION 'models must be a list of at most 64 model ids' USING ERRCODE = \(invalid), COLUMN = 'models';
                END IF;
                IF EXISTS (SELECT 1 FROM pg_catalog.unnest(p_models) AS m
                           WHERE m IS NULL OR pg_catalog.char_length(m) NOT BETWEEN 1 AND 200) THEN
                    RAISE EXCEPTION 'every model id must be 1 to 200 characters' USING ERRCODE = \(invalid), COLUMN = 'models';
                END IF;
                IF (SELECT pg_catalog.count(DISTINCT m) FROM pg_catalog.unnest(p_models) AS m)
                   <> pg_catalog.cardinality(p_models) THEN
                    RAISE EXCEPTION 'models lists a model twice' USING ERRCODE = \(invalid), COLUMN = 'models';
                END IF;
                IF p_expected_version IS NULL THEN
                    RAISE EXCEPTION 'expected_version is required' USING ERRCODE = \(invalid), COLUMN = 'expected_version';
                END IF;
                SELECT s.session_config, s.config_version INTO v_config, v_version
                FROM public.sessions AS s WHERE s.id = p_session_id AND s.user_id = v_user
                FOR NO KEY UPDATE;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'session % not found', p_session_id USING ERRCODE = \(notFound), COLUMN = 'session_id';
                END IF;
                IF v_version <> p_expected_version THEN
                    RAISE EXCEPTION 'the panel of session % changed: version % is stale, current is %',
                            p_session_id, p_expected_version, v_version
                        USING ERRCODE = \(conflict), COLUMN = 'expected_version',
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
            """))

    /// The most brains one user may give one model in one session, in total (``addBrains``):
    /// without a cap one account could give a model 500,000 brains and top the global board.
    public static let brainsCap = 1000

    /// `public.add_brains(session_id, model_id, brains)`: adds 1…1000 brains to a model that
    /// has a record in the caller's session (IV404 otherwise), up to ``brainsCap`` in total for
    /// that (user, session, model) — beyond it IV422 naming the cap, nothing added. The cap is
    /// part of the UPDATE's WHERE, so concurrent calls re-check it on the locked row and cannot
    /// pass it together. Owner's rights (a ``PrivilegedFunction``): users cannot write counters; ownership is checked
    /// through `auth.uid()`.
    static let addBrains = PrivilegedFunction(StoredFunction(
        QualifiedName("public", "add_brains"),
        arguments: [.init("p_session_id", .uuid), .init("p_model_id", .text), .init("p_brains", .integer)],
        returnsTable: [.init("total_brains", .bigint)],
        body: """
            #variable_conflict use_column
            DECLARE
                v_user uuid := (SELECT auth.uid());
                v_total bigint;
            BEGIN
                IF p_brains IS NULL OR p_brains < 1 OR p_brains > 1000 THEN
                    RAISE EXCEPTION 'brains must be between 1 and 1000, got %', COALESCE(p_brains::text, 'NULL')
                        USING ERRCODE = \(invalid), COLUMN = 'brains';
                END IF;
                \(checkSessionID)
                \(checkModelID)
                PERFORM 1 FROM public.sessions AS s WHERE s.id = p_session_id AND s.user_id = v_user FOR SHARE;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'session % not found', p_session_id USING ERRCODE = \(notFound), COLUMN = 'session_id';
                END IF;
                UPDATE public.model_statistics AS t SET total_brains = t.total_brains + p_brains
                WHERE t.user_id = v_user AND t.model_id = p_model_id AND t.session_id = p_session_id
                  AND t.total_brains + p_brains <= \(brainsCap)
                RETURNING t.total_brains INTO v_total;
                IF NOT FOUND THEN
                    SELECT t.total_brains INTO v_total FROM public.model_statistics AS t
                    WHERE t.user_id = v_user AND t.model_id = p_model_id AND t.session_id = p_session_id;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'model % has no record in session %', p_model_id, p_session_id
                            USING ERRCODE = \(notFound), COLUMN = 'model_id';
                    END IF;
                    RAISE EXCEPTION 'brains are capped at \(brainsCap) per model and session: % already given, % more refused',
                        v_total, p_brains
                        USING ERRCODE = \(invalid), COLUMN = 'brains',
                              HINT = 'at most \(brainsCap) brains per (user, session, model) in total';
                END IF;
                RETURN QUERY SELECT v_total;
            END
            """))

    /// `public.model_statistics_summary(model_id)`: the caller's record per model (all
    /// sessions plus the lifetime row), or one model's. SECURITY INVOKER: RLS applies.
    static let statisticsSummary = StoredFunction(
        QualifiedName("public", "model_statistics_summary"),
        arguments: [.init("p_model_id", .text)],
        returnsTable: [
            .init("model_id", .text), .init("session_count", .bigint), .init("response_count", .bigint),
            .init("total_brains", .bigint), .init("dismissal_count", .bigint), .init("first_used_at", .timestamptz),
            .init("last_used_at", .timestamptz),
        ],
        language: "sql", volatility: .stable,
        body: """
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
            """)

    /// `public.my_model_leaderboard(limit)`: the caller's models by brains, then responses.
    static let myLeaderboard = StoredFunction(
        QualifiedName("public", "my_model_leaderboard"),
        arguments: [.init("p_limit", .integer)],
        returnsTable: [
            .init("rank", .bigint), .init("model_id", .text), .init("response_count", .bigint), .init("total_brains", .bigint),
            .init("dismissal_count", .bigint),
        ],
        volatility: .stable,
        body: """
            #variable_conflict use_column
            BEGIN
                IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100 THEN
                    RAISE EXCEPTION 'limit must be between 1 and 100' USING ERRCODE = \(invalid), COLUMN = 'limit';
                END IF;
                RETURN QUERY
                SELECT pg_catalog.row_number() OVER (ORDER BY m.total_brains DESC, m.response_count DESC, m.model_id),
                       m.model_id, m.response_count, m.total_brains, m.dismissal_count
                FROM public.model_statistics_summary(NULL) AS m
                ORDER BY 1
                LIMIT p_limit;
            END
            """)

    /// `public.global_model_leaderboard(min_users, limit)`: every user's models, as sums only,
    /// and only for models used by at least `min_users` distinct users (3 or more: with 2, each
    /// of the two could subtract their own counts and read the other's). A user counts only for
    /// real use — a recorded response (written by the service, never by users): accounts that
    /// merely dismissed a model or gave it brains cannot make up the threshold.
    ///
    /// Owner's rights (a ``PrivilegedFunction``) because it reads across users; it returns no user id, session or
    /// timestamp, only aggregates.
    static let globalLeaderboard = PrivilegedFunction(StoredFunction(
        QualifiedName("public", "global_model_leaderboard"),
        arguments: [.init("p_min_users", .integer), .init("p_limit", .integer)],
        returnsTable: [
            .init("rank", .bigint), .init("model_id", .text), .init("user_count", .bigint), .init("response_count", .bigint),
            .init("total_brains", .bigint), .init("dismissal_count", .bigint),
        ],
        volatility: .stable,
        body: """
            #variable_conflict use_column
            BEGIN
                IF p_min_users IS NULL OR p_min_users < 3 THEN
                    RAISE EXCEPTION 'min_users must be at least 3, got %', COALESCE(p_min_users::text, 'NULL')
                        USING ERRCODE = \(invalid), COLUMN = 'min_users';
                END IF;
                IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100 THEN
                    RAISE EXCEPTION 'limit must be between 1 and 100' USING ERRCODE = \(invalid), COLUMN = 'limit';
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
            """))

    static var functions: [RepeatableObject] {
        [
            recordModelResponse.repeatableObject(source: source, executableBy: [.serviceRole]),
            statisticsSummary.repeatableObject(source: source, executableBy: [.authenticated]),
            myLeaderboard.repeatableObject(source: source, executableBy: [.authenticated]),
        ] + [dismissModel, setSessionModels, addBrains, globalLeaderboard].flatMap {
            $0.repeatableObjects(source: source, executableBy: [.authenticated])
        }
    }
}
