import Foundation
import InvariantsSchema
import PostgresNIO
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SupportChat

/// Seed 004's gigs and responses for the counter benchmarks, one table pair per strategy.
///
/// The seed's own strategy uses the real tables of migration 5 (`public.gigs`, `public.responses`
/// with `GigResponsesModule.counters`). Any other strategy gets a schema of its own
/// (`bench_<strategy>`) with `GigResponsesModule.copy(inSchema:strategy:)`: the same tables,
/// keys, checks, indexes and updated_at triggers, and the same counters kept by that strategy.
///
/// Gig n has the id `lpad(to_hex(n), 32, '0')::uuid`, so SQL and pgbench scripts can name it.
struct CounterTables: Sendable {
    static let workspace = "000000000000000000000000000000aa"

    var strategy: CounterCache.Strategy
    var counter: CounterCache
    var gigs: String { counter.parent.sql }
    var responses: String { counter.child.sql }
    var drift: String { counter.driftViewName.sql }

    static func gigID(_ n: String) -> String { "lpad(to_hex((\(n))::bigint), 32, '0')::uuid" }

    /// Creates the workspace (once per database) and, for a strategy other than the seed's, the bench tables.
    static func install(_ strategy: CounterCache.Strategy, on connection: PostgresConnection) async throws -> CounterTables {
        try await connection.run("INSERT INTO public.workspaces (id, name) VALUES ('\(workspace)', 'bench') ON CONFLICT DO NOTHING")
        let real = GigResponsesModule.counters
        if strategy == real.strategy {
            return CounterTables(strategy: strategy, counter: real)
        }
        let copy = GigResponsesModule.copy(inSchema: "bench_\(strategy.rawValue)", strategy: strategy)
        for statement in copy.installStatements { try await connection.run(statement) }
        let counter = copy.counter
        return CounterTables(strategy: strategy, counter: counter)
    }

    /// Gigs 1…count in the bench workspace.
    func loadGigs(_ count: Int, on connection: PostgresConnection) async throws {
        try await connection.run("""
            INSERT INTO \(gigs) (id, workspace_id, title)
            SELECT \(Self.gigID("g")), '\(Self.workspace)', 'gig ' || g FROM generate_series(1, \(count)) g
            """)
        try await connection.run("VACUUM (ANALYZE) \(gigs)")
    }

    /// No responses, every counter zero (the TRUNCATE trigger), vacuumed: the same start for every run.
    func reset(on connection: PostgresConnection) async throws {
        try await connection.run("TRUNCATE \(responses)")
        try await connection.run("VACUUM (ANALYZE) \(gigs)")
        if strategy == .deltas {
            try await connection.run("VACUUM \(counter.deltaTable.qualifiedName.sql)")
        }
    }

    /// The baseline: `DISABLE TRIGGER USER` keeps the foreign keys (system triggers) and drops
    /// every user trigger — the counter's and `updated_at`.
    func setTriggers(enabled: Bool, on connection: PostgresConnection) async throws {
        try await connection.run("ALTER TABLE \(responses) \(enabled ? "ENABLE" : "DISABLE") TRIGGER USER")
    }

    /// Throws unless the drift view is empty (the counters are exact, pending deltas included).
    func checkNoDrift(on connection: PostgresConnection) async throws {
        let drifted: Int64 = try await connection.value("SELECT count(*) FROM \(drift)")
        guard drifted == 0 else { throw BenchError("\(drifted) drifted counters in \(drift) after a measured run") }
    }

    /// One run: reset, triggers off for the baseline, `body` timed, triggers back on; the
    /// measured run's counters are checked afterwards.
    func timedRun(baseline: Bool, on connection: PostgresConnection, _ body: () async throws -> Void) async throws -> Double {
        try await reset(on: connection)
        if baseline { try await setTriggers(enabled: false, on: connection) }
        let elapsed = try await seconds(body)
        if baseline {
            try await setTriggers(enabled: true, on: connection)
        } else {
            try await checkNoDrift(on: connection)
        }
        return elapsed
    }
}
