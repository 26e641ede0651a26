import InvariantsSchema

extension ModelWorkRecordModule {
    /// A trigger function as stored logic: no request role may call it directly.
    static func triggerFunctionObject(_ function: StoredFunction) -> RepeatableObject {
        var object = function.repeatableObject(source: source, executableBy: [])
        object.kind = .triggerFunction
        return object
    }

    /// `invariants.session_config_problem(jsonb)`: NULL when the config is well formed, else
    /// one sentence saying what is wrong. IMMUTABLE and free of table access, so the client
    /// can show the reason; used by the validation trigger.
    static let sessionConfigProblem = StoredFunction(
        Schema.invariants("session_config_problem"), arguments: [.init("p_config", .jsonb)], returns: "text",
        language: "sql", volatility: .immutable,
        body: """
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
            """)

    /// BEFORE INSERT OR UPDATE OF session_config: a malformed config is refused with IV422
    /// naming `session_config` and the reason (the CHECK behind it only says "violates").
    /// SECURITY DEFINER only so that users need no EXECUTE on the private helper nor USAGE
    /// on the `invariants` schema; it reads nothing but NEW.
    static let validateSessionConfig = StoredFunction(
        Schema.invariants("validate_session_config"), returns: "trigger", securityDefiner: true,
        body: """
            DECLARE
                problem text := invariants.session_config_problem(NEW.session_config);
            BEGIN
                IF problem IS NOT NULL THEN
                    RAISE EXCEPTION '%', problem
                        USING ERRCODE = \(ProjectErrorCode.invalidInput.sqlLiteral), COLUMN = 'session_config';
                END IF;
                RETURN NEW;
            END
            """)

    static var sessionConfigValidation: [RepeatableObject] {
        [
            sessionConfigProblem.repeatableObject(source: source, executableBy: []),
            triggerFunctionObject(validateSessionConfig),
            Trigger(
                "validate_session_config", on: sessions.qualifiedName, .before, [.insert, .update(of: ["session_config"])],
                executing: validateSessionConfig
            ).repeatableObject(source: source),
        ]
    }

    /// BEFORE DELETE on sessions: folds the session's statistics into the lifetime row of
    /// each (user, model) and removes them, so the history is neither lost nor duplicated.
    ///
    /// SECURITY DEFINER: the deleting user may not write counters (and RLS would hide or skip
    /// rows silently); every step checks its row count and raises on a mismatch.
    /// Lock order, shared with every function here: the session row (locked by the DELETE
    /// before this trigger runs), then its statistics rows by model_id, then lifetime rows.
    /// A writer that holds the session FOR SHARE finishes first; one that comes later finds
    /// the session gone (IV404), so nothing is recorded into a deleted session.
    static let foldSessionStatistics = StoredFunction(
        Schema.invariants("fold_session_model_statistics"), returns: "trigger", securityDefiner: true,
        body: """
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
            """)

    static var sessionFold: [RepeatableObject] {
        [
            triggerFunctionObject(foldSessionStatistics),
            Trigger("fold_model_statistics", on: sessions.qualifiedName, .before, [.delete], executing: foldSessionStatistics)
                .repeatableObject(source: source),
        ]
    }
}
