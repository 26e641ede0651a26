public import Foundation
import PostgresNIO
import InvariantsSchema
public import Invariants

// Seed 001's typed client: support chat sessions, messages, pipeline traces, tool executions with
// approval, learning records, and the analytics views of seeds 001 and 003. The database
// enforces every rule (SupportChat.SupportChatModule); these methods only call it. The
// tables are the backend's: every call runs as `service_role`, except the seed-003 views, which
// a user may read too (RLS: their own logs).

/// `chat_sessions.channel`.
public enum ChatChannel: String, Sendable, Hashable, CaseIterable { case widget, whatsapp, facebook, email, telegram }
/// `chat_sessions.urgency`.
public enum ChatUrgency: String, Sendable, Hashable, CaseIterable { case low, medium, high, critical }
/// `chat_sessions.status`: `active → escalated | resolved | closed`, `escalated → active | resolved | closed`,
/// `resolved → active | closed`; `closed` is terminal.
public enum ChatSessionStatus: String, Sendable, Hashable, CaseIterable { case active, escalated, resolved, closed }
/// `chat_sessions.eval_decision`.
public enum EvalDecision: String, Sendable, Hashable, CaseIterable { case send, draft, escalate }
/// `chat_sessions.eval_confidence`.
public enum EvalConfidence: String, Sendable, Hashable, CaseIterable { case high, medium, low }
/// `chat_messages.role`: `user` is the customer (counted in `humanMessages`), `assistant` the AI
/// (counted in `aiMessages`); `system` and `tool` count only in `totalMessages`.
public enum ChatRole: String, Sendable, Hashable, CaseIterable { case user, assistant, system, tool }
/// `reasoning_effort` of a message or a trace.
public enum ReasoningEffort: String, Sendable, Hashable, CaseIterable { case none, low, medium, high, extended }
/// `agent_traces.step`.
public enum PipelineStep: String, Sendable, Hashable, CaseIterable {
    case router, identify, support, outstanding
    case evalGate = "eval_gate"
}
/// `agent_traces.status`.
public enum TraceStatus: String, Sendable, Hashable, CaseIterable { case success, error, timeout }
/// `tool_executions.status`: `pending → executing → completed | failed`, `pending → failed`.
public enum ToolExecutionStatus: String, Sendable, Hashable, CaseIterable { case pending, executing, completed, failed }
/// `tool_executions.approval_status`: `pending → approved | rejected` (NULL when no approval is required).
public enum ApprovalStatus: String, Sendable, Hashable, CaseIterable { case pending, approved, rejected }
/// `learning_records.learning_type`.
public enum LearningType: String, Sendable, Hashable, CaseIterable {
    case errorFix = "error_fix"
    case pattern, optimization
}
/// `learning_records.status`.
public enum LearningStatus: String, Sendable, Hashable, CaseIterable { case active, deprecated, merged }

/// A session to open (`active`).
public struct NewChatSession: Sendable, Hashable {
    public var sessionID: String
    public var channel: ChatChannel
    public var conversationID: String?
    public var customerEmail: String?
    public var customerName: String?
    public var customerID: String?
    public var subscriptionID: String?
    public var primaryCategory: String?
    public var secondaryCategory: String?
    public var urgency: ChatUrgency?
    public var language: String?
    public var assignedTo: String?

    public init(
        sessionID: String, channel: ChatChannel = .widget, conversationID: String? = nil, customerEmail: String? = nil,
        customerName: String? = nil, customerID: String? = nil, subscriptionID: String? = nil,
        primaryCategory: String? = nil, secondaryCategory: String? = nil, urgency: ChatUrgency? = .medium,
        language: String? = "en", assignedTo: String? = "ai"
    ) {
        self.sessionID = sessionID
        self.channel = channel
        self.conversationID = conversationID
        self.customerEmail = customerEmail
        self.customerName = customerName
        self.customerID = customerID
        self.subscriptionID = subscriptionID
        self.primaryCategory = primaryCategory
        self.secondaryCategory = secondaryCategory
        self.urgency = urgency
        self.language = language
        self.assignedTo = assignedTo
    }
}

/// One row of `chat_sessions`.
public struct ChatSession: Sendable, Hashable {
    public var id: UUID
    public var sessionID: String
    public var conversationID: String?
    public var channel: ChatChannel
    public var customerEmail: String?
    public var customerName: String?
    public var primaryCategory: String?
    public var urgency: ChatUrgency?
    public var status: ChatSessionStatus
    public var assignedTo: String?
    public var escalationReason: String?
    public var evalDecision: EvalDecision?
    public var evalConfidence: EvalConfidence?
    /// Set once by the database, on the first assistant message.
    public var firstResponseTimeMs: Int?
    public var totalMessages: Int
    public var aiMessages: Int
    public var humanMessages: Int
    /// Set by the database on entering `resolved`.
    public var resolutionTimeSeconds: Int?
    public var createdAt: Date
    public var updatedAt: Date
    public var resolvedAt: Date?
    public var csatScore: Int?
    public var csatComment: String?
}

/// A message to add.
public struct NewChatMessage: Sendable, Hashable {
    public var sessionID: String
    public var role: ChatRole
    public var content: String
    public var modelUsed: String?
    public var reasoningEffort: ReasoningEffort?
    /// A JSON array, e.g. `["track_package"]`.
    public var toolsUsedJSON: String
    public var processingTimeMs: Int?
    public var tokenCount: Int?
    public var costUSD: Decimal?
    public var actionsTakenJSON: String
    public var actionsPendingJSON: String

    public init(
        sessionID: String, role: ChatRole, content: String, modelUsed: String? = nil, reasoningEffort: ReasoningEffort? = nil,
        toolsUsedJSON: String = "[]", processingTimeMs: Int? = nil, tokenCount: Int? = nil, costUSD: Decimal? = nil,
        actionsTakenJSON: String = "[]", actionsPendingJSON: String = "[]"
    ) {
        self.sessionID = sessionID
        self.role = role
        self.content = content
        self.modelUsed = modelUsed
        self.reasoningEffort = reasoningEffort
        self.toolsUsedJSON = toolsUsedJSON
        self.processingTimeMs = processingTimeMs
        self.tokenCount = tokenCount
        self.costUSD = costUSD
        self.actionsTakenJSON = actionsTakenJSON
        self.actionsPendingJSON = actionsPendingJSON
    }
}

/// A pipeline step to record.
public struct NewAgentTrace: Sendable, Hashable {
    public var sessionID: String
    /// A message of the same session.
    public var messageID: UUID?
    public var step: PipelineStep
    public var agentName: String
    public var inputJSON: String?
    public var outputJSON: String?
    public var model: String?
    public var reasoningEffort: ReasoningEffort?
    public var tokensInput: Int?
    public var tokensOutput: Int?
    public var costUSD: Decimal?
    public var durationMs: Int?
    public var status: TraceStatus
    public var errorMessage: String?

    public init(
        sessionID: String, messageID: UUID? = nil, step: PipelineStep, agentName: String, inputJSON: String? = nil,
        outputJSON: String? = nil, model: String? = nil, reasoningEffort: ReasoningEffort? = nil, tokensInput: Int? = nil,
        tokensOutput: Int? = nil, costUSD: Decimal? = nil, durationMs: Int? = nil, status: TraceStatus = .success,
        errorMessage: String? = nil
    ) {
        self.sessionID = sessionID
        self.messageID = messageID
        self.step = step
        self.agentName = agentName
        self.inputJSON = inputJSON
        self.outputJSON = outputJSON
        self.model = model
        self.reasoningEffort = reasoningEffort
        self.tokensInput = tokensInput
        self.tokensOutput = tokensOutput
        self.costUSD = costUSD
        self.durationMs = durationMs
        self.status = status
        self.errorMessage = errorMessage
    }
}

/// One row of `tool_executions`.
public struct ToolExecution: Sendable, Hashable {
    public var id: UUID
    public var sessionID: String
    public var traceID: UUID?
    public var toolName: String
    public var requiresApproval: Bool
    public var approvalStatus: ApprovalStatus?
    /// When the approval was decided; set by the database.
    public var approvedAt: Date?
    public var approvedBy: String?
    public var status: ToolExecutionStatus
    public var durationMs: Int?
    public var errorMessage: String?
    public var outputJSON: String?
    public var createdAt: Date
}

/// A learning record to create.
public struct NewLearningRecord: Sendable, Hashable {
    public var agentName: String
    public var learningType: LearningType
    public var learnedPattern: String
    public var category: String?
    public var subcategory: String?
    public var triggerDescription: String?
    public var confidence: Decimal?

    public init(
        agentName: String, learningType: LearningType, learnedPattern: String, category: String? = nil,
        subcategory: String? = nil, triggerDescription: String? = nil, confidence: Decimal? = nil
    ) {
        self.agentName = agentName
        self.learningType = learningType
        self.learnedPattern = learnedPattern
        self.category = category
        self.subcategory = subcategory
        self.triggerDescription = triggerDescription
        self.confidence = confidence
    }
}

/// A learning record's application counts after ``InvariantsClient/applyLearningRecord(_:success:)``.
public struct LearningApplication: Sendable, Hashable {
    public var timesApplied: Int
    public var timesSucceeded: Int
    /// `timesSucceeded / timesApplied` rounded to 2 places (derived by the database).
    public var successRate: Decimal?
    public var lastAppliedAt: Date
}

/// A row of `v_session_stats`.
public struct SessionStatsRow: Sendable, Hashable {
    public var day: Date
    public var primaryCategory: String?
    public var channel: ChatChannel
    public var totalSessions: Int64
    public var resolved: Int64
    public var escalated: Int64
    public var avgFirstResponseMs: Decimal?
    public var avgResolutionSec: Decimal?
    public var avgCSAT: Decimal?
}

/// A row of `v_cost_by_category`.
public struct CostByCategoryRow: Sendable, Hashable {
    public var primaryCategory: String?
    public var sessions: Int64
    public var totalCost: Decimal?
    public var avgCostPerMessage: Decimal?
    public var avgCostPerSession: Decimal?
}

/// A row of `v_pipeline_funnel` (sessions of the last 30 days).
public struct PipelineFunnelRow: Sendable, Hashable {
    public var primaryCategory: String?
    public var total: Int64
    public var autoSent: Int64
    public var drafted: Int64
    public var escalated: Int64
    /// Percent, one decimal.
    public var autoSendRate: Decimal?
}

/// A row of `v_chat_activity_by_user` (one per user, unlike the seed's query, which merges users sharing a name).
public struct ChatActivityRow: Sendable, Hashable {
    public var userID: UUID
    public var displayName: String?
    public var questions: Int64
    public var totalCost: Decimal?
    public var avgTokens: Decimal?
}

/// A row of `v_chat_popular_tools`.
public struct PopularToolRow: Sendable, Hashable {
    public var toolName: String?
    public var usageCount: Int64
    public var avgDurationMs: Double?
}

/// A row of `v_chat_daily_costs` (UTC days).
public struct DailyCostRow: Sendable, Hashable {
    public var day: Date
    public var requests: Int64
    public var dailyCost: Decimal?
}

/// A row of `v_chat_most_expensive`.
public struct ExpensiveChatRow: Sendable, Hashable {
    public var id: Int64
    public var userID: UUID
    public var question: String
    public var cost: Decimal
    public var totalTokens: Int?
    public var createdAt: Date
}

extension InvariantsClient {
    /// Runs `body` as `service_role`; a check violation gets `column` from the constraint name
    /// (`<table>_<column>_check`).
    func supportChat<T: Sendable>(_ body: sending @escaping (PostgresConnection) async throws -> T) async throws(InvariantsError) -> T {
        do {
            return try await run(as: .service, body)
        } catch {
            throw Self.namingCheckColumn(error)
        }
    }

    /// Fills `column` of a check violation named `<table>_<column>_check`.
    public static func namingCheckColumn(_ error: InvariantsError) -> InvariantsError {
        guard error.kind == .checkViolation, error.column == nil, let constraint = error.constraint, let table = error.table,
              constraint.hasPrefix(table + "_"), constraint.hasSuffix("_check")
        else { return error }
        var copy = error
        copy.column = String(constraint.dropFirst(table.count + 1).dropLast("_check".count))
        return copy
    }

    static let chatSessionColumns = """
        id, session_id, conversation_id, channel, customer_email, customer_name, primary_category, urgency, status,
        assigned_to, escalation_reason, eval_decision, eval_confidence, first_response_time_ms, total_messages, ai_messages,
        human_messages, resolution_time_seconds, created_at, updated_at, resolved_at, csat_score, csat_comment
        """

    static func decodeChatSession(_ row: PostgresRow) throws -> ChatSession {
        let r = row.makeRandomAccess()
        func value<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T { try r[name].decode(T.self, context: .default) }
        func enumValue<E: RawRepresentable>(_ name: String, _ type: E.Type) throws -> E? where E.RawValue == String {
            guard let raw = try value(name, String?.self) else { return nil }
            guard let parsed = E(rawValue: raw) else { throw InvariantsError(.other, "unknown \(name) \(raw)") }
            return parsed
        }
        return ChatSession(
            id: try value("id"), sessionID: try value("session_id"), conversationID: try value("conversation_id"),
            channel: try enumValue("channel", ChatChannel.self) ?? .widget,
            customerEmail: try value("customer_email"), customerName: try value("customer_name"),
            primaryCategory: try value("primary_category"), urgency: try enumValue("urgency", ChatUrgency.self),
            status: try enumValue("status", ChatSessionStatus.self) ?? .active, assignedTo: try value("assigned_to"),
            escalationReason: try value("escalation_reason"), evalDecision: try enumValue("eval_decision", EvalDecision.self),
            evalConfidence: try enumValue("eval_confidence", EvalConfidence.self),
            firstResponseTimeMs: try value("first_response_time_ms", Int32?.self).map(Int.init),
            totalMessages: Int(try value("total_messages", Int32.self)), aiMessages: Int(try value("ai_messages", Int32.self)),
            humanMessages: Int(try value("human_messages", Int32.self)),
            resolutionTimeSeconds: try value("resolution_time_seconds", Int32?.self).map(Int.init),
            createdAt: try value("created_at"), updatedAt: try value("updated_at"), resolvedAt: try value("resolved_at"),
            csatScore: try value("csat_score", Int32?.self).map(Int.init), csatComment: try value("csat_comment"))
    }

    /// One session, or `nil` in `rows`' absence: `.notFound` naming `session_id`.
    static func requireSession(_ rows: [PostgresRow], _ sessionID: String) throws -> ChatSession {
        guard let row = rows.first else {
            throw InvariantsError(.notFound, "chat session \(sessionID) not found", sqlState: "IV404", column: "session_id")
        }
        return try decodeChatSession(row)
    }

    // MARK: Sessions

    /// Opens a session (`active`).
    ///
    /// - Throws: `.uniqueViolation` for a `session_id` in use, `.checkViolation` (with `column`) for an
    ///   empty `session_id` or `assigned_to`.
    @discardableResult
    public func openChatSession(_ session: NewChatSession) async throws(InvariantsError) -> ChatSession {
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                """
                INSERT INTO public.chat_sessions (session_id, channel, conversation_id, customer_email, customer_name, customer_id,
                    subscription_id, primary_category, secondary_category, urgency, language, assigned_to)
                VALUES (\(session.sessionID), \(session.channel.rawValue), \(session.conversationID), \(session.customerEmail),
                    \(session.customerName), \(session.customerID), \(session.subscriptionID), \(session.primaryCategory),
                    \(session.secondaryCategory), \(session.urgency?.rawValue), \(session.language), \(session.assignedTo))
                RETURNING \(unescaped: Self.chatSessionColumns)
                """, logger: logger).collect()
            return try Self.requireSession(rows, session.sessionID)
        }
    }

    /// A session by its `session_id`.
    ///
    /// - Throws: `.notFound`.
    public func chatSession(_ sessionID: String) async throws(InvariantsError) -> ChatSession {
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                "SELECT \(unescaped: Self.chatSessionColumns) FROM public.chat_sessions WHERE session_id = \(sessionID)",
                logger: logger).collect()
            return try Self.requireSession(rows, sessionID)
        }
    }

    /// Moves a session to `status`; the database checks the transition and sets `resolved_at` /
    /// `resolution_time_seconds` on entering `resolved` (clears them on reopening). `escalationReason`
    /// and `assignedTo` are written in the same statement when given.
    ///
    /// - Throws: `.illegalTransition` (column `status`) naming both states, `.notFound`.
    @discardableResult
    public func changeChatSessionStatus(
        _ sessionID: String, to status: ChatSessionStatus, escalationReason: String? = nil, assignedTo: String? = nil
    ) async throws(InvariantsError) -> ChatSession {
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                """
                UPDATE public.chat_sessions
                   SET status = \(status.rawValue),
                       escalation_reason = COALESCE(\(escalationReason)::text, escalation_reason),
                       assigned_to = COALESCE(\(assignedTo)::text, assigned_to)
                 WHERE session_id = \(sessionID)
                RETURNING \(unescaped: Self.chatSessionColumns)
                """, logger: logger).collect()
            return try Self.requireSession(rows, sessionID)
        }
    }

    /// Records the eval gate's decision on a session.
    ///
    /// - Throws: `.notFound`.
    @discardableResult
    public func recordEvaluation(
        _ sessionID: String, decision: EvalDecision, confidence: EvalConfidence?, isOutstanding: Bool = false,
        outstandingTrigger: String? = nil
    ) async throws(InvariantsError) -> ChatSession {
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                """
                UPDATE public.chat_sessions
                   SET eval_decision = \(decision.rawValue), eval_confidence = \(confidence?.rawValue),
                       is_outstanding = \(isOutstanding), outstanding_trigger = \(outstandingTrigger)
                 WHERE session_id = \(sessionID)
                RETURNING \(unescaped: Self.chatSessionColumns)
                """, logger: logger).collect()
            return try Self.requireSession(rows, sessionID)
        }
    }

    /// The customer's rating.
    ///
    /// - Throws: `.checkViolation` (column `csat_score`) outside 1…5, `.notFound`.
    @discardableResult
    public func rateChatSession(_ sessionID: String, score: Int, comment: String? = nil) async throws(InvariantsError) -> ChatSession {
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                """
                UPDATE public.chat_sessions SET csat_score = \(score), csat_comment = \(comment)
                 WHERE session_id = \(sessionID)
                RETURNING \(unescaped: Self.chatSessionColumns)
                """, logger: logger).collect()
            return try Self.requireSession(rows, sessionID)
        }
    }

    /// Erases a session with its messages, traces and tool executions (one DELETE; the foreign
    /// keys cascade). Returns whether it existed.
    @discardableResult
    public func eraseChatSession(_ sessionID: String) async throws(InvariantsError) -> Bool {
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                "DELETE FROM public.chat_sessions WHERE session_id = \(sessionID) RETURNING id", logger: logger).collect()
            return !rows.isEmpty
        }
    }

    /// Erases every session of a customer (by email) with everything they own; returns how many sessions.
    @discardableResult
    public func eraseChatCustomer(email: String) async throws(InvariantsError) -> Int {
        let logger = self.logger
        return try await supportChat { conn in
            try await conn.query(
                "DELETE FROM public.chat_sessions WHERE customer_email = \(email) RETURNING id", logger: logger).collect().count
        }
    }

    // MARK: Messages and traces

    /// Adds a message; the session's counters (and, for the first assistant message,
    /// `first_response_time_ms`) change in the same statement. Returns the message id.
    ///
    /// - Throws: `.foreignKeyViolation` for an unknown session, `.checkViolation` (with `column`)
    ///   for a negative number or a JSON list that is not an array, `.invalidInput` for text that is not JSON.
    @discardableResult
    public func addChatMessage(_ message: NewChatMessage) async throws(InvariantsError) -> UUID {
        for (json, column) in [
            (message.toolsUsedJSON, "tools_used"), (message.actionsTakenJSON, "actions_taken"),
            (message.actionsPendingJSON, "actions_pending"),
        ] where (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])) == nil {
            throw InvariantsError(.invalidInput, "\(column) is not valid JSON", sqlState: "IV422", column: column)
        }
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                """
                INSERT INTO public.chat_messages (session_id, role, content, model_used, reasoning_effort, tools_used,
                    processing_time_ms, token_count, cost_usd, actions_taken, actions_pending)
                VALUES (\(message.sessionID), \(message.role.rawValue), \(message.content), \(message.modelUsed),
                    \(message.reasoningEffort?.rawValue), \(message.toolsUsedJSON)::jsonb, \(message.processingTimeMs.map(Int32.init))::integer,
                    \(message.tokenCount.map(Int32.init))::integer, \(message.costUSD)::numeric, \(message.actionsTakenJSON)::jsonb,
                    \(message.actionsPendingJSON)::jsonb)
                RETURNING id
                """, logger: logger)
            return try await Self.single(rows, as: UUID.self)
        }
    }

    /// Records one pipeline step; returns the trace id.
    ///
    /// - Throws: `.foreignKeyViolation` for an unknown session or a message of another session,
    ///   `.checkViolation` (with `column`) for a negative number or an empty agent name.
    @discardableResult
    public func recordAgentTrace(_ trace: NewAgentTrace) async throws(InvariantsError) -> UUID {
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                """
                INSERT INTO public.agent_traces (session_id, message_id, step, agent_name, input_data, output_data, model,
                    reasoning_effort, tokens_input, tokens_output, cost_usd, duration_ms, status, error_message)
                VALUES (\(trace.sessionID), \(trace.messageID)::uuid, \(trace.step.rawValue), \(trace.agentName),
                    \(trace.inputJSON)::jsonb, \(trace.outputJSON)::jsonb, \(trace.model), \(trace.reasoningEffort?.rawValue),
                    \(trace.tokensInput.map(Int32.init))::integer, \(trace.tokensOutput.map(Int32.init))::integer,
                    \(trace.costUSD)::numeric, \(trace.durationMs.map(Int32.init))::integer, \(trace.status.rawValue),
                    \(trace.errorMessage))
                RETURNING id
                """, logger: logger)
            return try await Self.single(rows, as: UUID.self)
        }
    }

    // MARK: Tool executions

    static let toolColumns = """
        id, session_id, trace_id, tool_name, requires_approval, approval_status, approved_at, approved_by, status,
        duration_ms, error_message, tool_output::text, created_at
        """

    static func decodeTool(_ row: PostgresRow) throws -> ToolExecution {
        let (id, session, trace, name, requires, approval, approvedAt, approvedBy, status, duration, error, output, createdAt) =
            try row.decode((UUID, String, UUID?, String, Bool, String?, Date?, String?, String, Int32?, String?, String?, Date).self)
        guard let state = ToolExecutionStatus(rawValue: status) else { throw InvariantsError(.other, "unknown tool status \(status)") }
        return ToolExecution(
            id: id, sessionID: session, traceID: trace, toolName: name, requiresApproval: requires,
            approvalStatus: approval.flatMap(ApprovalStatus.init(rawValue:)), approvedAt: approvedAt, approvedBy: approvedBy,
            status: state, durationMs: duration.map(Int.init), errorMessage: error, outputJSON: output, createdAt: createdAt)
    }

    /// Requests a tool execution (`pending`; approval `pending` when `requiresApproval`).
    ///
    /// - Throws: `.foreignKeyViolation` for an unknown session or a trace of another session.
    public func requestToolExecution(
        sessionID: String, toolName: String, inputJSON: String? = nil, requiresApproval: Bool = false, traceID: UUID? = nil
    ) async throws(InvariantsError) -> ToolExecution {
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                """
                INSERT INTO public.tool_executions (session_id, trace_id, tool_name, tool_input, requires_approval)
                VALUES (\(sessionID), \(traceID)::uuid, \(toolName), \(inputJSON)::jsonb, \(requiresApproval))
                RETURNING \(unescaped: Self.toolColumns)
                """, logger: logger).collect()
            return try Self.decodeTool(rows[0])
        }
    }

    /// Approves a pending approval (`approved_at` is set by the database).
    ///
    /// - Throws: `.illegalTransition` (column `approval_status`) when it was already decided or
    ///   needs no approval, `.invalidInput` (column `approved_by`) for a blank approver, `.notFound`.
    @discardableResult
    public func approveToolExecution(_ id: UUID, by approver: String) async throws(InvariantsError) -> ToolExecution {
        try await updateTool(id, "approval_status = 'approved', approved_by = $2", [approver])
    }

    /// Rejects a pending approval; the execution can then only fail.
    ///
    /// - Throws: like ``approveToolExecution(_:by:)``.
    @discardableResult
    public func rejectToolExecution(_ id: UUID, by approver: String) async throws(InvariantsError) -> ToolExecution {
        try await updateTool(id, "approval_status = 'rejected', approved_by = $2", [approver])
    }

    /// `pending → executing`.
    ///
    /// - Throws: `.illegalTransition` (column `status`) when it is not pending or still needs approval, `.notFound`.
    @discardableResult
    public func startToolExecution(_ id: UUID) async throws(InvariantsError) -> ToolExecution {
        try await updateTool(id, "status = 'executing'", [])
    }

    /// `executing → completed` with the tool's output.
    ///
    /// - Throws: `.illegalTransition`, `.checkViolation` (column `duration_ms`) for a negative duration, `.notFound`.
    @discardableResult
    public func completeToolExecution(_ id: UUID, outputJSON: String? = nil, durationMs: Int? = nil) async throws(InvariantsError) -> ToolExecution {
        try await updateTool(
            id, "status = 'completed', tool_output = $2::jsonb, duration_ms = $3::integer",
            [outputJSON, durationMs.map(String.init)])
    }

    /// `pending | executing → failed`.
    ///
    /// - Throws: `.illegalTransition` once it is completed or failed, `.notFound`.
    @discardableResult
    public func failToolExecution(_ id: UUID, error message: String, durationMs: Int? = nil) async throws(InvariantsError) -> ToolExecution {
        try await updateTool(
            id, "status = 'failed', error_message = $2, duration_ms = $3::integer", [message, durationMs.map(String.init)])
    }

    private func updateTool(_ id: UUID, _ set: String, _ binds: [String?]) async throws(InvariantsError) -> ToolExecution {
        let logger = self.logger
        return try await supportChat { conn in
            var bindings = PostgresBindings()
            bindings.append(id)
            for bind in binds { bindings.append(bind) }
            let rows = try await conn.query(
                PostgresQuery(
                    unsafeSQL: "UPDATE public.tool_executions SET \(set) WHERE id = $1 RETURNING \(Self.toolColumns)",
                    binds: bindings),
                logger: logger).collect()
            guard let row = rows.first else {
                throw InvariantsError(.notFound, "tool execution \(id) not found", sqlState: "IV404", column: "id")
            }
            return try Self.decodeTool(row)
        }
    }

    // MARK: Learning records

    /// Creates a learning record (`active`, never applied); returns its id.
    ///
    /// - Throws: `.checkViolation` (with `column`) for a confidence outside 0…1 or a blank pattern.
    public func createLearningRecord(_ record: NewLearningRecord) async throws(InvariantsError) -> UUID {
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                """
                INSERT INTO public.learning_records (agent_name, learning_type, learned_pattern, category, subcategory,
                    trigger_description, confidence)
                VALUES (\(record.agentName), \(record.learningType.rawValue), \(record.learnedPattern), \(record.category),
                    \(record.subcategory), \(record.triggerDescription), \(record.confidence)::numeric)
                RETURNING id
                """, logger: logger)
            return try await Self.single(rows, as: UUID.self)
        }
    }

    /// Counts one application (successful or not) in one statement; returns the new counts.
    ///
    /// - Throws: `.notFound`, `.conflict` (column `status`) for a record that is not active.
    @discardableResult
    public func applyLearningRecord(_ id: UUID, success: Bool) async throws(InvariantsError) -> LearningApplication {
        let logger = self.logger
        return try await supportChat { conn in
            let rows = try await conn.query(
                "SELECT times_applied, times_succeeded, success_rate, last_applied_at FROM public.apply_learning_record(\(id), \(success))",
                logger: logger).collect()
            let (applied, succeeded, rate, at) = try rows[0].decode((Int32, Int32, Decimal?, Date).self)
            return LearningApplication(timesApplied: Int(applied), timesSucceeded: Int(succeeded), successRate: rate, lastAppliedAt: at)
        }
    }

    /// Sets a learning record's status (`active`, `deprecated`, `merged`).
    ///
    /// - Throws: `.notFound`.
    public func setLearningRecordStatus(_ id: UUID, _ status: LearningStatus) async throws(InvariantsError) {
        let logger = self.logger
        try await supportChat { conn in
            let rows = try await conn.query(
                "UPDATE public.learning_records SET status = \(status.rawValue) WHERE id = \(id) RETURNING id", logger: logger).collect()
            if rows.isEmpty { throw InvariantsError(.notFound, "learning record \(id) not found", sqlState: "IV404", column: "id") }
        }
    }

    // MARK: Analytics (seed 001: service only)

    /// `v_session_stats`, by day, category and channel.
    public func sessionStats() async throws(InvariantsError) -> [SessionStatsRow] {
        let logger = self.logger
        return try await supportChat { conn in
            var result: [SessionStatsRow] = []
            let rows = try await conn.query(
                """
                SELECT day, primary_category, channel, total_sessions, resolved, escalated, avg_first_response_ms,
                       avg_resolution_sec, avg_csat
                FROM public.v_session_stats ORDER BY day DESC, primary_category NULLS LAST, channel
                """, logger: logger)
            for try await (day, category, channel, total, resolved, escalated, first, resolution, csat) in rows.decode(
                (Date, String?, String, Int64, Int64, Int64, Decimal?, Decimal?, Decimal?).self)
            {
                result.append(SessionStatsRow(
                    day: day, primaryCategory: category, channel: ChatChannel(rawValue: channel) ?? .widget,
                    totalSessions: total, resolved: resolved, escalated: escalated, avgFirstResponseMs: first,
                    avgResolutionSec: resolution, avgCSAT: csat))
            }
            return result
        }
    }

    /// `v_cost_by_category`: assistant messages' cost per category.
    public func costByCategory() async throws(InvariantsError) -> [CostByCategoryRow] {
        let logger = self.logger
        return try await supportChat { conn in
            var result: [CostByCategoryRow] = []
            let rows = try await conn.query(
                """
                SELECT primary_category, sessions, total_cost, avg_cost_per_message, avg_cost_per_session
                FROM public.v_cost_by_category ORDER BY primary_category NULLS LAST
                """, logger: logger)
            for try await (category, sessions, total, perMessage, perSession) in rows.decode(
                (String?, Int64, Decimal?, Decimal?, Decimal?).self)
            {
                result.append(CostByCategoryRow(
                    primaryCategory: category, sessions: sessions, totalCost: total, avgCostPerMessage: perMessage,
                    avgCostPerSession: perSession))
            }
            return result
        }
    }

    /// `v_pipeline_funnel`: eval decisions per category over the last 30 days.
    public func pipelineFunnel() async throws(InvariantsError) -> [PipelineFunnelRow] {
        let logger = self.logger
        return try await supportChat { conn in
            var result: [PipelineFunnelRow] = []
            let rows = try await conn.query(
                """
                SELECT primary_category, total, auto_sent, drafted, escalated, auto_send_rate
                FROM public.v_pipeline_funnel ORDER BY primary_category NULLS LAST
                """, logger: logger)
            for try await (category, total, sent, drafted, escalated, rate) in rows.decode(
                (String?, Int64, Int64, Int64, Int64, Decimal?).self)
            {
                result.append(PipelineFunnelRow(
                    primaryCategory: category, total: total, autoSent: sent, drafted: drafted, escalated: escalated,
                    autoSendRate: rate))
            }
            return result
        }
    }

    // MARK: Analytics (seed 003: a user sees their own logs, the service everyone's)

    /// `v_chat_activity_by_user`, most questions first.
    public func chatActivityByUser(as user: UserContext = .service) async throws(InvariantsError) -> [ChatActivityRow] {
        let logger = self.logger
        return try await run(as: user) { conn in
            var result: [ChatActivityRow] = []
            let rows = try await conn.query(
                "SELECT user_id, display_name, questions, total_cost, avg_tokens FROM public.v_chat_activity_by_user ORDER BY questions DESC, user_id",
                logger: logger)
            for try await (id, name, questions, cost, tokens) in rows.decode((UUID, String?, Int64, Decimal?, Decimal?).self) {
                result.append(ChatActivityRow(userID: id, displayName: name, questions: questions, totalCost: cost, avgTokens: tokens))
            }
            return result
        }
    }

    /// `v_chat_popular_tools`, most used first.
    public func popularChatTools(as user: UserContext = .service) async throws(InvariantsError) -> [PopularToolRow] {
        let logger = self.logger
        return try await run(as: user) { conn in
            var result: [PopularToolRow] = []
            let rows = try await conn.query(
                "SELECT tool_name, usage_count, avg_duration FROM public.v_chat_popular_tools ORDER BY usage_count DESC, tool_name",
                logger: logger)
            for try await (name, count, duration) in rows.decode((String?, Int64, Double?).self) {
                result.append(PopularToolRow(toolName: name, usageCount: count, avgDurationMs: duration))
            }
            return result
        }
    }

    /// `v_chat_daily_costs`, newest UTC day first.
    public func dailyChatCosts(as user: UserContext = .service) async throws(InvariantsError) -> [DailyCostRow] {
        let logger = self.logger
        return try await run(as: user) { conn in
            var result: [DailyCostRow] = []
            let rows = try await conn.query(
                "SELECT day, requests, daily_cost FROM public.v_chat_daily_costs ORDER BY day DESC", logger: logger)
            for try await (day, requests, cost) in rows.decode((Date, Int64, Decimal?).self) {
                result.append(DailyCostRow(day: day, requests: requests, dailyCost: cost))
            }
            return result
        }
    }

    /// `v_chat_most_expensive`: the 20 most expensive logs with a known cost.
    public func mostExpensiveChats(as user: UserContext = .service) async throws(InvariantsError) -> [ExpensiveChatRow] {
        let logger = self.logger
        return try await run(as: user) { conn in
            var result: [ExpensiveChatRow] = []
            let rows = try await conn.query(
                "SELECT id, user_id, question, cost, total_tokens, created_at FROM public.v_chat_most_expensive ORDER BY cost DESC, id DESC",
                logger: logger)
            for try await (id, userID, question, cost, tokens, at) in rows.decode((Int64, UUID, String, Decimal, Int32?, Date).self) {
                result.append(ExpensiveChatRow(
                    id: id, userID: userID, question: question, cost: cost, totalTokens: tokens.map(Int.init), createdAt: at))
            }
            return result
        }
    }
}
