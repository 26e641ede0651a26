public import Foundation
import PostgresNIO
public import Invariants
public import InvariantsTypedCalls

// Seed 000's typed API: the expert panel of a session and each model's work record.
// Each method is one call of a stored function (ModelWorkRecord.ModelWorkRecordModule);
// the database enforces the rules, these only type the arguments and results.

/// A session's expert panel and the `config_version` it has at that moment.
public struct SessionModels: Sendable, Hashable {
    /// Bumped by the database on every panel change; send it back with the next change.
    public var version: Int64
    /// The selected model ids, in panel order.
    public var models: [String]

    public init(version: Int64, models: [String]) {
        self.version = version
        self.models = models
    }
}

/// The outcome of ``InvariantsClient/dismissModel(as:sessionID:modelID:note:)``.
public struct ModelDismissal: Sendable, Hashable {
    /// `false` when the model had already been dismissed (nothing changed).
    public var dismissed: Bool
    /// The panel after the call.
    public var panel: SessionModels
    /// The model's dismissals in this session.
    public var dismissalCount: Int64
}

/// A model's counters in one session after ``InvariantsClient/recordModelResponse(sessionID:modelID:)``.
public struct ModelResponseRecord: Sendable, Hashable {
    public var responseCount: Int64
    public var firstUsedAt: Date?
    public var lastUsedAt: Date?
}

/// One model's record for the caller: all live sessions plus deleted ones (folded).
public struct ModelStatisticsSummary: Sendable, Hashable {
    public var modelID: String
    /// Sessions the model took part in, deleted ones included.
    public var sessionCount: Int64
    public var responseCount: Int64
    public var totalBrains: Int64
    public var dismissalCount: Int64
    public var firstUsedAt: Date?
    public var lastUsedAt: Date?
}

/// A row of the caller's own leaderboard.
public struct ModelLeaderboardEntry: Sendable, Hashable {
    public var rank: Int64
    public var modelID: String
    public var responseCount: Int64
    public var totalBrains: Int64
    public var dismissalCount: Int64
}

/// A row of the global leaderboard: sums over every user, never one user's numbers.
public struct GlobalModelLeaderboardEntry: Sendable, Hashable {
    public var rank: Int64
    public var modelID: String
    /// Distinct users who used the model (at least the `minUsers` asked for).
    public var userCount: Int64
    public var responseCount: Int64
    public var totalBrains: Int64
    public var dismissalCount: Int64
}

extension InvariantsClient {
    /// Counts one response of `modelID` in a session (+1, `last_used_at` now). For the
    /// orchestrator: runs as `service_role`, the only role allowed to call it.
    ///
    /// - Throws: ``InvariantsError`` `.notFound` (column `session_id` or `model_id` when the
    ///   model is not on the panel), `.invalidInput` (column `model_id`).
    public func recordModelResponse(sessionID: UUID, modelID: String) async throws(InvariantsError) -> ModelResponseRecord {
        let logger = logger
        return try await run(as: .service) { conn in
            let call = ModelWorkRecordCalls.recordModelResponse
            let rows = try await conn.query(call.query((sessionID, modelID)), logger: logger).collect()
            let (count, first, last) = try call.decode(try Self.single(rows))
            return ModelResponseRecord(responseCount: count, firstUsedAt: first, lastUsedAt: last)
        }
    }

    /// Removes `modelID` from the session's panel (and its settings) and counts the dismissal,
    /// atomically. Idempotent: dismissing it again returns `dismissed == false`.
    ///
    /// - Throws: `.notFound` (another user's or a missing session; a model never on the
    ///   panel), `.invalidInput` (column `model_id`, `note` over 500 characters).
    public func dismissModel(as user: UserContext, sessionID: UUID, modelID: String, note: String? = nil) async throws(InvariantsError) -> ModelDismissal {
        let logger = logger
        return try await run(as: user) { conn in
            let call = ModelWorkRecordCalls.dismissModel
            let rows = try await conn.query(call.query((sessionID, modelID, note)), logger: logger).collect()
            let (dismissed, version, models, count) = try call.decode(try Self.single(rows))
            return ModelDismissal(dismissed: dismissed, panel: SessionModels(version: version, models: models), dismissalCount: count)
        }
    }

    /// Replaces the panel if it is still at `expectedVersion`.
    ///
    /// - Throws: `.conflict` when the panel changed since (re-read with
    ///   ``sessionModels(as:sessionID:)`` and re-apply your own changes), `.notFound`,
    ///   `.invalidInput` (column `models`: empty or long ids, duplicates, more than 64).
    public func setSessionModels(as user: UserContext, sessionID: UUID, models: [String], expectedVersion: Int64) async throws(InvariantsError) -> SessionModels {
        let logger = logger
        return try await run(as: user) { conn in
            let call = ModelWorkRecordCalls.setSessionModels
            let rows = try await conn.query(call.query((sessionID, models, expectedVersion)), logger: logger).collect()
            let (version, selected) = try call.decode(try Self.single(rows))
            return SessionModels(version: version, models: selected)
        }
    }

    /// Creates a session owned by `user` (a plain INSERT under RLS, as the app does) with
    /// these models on its panel; the database validates the config's shape.
    ///
    /// - Throws: `.invalidInput` (column `session_config`) for a malformed panel.
    public func createSession(as user: UserContext, title: String, models: [String]) async throws(InvariantsError) -> UUID {
        guard let owner = user.userID else {
            throw InvariantsError(.invalidInput, "a session needs a signed-in user", column: "user_id")
        }
        let id = UUID()
        let config = String(decoding: (try? JSONSerialization.data(withJSONObject: ["selectedModels": models, "perModelSettings": [String: String]()], options: [.sortedKeys])) ?? Data(), as: UTF8.self)
        let logger = logger
        try await run(as: user) { conn in
            try await conn.query(
                "INSERT INTO public.sessions (id, user_id, title, session_config) VALUES (\(id), \(owner), \(title), \(config)::jsonb)",
                logger: logger
            )
        }
        return id
    }

    /// The session's panel and version, read under RLS.
    ///
    /// - Throws: `.notFound` when the session is missing or not the caller's.
    public func sessionModels(as user: UserContext, sessionID: UUID) async throws(InvariantsError) -> SessionModels {
        let logger = logger
        return try await run(as: user) { conn in
            let rows = try await conn.query(
                """
                SELECT config_version, ARRAY(SELECT jsonb_array_elements_text(session_config -> 'selectedModels'))
                FROM public.sessions WHERE id = \(sessionID)
                """,
                logger: logger
            ).collect()
            guard let row = rows.first else {
                throw InvariantsError(.notFound, "session \(sessionID.uuidString.lowercased()) not found", column: "session_id")
            }
            let (version, models) = try row.decode((Int64, [String]).self)
            return SessionModels(version: version, models: models)
        }
    }

    /// Adds `brains` (1…1000) to a model that has a record in the caller's session.
    ///
    /// - Throws: `.invalidInput` (column `brains`; values outside `Int32` arrive clamped and
    ///   are refused by the same rule), `.notFound`.
    public func addBrains(as user: UserContext, sessionID: UUID, modelID: String, brains: Int) async throws(InvariantsError) -> Int64 {
        let logger = logger
        let amount = Int32(clamping: brains)
        return try await run(as: user) { conn in
            let call = ModelWorkRecordCalls.addBrains
            let rows = try await conn.query(call.query((sessionID, modelID, amount)), logger: logger).collect()
            return try call.decode(try Self.single(rows))
        }
    }

    /// The caller's record per model (or for one model), deleted sessions included.
    public func modelStatistics(as user: UserContext, modelID: String? = nil) async throws(InvariantsError) -> [ModelStatisticsSummary] {
        let logger = logger
        return try await run(as: user) { conn in
            let call = ModelWorkRecordCalls.statisticsSummary
            let rows = try await conn.query(call.query(modelID), logger: logger).collect()
            return try rows.map { row in
                let (model, sessions, responses, brains, dismissals, first, last) = try call.decode(row)
                return ModelStatisticsSummary(
                    modelID: model, sessionCount: sessions, responseCount: responses, totalBrains: brains,
                    dismissalCount: dismissals, firstUsedAt: first, lastUsedAt: last)
            }
        }
    }

    /// The caller's models ranked by brains, then responses.
    public func myModelLeaderboard(as user: UserContext, limit: Int = 10) async throws(InvariantsError) -> [ModelLeaderboardEntry] {
        let logger = logger
        let limit = Int32(clamping: limit)
        return try await run(as: user) { conn in
            let call = ModelWorkRecordCalls.myLeaderboard
            let rows = try await conn.query(call.query(limit), logger: logger).collect()
            return try rows.map { row in
                let (rank, model, responses, brains, dismissals) = try call.decode(row)
                return ModelLeaderboardEntry(rank: rank, modelID: model, responseCount: responses, totalBrains: brains, dismissalCount: dismissals)
            }
        }
    }

    /// Every user's models as sums, only for models used by at least `minUsers` (≥ 3) users.
    public func globalModelLeaderboard(as user: UserContext, minUsers: Int = 3, limit: Int = 10) async throws(InvariantsError) -> [GlobalModelLeaderboardEntry] {
        let logger = logger
        let minUsers = Int32(clamping: minUsers)
        let limit = Int32(clamping: limit)
        return try await run(as: user) { conn in
            let call = ModelWorkRecordCalls.globalLeaderboard
            let rows = try await conn.query(call.query((minUsers, limit)), logger: logger).collect()
            return try rows.map { row in
                let (rank, model, users, responses, brains, dismissals) = try call.decode(row)
                return GlobalModelLeaderboardEntry(
                    rank: rank, modelID: model, userCount: users, responseCount: responses, totalBrains: brains, dismissalCount: dismissals)
            }
        }
    }
}

/// Seed 000's typed calls, derived from the declarations in ModelWorkRecordFunctions.swift (``ModelWorkRecordModule``): the SQL
/// comes from each ``StoredFunction``'s arguments and result columns; the Swift argument and row
/// types are written here once, and `ModelWorkRecordCallsTests` fails when they disagree.
public enum ModelWorkRecordCalls {
    /// Every typed call of the app, for the tests.
    public static var all: [any DeclaredCallShape] {
        [recordModelResponse, dismissModel, setSessionModels, addBrains, statisticsSummary, myLeaderboard, globalLeaderboard]
    }

    public static let recordModelResponse = DeclaredCall(
        ModelWorkRecordModule.recordModelResponse, arguments: (UUID, String).self, row: (Int64, Date?, Date?).self)
    public static let dismissModel = DeclaredCall(
        ModelWorkRecordModule.dismissModel, arguments: (UUID, String, String?).self, row: (Bool, Int64, [String], Int64).self)
    public static let setSessionModels = DeclaredCall(
        ModelWorkRecordModule.setSessionModels, arguments: (UUID, [String], Int64).self, row: (Int64, [String]).self)
    public static let addBrains = DeclaredCall(
        ModelWorkRecordModule.addBrains, arguments: (UUID, String, Int32).self, row: Int64.self)
    public static let statisticsSummary = DeclaredCall(
        ModelWorkRecordModule.statisticsSummary, arguments: String?.self,
        row: (String, Int64, Int64, Int64, Int64, Date?, Date?).self)
    public static let myLeaderboard = DeclaredCall(
        ModelWorkRecordModule.myLeaderboard, arguments: Int32.self, row: (Int64, String, Int64, Int64, Int64).self)
    public static let globalLeaderboard = DeclaredCall(
        ModelWorkRecordModule.globalLeaderboard, arguments: (Int32, Int32).self,
        row: (Int64, String, Int64, Int64, Int64, Int64).self)
}
