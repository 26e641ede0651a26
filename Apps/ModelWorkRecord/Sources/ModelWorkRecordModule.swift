public import InvariantsSchema

/// Seed 000: the expert panel of a session (`sessions.session_config`) and each model's
/// work record (`model_statistics`), kept in agreement by the database.
///
/// The seed's bugs this module rules out:
/// - a dismissal that only changed the UI: ``dismissModel`` removes the model from the
///   panel and counts the dismissal in one transaction;
/// - a debounced auto-save that re-added a model a dismissal had removed: the panel changes
///   only through functions that compare `config_version` (stale writes get IV409);
/// - `UNIQUE (user_id, model_id, session_id)` with `ON DELETE SET NULL`, which on session
///   delete either duplicated a model's lifetime row or failed: deleting a session folds its
///   rows into one lifetime row per (user, model) with `session_id` NULL
///   (`UNIQUE NULLS NOT DISTINCT` makes that row unique);
/// - counters writable by the browser: users may only read them; they change through
///   ``recordModelResponse``, ``dismissModel`` and ``addBrains``.
///
/// Every table carries `user_id` (the tenant key) and `model_statistics` points at its session
/// by `(user_id, session_id)`, so a statistics row can never belong to another user's session.
public enum ModelWorkRecordModule {
    /// `public.sessions`: one task/chat session and its expert panel.
    public static let sessions = Table(
        "public", "sessions",
        comment: "A user's session (task) and its expert panel. The panel (session_config) changes only through public.set_session_models and public.dismiss_model, which bump config_version."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("user_id", .uuid, nullable: false, comment: "Owner and tenant key.")
        Column("title", .text, nullable: false, default: "''")
        Column(
            "session_config", .jsonb, nullable: false,
            default: "'{\"selectedModels\": [], \"perModelSettings\": {}}'::jsonb",
            comment: "{\"selectedModels\": [model id, …], \"perModelSettings\": {model id: {…}}}; settings only for selected models.")
        Column(
            "config_version", .bigint, nullable: false, default: "1",
            comment: "Bumped on every panel change; a save sends the version it started from and is refused (IV409) when stale.")
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["user_id"], references: QualifiedName("auth", "users"), ["id"], onDelete: .cascade)
        // Target of model_statistics' (user_id, session_id) key: the child shares the tenant.
        Unique("user_id", "id")
        Check("char_length(title) <= 200", columns: ["title"])
        Check("config_version >= 1", columns: ["config_version"])
        // A backstop for the shape; the validation trigger raises IV422 with a readable reason first.
        Check(sessionConfigShape, columns: ["session_config"])
        Index("user_id", .descending("updated_at"))
    }

    /// `public.model_statistics`: the work record, one row per (user, model, session) and one
    /// lifetime row per (user, model) with `session_id` NULL holding folded sessions' sums.
    public static let modelStatistics = Table(
        "public", "model_statistics",
        comment: "Work record per (user, model, session); session_id NULL is the lifetime row that deleted sessions fold into. Counters change only through functions."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("user_id", .uuid, nullable: false, comment: "Owner and tenant key.")
        Column("model_id", .text, nullable: false, comment: "e.g. openai/gpt-4o")
        Column("session_id", .uuid, comment: "NULL: the lifetime row (sums of deleted sessions).")
        Column("response_count", .bigint, nullable: false, default: "0")
        Column("total_brains", .bigint, nullable: false, default: "0")
        Column("dismissal_count", .bigint, nullable: false, default: "0")
        Column("folded_session_count", .bigint, nullable: false, default: "0",
               comment: "On the lifetime row: how many deleted sessions were folded into it.")
        Column("last_dismissal_note", .text)
        Column("last_dismissed_at", .timestamptz)
        Column("first_used_at", .timestamptz, comment: "First response; NULL until the model answers.")
        Column("last_used_at", .timestamptz, comment: "Latest response.")
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["user_id"], references: QualifiedName("auth", "users"), ["id"], onDelete: .cascade)
        // Safe as CASCADE: the BEFORE DELETE trigger on sessions has already folded and removed
        // these rows; MATCH SIMPLE leaves lifetime rows (session_id NULL) alone.
        ForeignKey(
            ["user_id", "session_id"], references: QualifiedName("public", "sessions"), ["user_id", "id"],
            onDelete: .cascade)
        Unique("user_id", "model_id", "session_id", nullsNotDistinct: true)
        Check(
            "response_count >= 0 AND total_brains >= 0 AND dismissal_count >= 0 AND folded_session_count >= 0",
            name: "model_statistics_counters_not_negative")
        Check("char_length(model_id) BETWEEN 1 AND 200", columns: ["model_id"])
        Check("char_length(last_dismissal_note) <= 500", columns: ["last_dismissal_note"])
        // The fold and the session cascade look rows up by (user_id, session_id).
        Index("user_id", "session_id")
    }

    /// Type checks of `session_config` that a CHECK can express (no subqueries). CASE keeps
    /// the operators that fail on non-objects from running on them.
    static let sessionConfigShape = """
        CASE WHEN jsonb_typeof(session_config) = 'object' THEN
                (session_config - 'selectedModels' - 'perModelSettings') = '{}'::jsonb
                AND jsonb_typeof(session_config -> 'selectedModels') = 'array'
                AND jsonb_typeof(session_config -> 'perModelSettings') = 'object'
                AND NOT jsonb_path_exists(session_config, '$.selectedModels[*] ? (@.type() != "string")')
                AND NOT jsonb_path_exists(session_config, '$.perModelSettings.* ? (@.type() != "object")')
            ELSE false END
        """

    public static var module: Module {
        Module("model_work_record", dependsOn: ["core", "auth"], summary: "seed 000: expert-panel sessions, model work record, leaderboards",
               migrations: [migration], repeatables: repeatables, checks: checks,
               tables: [modelStatistics, sessions].map(\.qualifiedName),
               declaredTables: [modelStatistics, sessions], adoption: adoption)
    }

    /// Seed 000's app already has `sessions` (the panel lives in `session_config`): adopted in
    /// place. `model_statistics` is created when absent; an app's own one must fit the
    /// declaration (its seed draft had integer counters and `ON DELETE SET NULL`: refused, named).
    public static var adoption: Adoption {
        Adoption(
            module: "model_work_record", version: 1, source: "ModelWorkRecord.ModelWorkRecordModule.adoption",
            tables: [
                AdoptedTable(sessions, expects: ["id", "user_id"]),
                AdoptedTable(modelStatistics, expects: ["id", "user_id", "model_id", "session_id", "response_count", "total_brains",
                                                        "dismissal_count"]),
            ])
    }

    public static var migration: Migration {
        Migration(
            module: "model_work_record", version: 1, name: "model_work_record", source: "ModelWorkRecord.ModelWorkRecordModule.migration",
            steps: sessions.createSteps() + modelStatistics.createSteps())
    }

    public static var repeatables: [RepeatableObject] {
        [
            UpdatedAt(sessions).repeatableObjects(),
            UpdatedAt(modelStatistics).repeatableObjects(),
            // Users create, rename and delete their sessions; the panel and the version change
            // only through the functions (a direct write could resurrect a dismissed model).
            RowLevelSecurity.owner(
                sessions, insertColumns: ["id", "user_id", "title", "session_config"], updateColumns: ["title"],
                delete: true
            ).repeatableObjects(),
            // Read-only for users: every counter changes through a function.
            RowLevelSecurity.owner(modelStatistics).repeatableObjects(),
            sessionConfigValidation,
            sessionFold,
            functions,
        ].flatMap { $0 }
    }
}
