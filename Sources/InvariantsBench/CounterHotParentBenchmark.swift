// Counter cache on a hot parent with durable commits: a server with fsync on, 8 clients (pgbench)
// inserting single rows into one gig. The `.deltas` strategy (writers append delta rows and never
// lock the parent) against the same tables with `DISABLE TRIGGER USER` — goal ≥ 0.70×; the
// `.row` strategy (every writer updates the one parent row and holds its lock until its commit
// is flushed) is reported for comparison. The deltas are folded by invariants.fold_<name>(),
// which the application schedules (pg_cron, or `invariants sync-counts`); here it runs after each
// measured round, timed, and the drift view (stored value + pending deltas) must be empty.
import Foundation
import InvariantsSchema
import PostgresNIO
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

enum CounterHotParentBenchmark {
    static let benchmark = Benchmark(
        name: "counter-hot-parent",
        summary: "counter cache, 8 clients inserting into one gig with durable commits (fsync on): .deltas vs no triggers",
        options: ["hot-inserts-per-client": "inserts per client and round (300; quick 60)"],
        run: run)

    static func run(_ context: BenchContext) async throws -> [ResultRow] {
        let settings = context.settings
        let rounds = settings.rounds(standard: 5)
        let perClient = settings.int("hot-inserts-per-client", default: 300, quick: 60)

        let database = try await context.servers.migratedDatabase(fsync: true)
        let rows: [ResultRow] = try await database.withConnection(logger: quiet) { connection in
            let fsync: String = try await connection.value("SHOW fsync")
            guard fsync == "on" else { throw BenchError("the durable-commit server has fsync \(fsync)") }
            var rows: [ResultRow] = []
            for strategy in [CounterCache.Strategy.deltas, .row] {
                let tables = try await CounterTables.install(strategy, on: connection)
                try await tables.loadGigs(100, on: connection)
                let script = """
                    INSERT INTO \(tables.responses) (workspace_id, entity_id) VALUES ('\(CounterTables.workspace)', \(CounterTables.gigID("1")));
                    """
                let pgbench = PgBench(database: database)
                var folds: [Double] = []
                var folded: Int64 = 0
                func clients(baseline: Bool) async throws -> Double {
                    var tps = 0.0
                    try await tables.reset(on: connection)
                    if baseline { try await tables.setMode(.none, on: connection) }
                    tps = try pgbench.run(script: script, clients: 8, transactions: perClient)
                    if baseline {
                        try await tables.setMode(.generated, on: connection)
                    } else {
                        try await tables.checkNoDrift(on: connection)
                        if strategy == .deltas {
                            folds.append(try await seconds {
                                folded = try await connection.value("SELECT \(tables.counter.foldFunctionName.sql)()")
                            })
                            let (stored, expected): (Int64, Int64) = try await connection.run(
                                "SELECT responses, (SELECT count(*) FROM \(tables.responses)) FROM \(tables.gigs) WHERE id = \(CounterTables.gigID("1"))"
                            ).first!.decode((Int64, Int64).self)
                            guard Int64(stored) == expected else { throw BenchError("after the fold the gig says \(stored), not \(expected)") }
                            try await tables.checkNoDrift(on: connection)
                        }
                    }
                    return tps
                }
                let result = try await interleaved(
                    rounds: rounds, label: "hot parent \(strategy)",
                    measured: { try await clients(baseline: false) }, baseline: { try await clients(baseline: true) })
                rows.append(throughputRow(
                    "counter `.\(strategy.rawValue)`, hot parent",
                    measured: "8 clients inserting into one gig, fsync on",
                    baseline: "triggers disabled", result, noun: "rows/s",
                    goal: strategy == .deltas ? [.ratioAtLeast(0.70)] : []))
                if strategy == .deltas {
                    rows.append(ResultRow(
                        benchmark: "counter `.deltas`, fold",
                        measured: "`\(tables.counter.foldFunctionName.sql)()` of one round's \(folded.formatted()) delta rows into the gig",
                        measuredValue: Spread(Array(folds.suffix(rounds))), unit: .seconds))
                    rows.append(ResultRow(
                        benchmark: "counter `.deltas`, fold per delta",
                        measured: "the same fold's time per delta row (\(folded.formatted()) deltas, one gig)",
                        measuredValue: Spread(Array(folds.suffix(rounds)).map { $0 / Double(max(folded, 1)) }), unit: .seconds))
                }
                try await connection.run("TRUNCATE \(tables.responses)")
            }
            return rows
        }
        try await database.drop()
        return rows
    }
}
