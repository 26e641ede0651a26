public import Foundation
import PostgresNIO
public import Invariants
public import InvariantsTypedCalls

// Seed 004's typed client: gig responses and their counters, per workspace. The database
// keeps `gigs.responses` / `gigs.new_responses` exact (GigResponses.GigResponsesModule);
// these calls are the seed's API routes, each one stored-function call.
//
// Errors (``InvariantsError/kind``): `.forbidden` (column `workspace_id`) when the caller is not
// a member of the workspace; `.notFound` when the gig or response is not in that workspace
// (another workspace's row and a missing row get the same answer); `.invalidInput` naming the
// missing argument.

/// The seed's `gig.responses.count` result.
public struct GigResponseCounts: Sendable, Hashable {
    /// Responses to the gig, counted now.
    public var total: Int64
    /// Responses with status `NEW`, counted now.
    public var new: Int64
    /// `gigs.responses` as stored.
    public var gigResponses: Int64
    /// `gigs.new_responses` as stored.
    public var gigNewResponses: Int64
    /// Stored equals counted (read in one snapshot).
    public var isSynced: Bool

    public init(total: Int64, new: Int64, gigResponses: Int64, gigNewResponses: Int64, isSynced: Bool) {
        self.total = total
        self.new = new
        self.gigResponses = gigResponses
        self.gigNewResponses = gigNewResponses
        self.isSynced = isSynced
    }
}

/// What a counter sync checked and fixed.
public struct CounterSyncResult: Sendable, Hashable {
    /// Gigs examined.
    public var checked: Int64
    /// Gigs whose stored counters differed and were rewritten (each change is audited in
    /// `invariants.counter_repairs`).
    public var fixed: Int64

    public init(checked: Int64, fixed: Int64) {
        self.checked = checked
        self.fixed = fixed
    }
}

extension InvariantsClient {
    /// Creates a workspace with the signed-in user as its owner (`public.create_workspace`).
    ///
    /// - Throws: `.forbidden` when `user` is not a signed-in user; `.invalidInput` (column
    ///   `name`) for an empty or over-long name.
    public func createWorkspace(named name: String, as user: UserContext) async throws(InvariantsError) -> UUID {
        let logger = self.logger
        return try await run(as: user) { conn in
            try await Self.single(try await conn.query("SELECT public.create_workspace(\(name)::text)", logger: logger), as: UUID.self)
        }
    }

    /// Deletes one response of `workspace` (`gig.responses.delete`); the gig's counters follow.
    ///
    /// - Throws: `.notFound` (column `response_id`) when the response is not in that workspace —
    ///   nothing is deleted; `.forbidden` when `user` is not a member.
    public func deleteResponse(_ response: UUID, workspace: UUID, as user: UserContext = .service) async throws(InvariantsError) {
        let logger = self.logger
        try await run(as: user) { conn in
            _ = try await conn.query("SELECT public.delete_response(\(response)::uuid, \(workspace)::uuid)", logger: logger).collect()
        }
    }

    /// Deletes a gig of `workspace` with its responses (`public.delete_gig`): the way to delete
    /// one, since direct DELETE on gigs is revoked from the request roles — the function locks
    /// the gig's responses before the gig, so it never deadlocks with response updates.
    ///
    /// - Throws: `.notFound` (column `gig_id`) when the gig is not in that workspace — nothing
    ///   is deleted; `.forbidden` when `user` is not a member.
    public func deleteGig(_ gig: UUID, workspace: UUID, as user: UserContext = .service) async throws(InvariantsError) {
        let logger = self.logger
        try await run(as: user) { conn in
            _ = try await conn.query("SELECT public.delete_gig(\(gig)::uuid, \(workspace)::uuid)", logger: logger).collect()
        }
    }

    /// Counted and stored values for one gig (`gig.responses.count`).
    public func counts(gig: UUID, workspace: UUID, as user: UserContext = .service) async throws(InvariantsError) -> GigResponseCounts {
        let rows = try await callPrepared(GigCountsCall(
            role: user.role.rawValue, claims: user.claimsJSON, arguments: try GigResponsesCalls.counts.callAsArguments((gig, workspace))))
        guard let (total, new, stored, storedNew, synced) = rows.first else {
            throw InvariantsError(.notFound, "gig \(gig) not found in workspace \(workspace)")
        }
        return GigResponseCounts(total: total, new: new, gigResponses: stored, gigNewResponses: storedNew, isSynced: synced)
    }

    /// Repairs one gig's counters (`gig.syncResponseCounts`). Without `force` only a drifted
    /// gig is rewritten; with it, the counters are rewritten even when they match.
    @discardableResult
    public func syncCounts(gig: UUID, workspace: UUID, force: Bool = false, as user: UserContext = .service)
        async throws(InvariantsError) -> CounterSyncResult
    {
        let logger = self.logger
        return try await run(as: user) { conn in
            let call = GigResponsesCalls.syncGig
            return try await Self.syncResult(call.decode(try await conn.query(call.query((gig, workspace, force)), logger: logger)))
        }
    }

    /// Repairs every gig of `workspace` (`gig.syncAllResponseCounts`), in one transaction.
    @discardableResult
    public func syncAllCounts(workspace: UUID, force: Bool = false, as user: UserContext = .service)
        async throws(InvariantsError) -> CounterSyncResult
    {
        let logger = self.logger
        return try await run(as: user) { conn in
            let call = GigResponsesCalls.syncWorkspace
            return try await Self.syncResult(call.decode(try await conn.query(call.query((workspace, force)), logger: logger)))
        }
    }

    static func syncResult(_ rows: [(Int64, Int64)]) -> CounterSyncResult {
        var result = CounterSyncResult(checked: 0, fixed: 0)
        for (checked, fixed) in rows {
            result.checked += checked
            result.fixed += fixed
        }
        return result
    }
}

/// Seed 004's typed calls, derived from the declarations in ``GigResponsesFunctions``: the SQL and
/// the column definition list come from each ``StoredFunction``'s arguments and result columns;
/// the Swift argument and row types are written here once, and `GigResponsesCallsTests` fails
/// when they disagree with the declaration.
public enum GigResponsesCalls {
    /// Every typed call of the app, for the tests.
    public static var all: [any DeclaredCallShape] { [counts, syncGig, syncWorkspace, syncAll] }

    public static let counts = DeclaredCall(
        GigResponsesFunctions.counts, arguments: (UUID, UUID).self, row: (Int64, Int64, Int64, Int64, Bool).self)
    public static let syncGig = DeclaredCall(
        GigResponsesFunctions.syncGig, arguments: (UUID, UUID, Bool).self, row: (Int64, Int64).self)
    public static let syncWorkspace = DeclaredCall(
        GigResponsesFunctions.syncWorkspace, arguments: (UUID, Bool).self, row: (Int64, Int64).self)
    public static let syncAll = DeclaredCall(GigResponsesFunctions.syncAll, arguments: Bool.self, row: (Int64, Int64).self)
}

/// `counts(gig:workspace:)` as a prepared statement: the project's hottest read. Its SQL and
/// decoding are ``GigResponsesCalls/counts``'s (the `Row` spelled here must be that call's row:
/// `decodeRow` does not compile otherwise).
struct GigCountsCall: ContextCallStatement {
    static let sql = GigResponsesCalls.counts.callAsPreparedSQL
    typealias Row = (Int64, Int64, Int64, Int64, Bool)
    var role: String
    var claims: String
    var arguments: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(role)
        bindings.append(claims)
        bindings.append(arguments)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try GigResponsesCalls.counts.decode(row) }
}
