public import InvariantsSchema

/// Seed 003 (a trading assistant on Supabase): profiles, the full chat history the API logs,
/// users' favorites, and per-user daily usage with an optional cost alert.
///
/// What the database enforces, whoever writes:
/// - `chat_logs.tools_used` is a JSON array of objects with a non-empty string `name`;
///   tokens and cost are never negative (``ChatLogsLogging``).
/// - Saving by `chat_log_id` copies question and response from the log, and only from the
///   saver's own log (``ChatLogsSaving``); the seed's app inserts `(user_id, chat_log_id)`
///   directly under RLS and that works unchanged.
/// - `usage_daily` is kept by the database and exact under concurrent loggers; crossing a
///   user's daily cost limit notifies `invariants_cost_alerts` once (``ChatLogsUsage``).
/// - Every user-owned table has owner RLS; deleting the `auth.users` row erases the user's
///   logs, favorites, usage and threshold (foreign keys `ON DELETE CASCADE`).
///
/// Timestamps: the seed wrote `TIMESTAMP DEFAULT NOW()` (without time zone), which stores the
/// server's local wall clock and changes meaning with the `TimeZone` setting. Here every
/// `created_at` is `timestamptz` (an instant); days for usage are UTC calendar days.
public enum ChatLogsModule {
    public static var module: Module {
        Module("chat_logs", dependsOn: ["core", "auth"], summary: "seed 003: chat logs, saved chats, daily usage, cost alerts",
               migrations: [migration, costIndexMigration, namedLengthsMigration, validateLengthsMigration, costAlertsMigration]
                   + ChatLogsFieldLengths.migrations,
               repeatables: repeatables, checks: checks,
               tables: [costAlerts, savedChats, usageThresholds, usageDaily, chatLogs, profiles].map(\.qualifiedName),
               declaredTables: [costAlerts, savedChats, usageThresholds, usageDaily, chatLogs, profiles], adoption: adoption)
    }

    public static var migration: Migration {
        Migration(
            module: "chat_logs", version: 1, name: "chat_logs", source: "ChatLogs.ChatLogsModule.migration",
            steps: profiles.createSteps() + chatLogs.createSteps() + savedChats.createSteps()
                + usageDaily.createSteps() + usageThresholds.createSteps()
        )
    }

    /// Seed 003's "most expensive queries" index on `chat_logs`. Built concurrently, so it is a
    /// migration of its own (a migration's steps run either all inside one transaction or each
    /// outside). Linear history: `0008_chat_logs_cost_index`.
    public static var costIndexMigration: Migration {
        Migration(
            module: "chat_logs", version: 2, name: "chat_logs_cost_index",
            source: "ChatLogs.ChatLogsModule.costIndexMigration",
            steps: [ChatLogsViews.mostExpensiveIndex.createStep(on: QualifiedName("public", "chat_logs"))])
    }

    /// Favorites' question and response get limits: a standalone favorite (no log) holds
    /// whatever the client sent, and 1 MB strings were accepted. A log longer than the limits
    /// cannot be saved as a favorite (the same check refuses the copy), with 23514 naming the
    /// check. (Seed 003's `varchar(100)` display name and `varchar(500)` note are `text` with a
    /// named check since migration 6: ``ChatLogsFieldLengths``.)
    static let lengthChecks: [(table: Table, check: Check)] = [
        (savedChats, Check("char_length(question) <= 20000", name: "saved_chats_question_length")),
        (savedChats, Check("char_length(response) <= 200000", name: "saved_chats_response_length")),
    ]

    /// The length checks, `NOT VALID`: existing rows are checked by the next migration, under
    /// a weaker lock.
    public static var namedLengthsMigration: Migration {
        Migration(
            module: "chat_logs", version: 3, name: "saved_chat_length_checks",
            source: "ChatLogs.ChatLogsModule.namedLengthsMigration",
            steps: lengthChecks.flatMap { $0.table.addConstraintSteps(.check($0.check), notValid: true) })
    }

    /// `VALIDATE CONSTRAINT` of each length check (SHARE UPDATE EXCLUSIVE: writes go on).
    public static var validateLengthsMigration: Migration {
        Migration(
            module: "chat_logs", version: 4, name: "validate_saved_chat_length_checks",
            source: "ChatLogs.ChatLogsModule.validateLengthsMigration",
            steps: lengthChecks.flatMap { $0.table.validateConstraintSteps($0.check.resolvedName(table: $0.table.name)) })
    }

    /// `public.cost_alerts`, one row per crossing of a user's daily cost limit: the NOTIFY
    /// payload carries only its id (any connection may LISTEN, anon included; a user id and a
    /// day told who crossed a spending limit), and the owner reads the alert under RLS.
    static let costAlerts = Table(
        "public", "cost_alerts",
        comment: "A user's cost for a UTC day crossed daily_cost_limit (written by the usage trigger; notified by id)."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("user_id", .uuid, nullable: false)
        Column("day", .date, nullable: false)
        Column("cost", .numeric(precision: 12, scale: 6), nullable: false)
        Column("daily_cost_limit", .numeric(precision: 10, scale: 6), nullable: false)
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["user_id"], references: authUsers, ["id"], onDelete: .cascade)
        Index("user_id", "day")
    }

    /// Creates ``costAlerts`` (empty: nothing to backfill).
    public static var costAlertsMigration: Migration {
        Migration(
            module: "chat_logs", version: 5, name: "cost_alerts", source: "ChatLogs.ChatLogsModule.costAlertsMigration",
            steps: costAlerts.createSteps())
    }

    public static var repeatables: [RepeatableObject] {
        ChatLogsLogging.repeatables + ChatLogsSaving.repeatables + ChatLogsUsage.repeatables
            + ChatLogsViews.repeatables
            + RowLevelSecurity.owner(
                profiles, column: "id", insertColumns: ["id", "display_name"], updateColumns: ["display_name"]
            ).repeatableObjects()
            // Logs are written by the service (log_chat); users only read their own history.
            + RowLevelSecurity.owner(chatLogs).repeatableObjects()
            // Favorites: the seed's "users manage own saves". Users may change only the note;
            // question and response are the copy the trigger made.
            + RowLevelSecurity.owner(
                savedChats, insertColumns: ["user_id", "chat_log_id", "question", "response", "note"],
                updateColumns: ["note"], delete: true
            ).repeatableObjects()
            // Counters: readable by their owner, written only by the definer trigger.
            + RowLevelSecurity.owner(usageDaily).repeatableObjects()
            // Alerts: their owner reads them, the usage trigger writes them.
            + RowLevelSecurity.owner(costAlerts).repeatableObjects()
            // Limits are set by the service (the operator's decision), readable by their owner.
            + RowLevelSecurity.owner(usageThresholds).repeatableObjects()
    }

    static let authUsers = QualifiedName("auth", "users")

    /// The seed's `profiles`: one row per auth user, keyed by the user's id.
    static let profiles = Table("public", "profiles", comment: "Seed 003: extra data per auth user.") {
        Column("id", .uuid, nullable: false)
        Column("display_name", .varchar(100))
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["id"], references: authUsers, ["id"], onDelete: .cascade)
    }

    /// The seed's `chat_logs`: the full history the API logs for analytics.
    static let chatLogs = Table(
        "public", "chat_logs", comment: "Seed 003: every question and answer, logged by the service for a user."
    ) {
        Column("id", .bigint, nullable: false, identity: .always)
        Column("user_id", .uuid, nullable: false)
        Column("question", .text, nullable: false)
        Column("response", .text, nullable: false)
        Column(
            "tools_used", .jsonb, nullable: false, default: "'[]'::jsonb",
            comment: "A JSON array of objects with a non-empty string \"name\", e.g. [{\"name\": \"…\", \"input\": {…}, \"duration_ms\": 123}].")
        Column("input_tokens", .integer)
        Column("output_tokens", .integer)
        Column("cost", .numeric(precision: 10, scale: 6))
        Column("model", .varchar(50))
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["user_id"], references: authUsers, ["id"], onDelete: .cascade)
        // The target of saved_chats' (user_id, chat_log_id) key: a favorite can only ever
        // point at a log of the same user, whatever the triggers do.
        Unique("user_id", "id")
        // Backstops for the validation trigger, which raises IV422 first (BEFORE triggers
        // run before constraints): they hold even for rows written with triggers disabled.
        Check(
            """
            CASE WHEN jsonb_typeof(tools_used) = 'array' THEN \
            NOT jsonb_path_exists(tools_used, 'strict $[*] ? (@.type() != "object")') \
            AND NOT jsonb_path_exists(tools_used, 'lax $[*] ? (!(@.name.type() == "string" && @.name != ""))') \
            ELSE false END
            """, columns: ["tools_used"])
        Check("input_tokens >= 0", columns: ["input_tokens"])
        Check("output_tokens >= 0", columns: ["output_tokens"])
        Check("cost >= 0", columns: ["cost"])
        // Own history, newest first; also the owner index RLS needs.
        Index("user_id", .descending("created_at"))
        // The seed's idx_chat_logs_created (daily costs, recent activity).
        Index(.descending("created_at"))
    }

    /// The seed's `saved_chats`: favorites, each a copy of a log's question and response.
    static let savedChats = Table(
        "public", "saved_chats", comment: "Seed 003: a user's favorites; question and response are copied from the log."
    ) {
        Column("id", .bigint, nullable: false, identity: .always)
        Column("user_id", .uuid, nullable: false)
        Column(
            "chat_log_id", .bigint,
            comment: "The saved log (the user's own); NULL for a standalone save or after the log was deleted.")
        Column("question", .text, nullable: false)
        Column("response", .text, nullable: false)
        Column("note", .varchar(500))
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["user_id"], references: authUsers, ["id"], onDelete: .cascade)
        // Same owner by construction; deleting the log keeps the favorite (it holds a copy).
        ForeignKey(
            ["user_id", "chat_log_id"], references: QualifiedName("public", "chat_logs"), ["user_id", "id"],
            onDelete: .setNull(columns: ["chat_log_id"]))
        // A log is saved at most once per user (a double click is a unique violation).
        Unique("user_id", "chat_log_id")
        Index("user_id", .descending("created_at"))
    }

    /// Per-user, per-UTC-day usage, kept by the database from `chat_logs`.
    static let usageDaily = Table(
        "public", "usage_daily", comment: "Seed 003: requests, tokens and cost per user and UTC day; maintained by a trigger on chat_logs."
    ) {
        Column("user_id", .uuid, nullable: false)
        Column("day", .date, nullable: false)
        Column("requests", .bigint, nullable: false, default: "0")
        Column("input_tokens", .bigint, nullable: false, default: "0")
        Column("output_tokens", .bigint, nullable: false, default: "0")
        Column("cost", .numeric(precision: 16, scale: 6), nullable: false, default: "0")
        // Leads with the owner column: the index RLS and the upsert use.
        PrimaryKey("user_id", "day")
        ForeignKey(["user_id"], references: authUsers, ["id"], onDelete: .cascade)
    }

    /// The seed's "cost alerts" decision: an optional daily cost limit per user.
    static let usageThresholds = Table(
        "public", "usage_thresholds",
        comment: "Seed 003: when a user's cost for a UTC day crosses daily_cost_limit, invariants_cost_alerts is notified once."
    ) {
        Column("user_id", .uuid, nullable: false)
        Column("daily_cost_limit", .numeric(precision: 10, scale: 6), nullable: false)
        PrimaryKey("user_id")
        ForeignKey(["user_id"], references: authUsers, ["id"], onDelete: .cascade)
        Check("daily_cost_limit > 0", columns: ["daily_cost_limit"])
    }
}
