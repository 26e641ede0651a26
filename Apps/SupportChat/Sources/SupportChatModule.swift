public import InvariantsSchema

/// Seed 001 (a support chat on Supabase: AI pipeline with human-in-the-loop): chat sessions,
/// their messages, the pipeline's traces, tool executions and the learning records.
///
/// What the database enforces, whoever writes:
/// - every value the seed lists in a comment (channel, urgency, status, eval_decision,
///   eval_confidence, role, reasoning_effort, step, trace status, approval_status, tool status,
///   learning_type, learning status) is a CHECK; `assigned_to` is `'ai'` or a non-blank agent id;
///   `csat_score` 1–5, `confidence` 0–1; costs, token counts and durations are never negative;
///   JSON lists (`tools_used`, `actions_taken`, `actions_pending`) are JSON arrays. A refused value
///   is a check violation naming `<table>_<column>_check`.
/// - `total_messages`, `ai_messages`, `human_messages` are a ``CounterCache`` over `chat_messages`
///   (statement strategy: one grouped update per statement). `ai_messages` counts role
///   `assistant`; `human_messages` counts role `user` (the customer); `system` and `tool`
///   messages count only in `total_messages`.
/// - `first_response_time_ms` is set once, by the first committed `assistant` message:
///   `message.created_at - session.created_at` in milliseconds, in the counters' own UPDATE of
///   the session (``firstResponse``); changing it later is refused (IV409).
/// - session `status` (``sessionStatus``): `active → escalated | resolved | closed`,
///   `escalated → active | resolved | closed`, `resolved → active` (the customer writes again)
///   `| closed`; `closed` is terminal. Entering `resolved` sets `resolved_at` and
///   `resolution_time_seconds` (from `created_at`); reopening clears them.
/// - a tool execution's `status` (``toolStatus``): `pending → executing → completed | failed`,
///   `pending → failed`; one that requires approval cannot enter `executing` before
///   `approval_status = 'approved'`. `approval_status` (``SupportChatFunctions/approval``):
///   `pending → approved | rejected`, set by the database to `pending` when approval is required,
///   NULL otherwise; deciding needs `approved_by` and sets `approved_at`; `requires_approval`
///   never changes after the request. Illegal moves raise IV001 naming both states.
/// - learning records: `public.apply_learning_record(id, success)` counts an application in one
///   statement; `success_rate` is a generated column from the counts (never a drifting mean).
/// - `updated_at` on sessions: any change of the session's own columns (not of the counters or
///   `first_response_time_ms`, which the messages' triggers keep). Deleting a session deletes its messages, traces and tool
///   executions (foreign keys `ON DELETE CASCADE`): one `DELETE … WHERE customer_email = …`
///   erases a customer. A trace's message and an execution's trace belong to the same session
///   (composite foreign keys).
/// - the tables hold customers' data and are written by the backend: RLS on, no policy, every
///   privilege revoked from `anon` and `authenticated`; only `service_role` reaches them.
///
/// Differences from the seed's DDL: the seed's `idx_chat_messages_session` and
/// `idx_agent_traces_session` are unique on `(session_id, id)` (the targets of the same-session
/// keys; they serve the same lookups), `requires_approval`, `times_applied`, learning `status` and
/// the counters are NOT NULL, and `learning_records.times_succeeded` is new (what `success_rate` is
/// derived from).
public enum SupportChatModule {
    public static var module: Module {
        Module("support_chat", dependsOn: ["core", "auth"], summary: "seed 001: support chat sessions, messages, agent traces, tools, learning",
               migrations: [migration, keyOrderIndexMigration], repeatables: repeatables, checks: checks,
               counters: [messageCounters],
               tables: [learningRecords, toolExecutions, agentTraces, chatMessages, chatSessions].map(\.qualifiedName),
               declaredTables: [learningRecords, toolExecutions, agentTraces, chatMessages, chatSessions])
    }

    public static var migration: Migration {
        Migration(
            module: "support_chat", version: 1, name: "support_chat", source: "SupportChat.SupportChatModule.migration",
            steps: chatSessions.createSteps()
                // Room on each page for the counter updates to be HOT (no index entry per message:
                // none of the counter or timestamp columns is indexed).
                + [MigrationStep(#"ALTER TABLE "public"."chat_sessions" SET (fillfactor = 70)"#)]
                + chatMessages.createSteps() + agentTraces.createSteps()
                + toolExecutions.createSteps() + learningRecords.createSteps())
    }

    /// The indexes behind the same-session keys `(session_id, message_id)` and
    /// `(session_id, trace_id)`, in the keys' column order. Release 0.3 built them as
    /// `(message_id, session_id)` and `(trace_id, session_id)`: PostgreSQL's cascade lookups use
    /// either order, but Supabase's linter (`unindexed_foreign_keys`) accepts an index only when
    /// its leading columns are the key's in order, and so does `invariants lint`. Each is built
    /// concurrently before the old one is dropped concurrently: neither step blocks writers.
    public static var keyOrderIndexMigration: Migration {
        let traces = agentTraces.qualifiedName, tools = toolExecutions.qualifiedName
        return Migration(
            module: "support_chat", version: 2, name: "same_session_key_indexes",
            source: "SupportChat.SupportChatModule.keyOrderIndexMigration",
            steps: [
                Index("session_id", "message_id", concurrently: true, name: "idx_agent_traces_session_message")
                    .createStep(on: traces),
                Index("session_id", "trace_id", concurrently: true, name: "idx_tool_executions_session_trace")
                    .createStep(on: tools),
            ]
                + agentTraces.dropIndexSteps(Index("message_id", concurrently: true, name: "idx_agent_traces_message"))
                + toolExecutions.dropIndexSteps(Index("trace_id", concurrently: true, name: "idx_tool_executions_trace")))
    }

    public static var repeatables: [RepeatableObject] {
        sessionStatus.repeatableObjects() + toolStatus.repeatableObjects() + messageCounters.repeatableObjects()
            // Derived columns (kept by triggers on chat_messages) do not bump updated_at: a message
            // costs no updated_at trigger call on its session.
            // updated_at itself is watched too, so a client-sent value is caught and ignored
            // (`UpdatedAt(_:ignoring:)` leaves it out of UPDATE OF).
            + UpdatedAt(
                table: chatSessions.qualifiedName,
                updateColumns: chatSessions.columns.map(\.name).filter {
                    !["total_messages", "ai_messages", "human_messages", "first_response_time_ms"].contains($0)
                }
            ).repeatableObjects()
            + [chatSessions, chatMessages, agentTraces, toolExecutions, learningRecords].map(serviceOnly)
            + SupportChatFunctions.repeatables + SupportChatViews.repeatables
    }

    /// RLS on without a policy, everything revoked, then exactly `service_role`'s grant.
    static func serviceOnly(_ table: Table) -> RepeatableObject {
        let name = table.qualifiedName.sql
        return RepeatableObject(
            kind: .tableSecurity,
            key: "table security \(ObjectName.keyPart(table.qualifiedName.schema)).\(ObjectName.keyPart(table.qualifiedName.name))",
            source: "SupportChat.SupportChatModule.serviceOnly",
            statements: [
                "ALTER TABLE \(name) ENABLE ROW LEVEL SECURITY",
                "REVOKE ALL ON TABLE \(name) FROM PUBLIC, \(DatabaseRole.allSQL)",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE \(name) TO \(DatabaseRole.serviceRole.sql)",
            ],
            dropStatements: [])
    }

    static let sessionsName = QualifiedName("public", "chat_sessions")
    static let messagesName = QualifiedName("public", "chat_messages")
    static let tracesName = QualifiedName("public", "agent_traces")
    static let toolsName = QualifiedName("public", "tool_executions")

    // Every `Check.oneOf` value list is one of the client's enums (SupportChatClient.swift), each written once there:
    // ChatChannel, ChatUrgency, ChatSessionStatus, EvalDecision, EvalConfidence, ChatRole,
    // ReasoningEffort, PipelineStep, TraceStatus, ToolExecutionStatus, ApprovalStatus,
    // LearningType, LearningStatus.


    /// Session status (``ChatSessionStatus``). Documented in the type's overview.
    public static let sessionStatus = StateMachine(
        table: sessionsName, column: "status", states: ChatSessionStatus.self,
        initial: [.active],
        transitions: [
            .init(from: [ChatSessionStatus.active], to: .escalated),
            .init(from: [ChatSessionStatus.escalated], to: .active),
            .init(
                from: [ChatSessionStatus.resolved], to: .active,
                set: [.null("resolved_at"), .null("resolution_time_seconds")]),
            .init(from: [ChatSessionStatus.active, .escalated], to: .resolved),
            .init(from: [ChatSessionStatus.active, .escalated, .resolved], to: .closed),
        ],
        terminal: [.closed],
        entering: [
            .init(
                ChatSessionStatus.resolved,
                set: [
                    .now("resolved_at"),
                    .init(
                        "resolution_time_seconds",
                        "GREATEST(0, pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.now() - NEW.\"created_at\")))::integer"),
                ]),
        ])

    /// Tool execution status (``ToolExecutionStatus``), gated by approval.
    public static let toolStatus = StateMachine(
        table: toolsName, column: "status", states: ToolExecutionStatus.self,
        initial: [.pending],
        transitions: [
            .init(
                from: [ToolExecutionStatus.pending], to: .executing,
                when: .init(
                    "NOT NEW.\"requires_approval\" OR NEW.\"approval_status\" = 'approved'",
                    "it requires approval and approval_status is not approved")),
            .init(from: [ToolExecutionStatus.executing], to: .completed),
            .init(from: [ToolExecutionStatus.pending, .executing], to: .failed),
        ],
        terminal: [.completed, .failed])

    static let chatSessions = Table(
        "public", "chat_sessions",
        comment: "Seed 001: a support chat session. Counters, first_response_time_ms, resolved_at and resolution_time_seconds are kept by the database."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("session_id", .text, nullable: false, comment: "The app's id, e.g. sess_abc123.")
        Column("conversation_id", .text, comment: "Chatwoot conversation id.")
        Column("channel", .text, nullable: false, default: "'widget'")
        Column("customer_email", .text)
        Column("customer_name", .text)
        Column("customer_id", .text, comment: "Zoho/internal id.")
        Column("subscription_id", .text)
        Column("primary_category", .text, comment: "request_subtype")
        Column("secondary_category", .text, comment: "multi-action")
        Column("urgency", .text, default: "'medium'")
        Column("language", .text, default: "'en'")
        Column("status", .text, nullable: false, default: "'active'",
               comment: "active -> escalated | resolved | closed; escalated -> active | resolved | closed; resolved -> active | closed; closed is terminal.")
        Column("assigned_to", .text, comment: "'ai' or a human agent id.")
        Column("escalation_reason", .text)
        Column("eval_decision", .text)
        Column("eval_confidence", .text)
        Column("is_outstanding", .boolean, default: "false")
        Column("outstanding_trigger", .text)
        Column("first_response_time_ms", .integer, comment: "Set once by the first assistant message.")
        Column("total_messages", .integer, nullable: false, default: "0", comment: "All messages; kept by the database.")
        Column("ai_messages", .integer, nullable: false, default: "0", comment: "Messages with role assistant; kept by the database.")
        Column("human_messages", .integer, nullable: false, default: "0", comment: "Messages with role user (the customer); kept by the database.")
        Column("resolution_time_seconds", .integer, comment: "Set on entering resolved: resolved_at - created_at.")
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        Column("resolved_at", .timestamptz, comment: "Set on entering resolved; cleared on reopening.")
        Column("csat_score", .integer)
        Column("csat_comment", .text)
        PrimaryKey("id")
        Unique("session_id")
        Check("char_length(session_id) BETWEEN 1 AND 200", columns: ["session_id"])
        Check.oneOf("channel", ChatChannel.self)
        Check.oneOf("urgency", ChatUrgency.self)
        sessionStatus.check
        Check("char_length(btrim(assigned_to)) BETWEEN 1 AND 200", columns: ["assigned_to"])
        Check.oneOf("eval_decision", EvalDecision.self)
        Check.oneOf("eval_confidence", EvalConfidence.self)
        Check("first_response_time_ms >= 0", columns: ["first_response_time_ms"])
        Check(
            "total_messages >= 0 AND ai_messages >= 0 AND human_messages >= 0 AND ai_messages + human_messages <= total_messages",
            name: "chat_sessions_counters_valid")
        Check("resolution_time_seconds >= 0", columns: ["resolution_time_seconds"])
        Check("csat_score BETWEEN 1 AND 5", columns: ["csat_score"])
        Check(
            "(status = 'resolved') <= (resolved_at IS NOT NULL) AND (status IN ('active', 'escalated')) <= (resolved_at IS NULL) AND (resolved_at IS NULL) = (resolution_time_seconds IS NULL)",
            name: "chat_sessions_resolution_valid")
        Index("customer_email", name: "idx_chat_sessions_email")
        Index("status", name: "idx_chat_sessions_status")
        Index("primary_category", name: "idx_chat_sessions_category")
        Index(.descending("created_at"), name: "idx_chat_sessions_created")
        Index("conversation_id", name: "idx_chat_sessions_conversation")
    }

    static let chatMessages = Table(
        "public", "chat_messages", comment: "Seed 001: a message of a chat session."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("session_id", .text, nullable: false)
        Column("role", .text, nullable: false, comment: "user (the customer), assistant, system, tool.")
        Column("content", .text, nullable: false)
        Column("model_used", .text)
        Column("reasoning_effort", .text)
        Column("tools_used", .jsonb, default: "'[]'::jsonb", comment: "A JSON array, e.g. [\"track_package\"].")
        Column("processing_time_ms", .integer)
        Column("token_count", .integer)
        Column("cost_usd", .numeric(precision: 10, scale: 6))
        Column("actions_taken", .jsonb, default: "'[]'::jsonb", comment: "A JSON array of completed tool results.")
        Column("actions_pending", .jsonb, default: "'[]'::jsonb", comment: "A JSON array of actions awaiting approval.")
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["session_id"], references: sessionsName, ["session_id"], onDelete: .cascade)
        Check.oneOf("role", ChatRole.self)
        Check.oneOf("reasoning_effort", ReasoningEffort.self)
        Check("jsonb_typeof(tools_used) = 'array'", columns: ["tools_used"])
        Check("jsonb_typeof(actions_taken) = 'array'", columns: ["actions_taken"])
        Check("jsonb_typeof(actions_pending) = 'array'", columns: ["actions_pending"])
        Check("processing_time_ms >= 0", columns: ["processing_time_ms"])
        Check("token_count >= 0", columns: ["token_count"])
        Check("cost_usd >= 0", columns: ["cost_usd"])
        // The seed's session index, unique with id: the target of agent_traces' same-session key.
        Index("session_id", "id", unique: true, name: "idx_chat_messages_session")
        Index("created_at", name: "idx_chat_messages_created")
        Index("role", name: "idx_chat_messages_role")
        // v_cost_by_category reads only assistant messages' cost per session: an index-only scan.
        Index("session_id", include: ["cost_usd"], where: "role = 'assistant'", name: "idx_chat_messages_assistant_cost")
    }

    static let agentTraces = Table(
        "public", "agent_traces", comment: "Seed 001: one step of the AI pipeline (router -> support -> outstanding -> eval)."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("session_id", .text, nullable: false)
        Column("message_id", .uuid, comment: "A message of the same session.")
        Column("step", .text, nullable: false)
        Column("agent_name", .text, nullable: false)
        Column("input_data", .jsonb)
        Column("output_data", .jsonb)
        Column("model", .text)
        Column("reasoning_effort", .text)
        Column("tokens_input", .integer)
        Column("tokens_output", .integer)
        Column("cost_usd", .numeric(precision: 10, scale: 6))
        Column("duration_ms", .integer)
        Column("status", .text, nullable: false, default: "'success'")
        Column("error_message", .text)
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["session_id"], references: sessionsName, ["session_id"], onDelete: .cascade)
        ForeignKey(
            ["session_id", "message_id"], references: messagesName, ["session_id", "id"],
            onDelete: .setNull(columns: ["message_id"]), name: "agent_traces_message_id_fkey")
        Check.oneOf("step", PipelineStep.self)
        Check("char_length(btrim(agent_name)) BETWEEN 1 AND 200", columns: ["agent_name"])
        Check.oneOf("reasoning_effort", ReasoningEffort.self)
        Check("tokens_input >= 0", columns: ["tokens_input"])
        Check("tokens_output >= 0", columns: ["tokens_output"])
        Check("cost_usd >= 0", columns: ["cost_usd"])
        Check("duration_ms >= 0", columns: ["duration_ms"])
        Check.oneOf("status", TraceStatus.self)
        Index("session_id", "id", unique: true, name: "idx_agent_traces_session")
        Index("message_id", "session_id", name: "idx_agent_traces_message")
        Index("step", name: "idx_agent_traces_step")
        Index("status", name: "idx_agent_traces_status")
        Index(.descending("created_at"), name: "idx_agent_traces_created")
    }

    static let toolExecutions = Table(
        "public", "tool_executions",
        comment: "Seed 001: a tool (action) execution. status: pending -> executing -> completed | failed; approval_status: pending -> approved | rejected."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("session_id", .text, nullable: false)
        Column("trace_id", .uuid, comment: "A trace of the same session.")
        Column("tool_name", .text, nullable: false)
        Column("tool_input", .jsonb)
        Column("tool_output", .jsonb)
        Column("requires_approval", .boolean, nullable: false, default: "false", comment: "Fixed when the execution is requested.")
        Column("approval_status", .text, comment: "pending -> approved | rejected when approval is required, else NULL.")
        Column("approved_at", .timestamptz, comment: "When approval_status was decided; set by the database.")
        Column("approved_by", .text, comment: "'customer' or an agent id; required to decide.")
        Column("status", .text, nullable: false, default: "'pending'")
        Column("duration_ms", .integer)
        Column("error_message", .text)
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["session_id"], references: sessionsName, ["session_id"], onDelete: .cascade)
        ForeignKey(
            ["session_id", "trace_id"], references: tracesName, ["session_id", "id"],
            onDelete: .setNull(columns: ["trace_id"]), name: "tool_executions_trace_id_fkey")
        Check("char_length(btrim(tool_name)) BETWEEN 1 AND 200", columns: ["tool_name"])
        Check.oneOf("approval_status", ApprovalStatus.self)
        Check("requires_approval = (approval_status IS NOT NULL)", name: "tool_executions_approval_required")
        Check(
            "COALESCE(approval_status IN ('approved', 'rejected'), false) = (approved_at IS NOT NULL)",
            name: "tool_executions_approved_at_valid")
        toolStatus.check
        Check("duration_ms >= 0", columns: ["duration_ms"])
        Index("session_id", name: "idx_tool_executions_session")
        Index("trace_id", "session_id", name: "idx_tool_executions_trace")
        Index("tool_name", name: "idx_tool_executions_tool")
        Index("status", name: "idx_tool_executions_status")
        Index("approval_status", where: "requires_approval = true", name: "idx_tool_executions_approval")
    }

    static let learningRecords = Table(
        "public", "learning_records",
        comment: "Seed 001: a learned pattern. Applied through public.apply_learning_record; success_rate is derived from the counts."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("category", .text)
        Column("subcategory", .text)
        Column("agent_name", .text, nullable: false)
        Column("learning_type", .text, nullable: false)
        Column("trigger_description", .text)
        Column("learned_pattern", .text, nullable: false)
        Column("confidence", .numeric(precision: 3, scale: 2))
        Column("times_applied", .integer, nullable: false, default: "0")
        Column("times_succeeded", .integer, nullable: false, default: "0", comment: "Applications that succeeded.")
        Column(
            "success_rate", .numeric(precision: 3, scale: 2),
            generatedAs: "CASE WHEN times_applied > 0 THEN round(times_succeeded::numeric / times_applied, 2) END",
            comment: "times_succeeded / times_applied, rounded to 2 places; NULL before the first application.")
        Column("status", .text, nullable: false, default: "'active'")
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("last_applied_at", .timestamptz)
        PrimaryKey("id")
        Check("char_length(btrim(agent_name)) BETWEEN 1 AND 200", columns: ["agent_name"])
        Check.oneOf("learning_type", LearningType.self)
        Check("char_length(btrim(learned_pattern)) > 0", columns: ["learned_pattern"])
        Check("confidence BETWEEN 0 AND 1", columns: ["confidence"])
        Check("times_succeeded >= 0 AND times_succeeded <= times_applied", name: "learning_records_counts_valid")
        Check.oneOf("status", LearningStatus.self)
        Index("category", name: "idx_learning_category")
        Index("status", name: "idx_learning_status")
    }

    /// Seed 003's "most expensive queries" reads the top of this index. `chat_logs` is a
    /// released table that may be large: built concurrently, outside the migration's transaction.
    /// `total_messages`, `ai_messages` (assistant), `human_messages` (user, the customer).
    public static let messageCounters = CounterCache(
        name: "chat_session_messages", parent: chatSessions, parentKey: "session_id", child: chatMessages,
        link: .foreignKey("session_id"),
        counters: [
            .count("total_messages"),
            .count("ai_messages", where: .init("role", in: ["assistant"])),
            .count("human_messages", where: .init("role", in: ["user"])),
        ],
        setOnce: [firstResponse],
        strategy: .statement)

    /// `first_response_time_ms`: the delay from the session's start to its first `assistant`
    /// message, set in the counter's UPDATE of the session (one UPDATE per message, not two).
    /// Capped at 2147483647, the seed's `integer`: a first answer after 24.8 days would overflow.
    public static let firstResponse = CounterCache.SetOnce(
        "first_response_time_ms", earliest: "created_at", where: .init("role", in: ["assistant"])
    ) { earliest, session in
        """
        LEAST(GREATEST(0, pg_catalog.round(
            pg_catalog.date_part('epoch', \(earliest) - \(session).created_at) * 1000)),
            2147483647)::integer
        """
    }
}
