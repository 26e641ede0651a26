public import Foundation
import PostgresNIO
public import Invariants

// Seed 003's typed client: log a chat (service side), favorites, own history and usage.
// The database enforces every rule (ChatLogs.ChatLogsModule); these methods only
// call it, so an app that writes SQL directly gets the same guarantees.

/// A chat to log on behalf of a user (the service's call after answering).
public struct ChatLogEntry: Sendable, Hashable {
    public var userID: UUID
    public var question: String
    public var response: String
    /// JSON text: an array of objects with a non-empty string `"name"`, e.g.
    /// `[{"name": "get_price", "input": {"ticker": "AAPL"}, "duration_ms": 123}]`.
    /// Anything else is refused with ``InvariantsError/Kind/invalidInput``, column `tools_used`.
    public var toolsUsedJSON: String
    public var inputTokens: Int32?
    public var outputTokens: Int32?
    public var cost: Decimal?
    /// At most 50 characters.
    public var model: String?

    public init(
        userID: UUID, question: String, response: String, toolsUsedJSON: String = "[]",
        inputTokens: Int32? = nil, outputTokens: Int32? = nil, cost: Decimal? = nil, model: String? = nil
    ) {
        self.userID = userID
        self.question = question
        self.response = response
        self.toolsUsedJSON = toolsUsedJSON
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cost = cost
        self.model = model
    }
}

/// One row of `chat_logs` as its owner reads it.
public struct ChatLog: Sendable, Hashable {
    public var id: Int64
    public var userID: UUID
    public var question: String
    public var response: String
    /// `tools_used` as JSON text.
    public var toolsUsedJSON: String
    public var inputTokens: Int32?
    public var outputTokens: Int32?
    public var cost: Decimal?
    public var model: String?
    public var createdAt: Date
}

/// One favorite (`saved_chats`): a copy of a log's question and response, with a note.
public struct SavedChat: Sendable, Hashable {
    public var id: Int64
    /// `nil` for a standalone save, or after the log itself was deleted (the copy stays).
    public var chatLogID: Int64?
    public var question: String
    public var response: String
    public var note: String?
    public var createdAt: Date
}

/// A user's usage on one UTC day (`usage_daily`), kept by the database.
public struct DailyUsage: Sendable, Hashable {
    /// Midnight UTC of the day.
    public var day: Date
    public var requests: Int64
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var cost: Decimal
}

/// A cost alert from channel ``channel``: a user's cost for a UTC day crossed their limit.
/// It carries the alert's id only (any connection may listen, anon included); read the alert
/// with ``InvariantsClient/costAlert(_:as:)``, under RLS.
public struct CostAlert: Sendable, Hashable, Decodable {
    /// The NOTIFY channel.
    public static let channel = "invariants_cost_alerts"

    /// The row in `public.cost_alerts`.
    public var alertID: UUID

    enum CodingKeys: String, CodingKey {
        case alertID = "alert_id"
    }

    /// Decodes a notification payload; `nil` when it is not a cost alert.
    public init?(payload: String) {
        guard let alert = try? JSONDecoder().decode(CostAlert.self, from: Data(payload.utf8)) else { return nil }
        self = alert
    }
}

/// One row of `public.cost_alerts`: whose cost crossed which limit on which UTC day.
public struct CostAlertRecord: Sendable, Hashable {
    public var id: UUID
    public var userID: UUID
    /// `YYYY-MM-DD`, a UTC day.
    public var day: String
    /// The day's cost when it crossed the limit.
    public var cost: Decimal
    public var dailyCostLimit: Decimal
}

extension InvariantsClient {
    /// The alert a ``CostAlert`` names, read as `user` (RLS: only its owner, or `service_role`,
    /// sees it).
    ///
    /// - Throws: ``InvariantsError`` `.notFound` (column `alert_id`) for another user's alert or
    ///   a missing one (the two are indistinguishable).
    public func costAlert(_ alertID: UUID, as user: UserContext) async throws(InvariantsError) -> CostAlertRecord {
        let logger = self.logger
        let rows = try await run(as: user) { conn in
            try await conn.query(
                "SELECT id, user_id, day::text, cost, daily_cost_limit FROM public.cost_alerts WHERE id = \(alertID)",
                logger: logger
            ).collect()
        }
        guard let row = rows.first else { throw InvariantsError(.notFound, "cost alert \(alertID) not found", column: "alert_id") }
        do {
            let (id, userID, day, cost, limit) = try row.decode((UUID, UUID, String, Decimal, Decimal).self)
            return CostAlertRecord(id: id, userID: userID, day: day, cost: cost, dailyCostLimit: limit)
        } catch {
            throw InvariantsError(error, endpoint: url.endpoint)
        }
    }

    /// Logs a chat for `entry.userID` as `service_role` (`public.log_chat`); returns the log id.
    /// Usage and cost alerts follow in the same transaction.
    ///
    /// - Throws: ``InvariantsError`` `.invalidInput` (column `tools_used`, `input_tokens`,
    ///   `output_tokens`, `cost` or `model`), `.foreignKeyViolation` for an unknown user.
    @discardableResult
    public func logChat(_ entry: ChatLogEntry) async throws(InvariantsError) -> Int64 {
        let logger = self.logger
        return try await run(as: .service) { conn in
            let rows = try await conn.query(
                """
                SELECT public.log_chat(\(entry.userID)::uuid, \(entry.question)::text, \(entry.response)::text,
                    \(entry.toolsUsedJSON)::jsonb, \(entry.inputTokens)::integer, \(entry.outputTokens)::integer,
                    \(entry.cost)::numeric, \(entry.model)::text)
                """, logger: logger)
            return try await Self.single(rows, as: Int64.self)
        }
    }

    /// Saves one of the user's own logs as a favorite (`public.save_chat`); returns its id.
    /// The question and response are copied by the database.
    ///
    /// - Throws: `.notFound` (column `chat_log_id`) for a missing log or another user's
    ///   (the two are indistinguishable on purpose), `.invalidInput` (column `note`) for a
    ///   note over 500 characters, `.conflict` (IV409, column `chat_log_id`) when the log is
    ///   already saved (a direct INSERT of the seed's still gets the unique violation).
    @discardableResult
    public func saveChat(_ chatLogID: Int64, note: String? = nil, as user: UserContext) async throws(InvariantsError) -> Int64 {
        let logger = self.logger
        return try await run(as: user) { conn in
            let rows = try await conn.query(
                "SELECT public.save_chat(\(chatLogID)::bigint, \(note)::text)", logger: logger)
            return try await Self.single(rows, as: Int64.self)
        }
    }

    /// The user's favorites, newest first.
    public func savedChats(as user: UserContext, limit: Int = 100) async throws(InvariantsError) -> [SavedChat] {
        let logger = self.logger
        return try await run(as: user) { conn in
            var result: [SavedChat] = []
            let rows = try await conn.query(
                """
                SELECT id, chat_log_id, question, response, note, created_at FROM public.saved_chats
                ORDER BY created_at DESC, id DESC LIMIT \(limit)::bigint
                """, logger: logger)
            for try await (id, chatLogID, question, response, note, createdAt)
                in rows.decode((Int64, Int64?, String, String, String?, Date).self) {
                result.append(SavedChat(
                    id: id, chatLogID: chatLogID, question: question, response: response, note: note, createdAt: createdAt))
            }
            return result
        }
    }

    /// Removes one of the user's favorites.
    ///
    /// - Throws: `.notFound` when the user has no favorite with that id (another user's
    ///   included: RLS hides it).
    public func removeSavedChat(_ id: Int64, as user: UserContext) async throws(InvariantsError) {
        let logger = self.logger
        try await run(as: user) { conn in
            let rows = try await conn.query(
                "DELETE FROM public.saved_chats WHERE id = \(id)::bigint RETURNING id", logger: logger)
            var removed = 0
            for try await _ in rows { removed += 1 }
            if removed == 0 {
                throw InvariantsError(.notFound, "saved chat \(id) not found", sqlState: "IV404", column: "id")
            }
        }
    }

    /// The user's own chat history, newest first; pass the last id seen as `before` to page.
    public func chatHistory(as user: UserContext, before: Int64? = nil, limit: Int = 50) async throws(InvariantsError) -> [ChatLog] {
        let logger = self.logger
        return try await run(as: user) { conn in
            var result: [ChatLog] = []
            let rows = try await conn.query(
                """
                SELECT id, user_id, question, response, tools_used::text, input_tokens, output_tokens, cost, model, created_at
                FROM public.chat_logs
                WHERE \(before)::bigint IS NULL OR id < \(before)::bigint
                ORDER BY id DESC LIMIT \(limit)::bigint
                """, logger: logger)
            for try await row in rows {
                let (id, userID, question, response, tools, input, output, cost, model, createdAt) = try row.decode(
                    (Int64, UUID, String, String, String, Int32?, Int32?, Decimal?, String?, Date).self)
                result.append(ChatLog(
                    id: id, userID: userID, question: question, response: response, toolsUsedJSON: tools,
                    inputTokens: input, outputTokens: output, cost: cost, model: model, createdAt: createdAt))
            }
            return result
        }
    }

    /// The user's usage per UTC day, newest first.
    public func usage(as user: UserContext, days: Int = 31) async throws(InvariantsError) -> [DailyUsage] {
        let logger = self.logger
        return try await run(as: user) { conn in
            var result: [DailyUsage] = []
            let rows = try await conn.query(
                """
                SELECT day, requests, input_tokens, output_tokens, cost FROM public.usage_daily
                ORDER BY day DESC LIMIT \(days)::bigint
                """, logger: logger)
            for try await (day, requests, input, output, cost) in rows.decode((Date, Int64, Int64, Int64, Decimal).self) {
                result.append(DailyUsage(day: day, requests: requests, inputTokens: input, outputTokens: output, cost: cost))
            }
            return result
        }
    }

    /// Sets (or with `nil` removes) a user's daily cost limit, as `service_role`.
    ///
    /// - Throws: `.checkViolation` for a limit that is not positive.
    public func setDailyCostLimit(_ limit: Decimal?, for userID: UUID) async throws(InvariantsError) {
        let logger = self.logger
        try await run(as: .service) { conn in
            if let limit {
                try await conn.query(
                    """
                    INSERT INTO public.usage_thresholds (user_id, daily_cost_limit) VALUES (\(userID)::uuid, \(limit)::numeric)
                    ON CONFLICT (user_id) DO UPDATE SET daily_cost_limit = EXCLUDED.daily_cost_limit
                    """, logger: logger)
            } else {
                try await conn.query(
                    "DELETE FROM public.usage_thresholds WHERE user_id = \(userID)::uuid", logger: logger)
            }
        }
    }
}
