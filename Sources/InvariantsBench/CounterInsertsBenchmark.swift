// Counter cache (seed 004 gigs ← responses) under inserts, each strategy against two baselines on
// the same tables, all three interleaved, fsync off: `DISABLE TRIGGER USER` (keys, checks and
// indexes kept; "no trigger", reported) and the hand-written safe floor (`CounterTables.installFloor`:
// updated_at kept, SECURITY DEFINER with search_path '' like ours; issue 17):
//   a. single-row inserts from 8 clients (pgbench, prepared) over 10,000 gigs — row floor, goal ≥ 0.90×
//      (`.deltas`: ≥ 1.0×, a delta row must cost less than the parent UPDATE)
//   b. one 10,000-row INSERT … SELECT over 100 gigs                           — statement floor, goal ≥ 0.90×
//      for `.statement` (reported for the single-row strategies)
//   c. one 10,000-row INSERT … SELECT over 10,000 gigs, one child each        — statement floor, reported
import Foundation
import InvariantsSchema
import PostgresNIO
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

enum CounterInsertsBenchmark {
    static let benchmark = Benchmark(
        name: "counter-inserts",
        summary: "counter cache strategies under single-row inserts from 8 clients and under bulk INSERT … SELECT",
        options: [
            "strategies": "comma-separated CounterCache strategies (row,statement,deltas)",
            "inserts-per-client": "single-row inserts per client and round (1500; quick 200)",
            "bulk-rows": "rows of the bulk INSERT … SELECT (10000; quick 2000)",
        ],
        run: run)

    static let gigCount = 10_000
    /// The hand-written safe floors (`CounterTables.installFloor`), as the table names them.
    static let rowFloor = "floor: hand-written row trigger, one UPDATE of the gig (SECURITY DEFINER, search_path '')"
    static let statementFloor = "floor: hand-written statement trigger, gigs locked in key order, one grouped UPDATE"

    static func run(_ context: BenchContext) async throws -> [ResultRow] {
        let settings = context.settings
        // 9 rounds of 1,500 inserts per client: on this 2-core VM single rounds vary by ±30 %, and
        // the median of 5 short rounds moved by ±0.08 between runs of the same code (issue 17).
        let rounds = settings.rounds(standard: 9)
        let perClient = settings.int("inserts-per-client", default: 1500, quick: 200)
        let bulkRows = settings.int("bulk-rows", default: 10_000, quick: 2000)
        let strategies = try (settings.options["strategies"] ?? "row,statement,deltas").split(separator: ",").map {
            guard let strategy = CounterCache.Strategy(rawValue: String($0)) else { throw BenchError("unknown strategy \($0)") }
            return strategy
        }

        let database = try await context.servers.migratedDatabase()
        let rows: [ResultRow] = try await database.withConnection(logger: quiet) { connection in
            var rows: [ResultRow] = []
            for strategy in strategies {
                let tables = try await CounterTables.install(strategy, on: connection)
                try await tables.loadGigs(gigCount, on: connection)
                let name = "counter `.\(strategy.rawValue)`"

                // a. 8 clients, single-row inserts, random gig.
                let script = """
                    \\set g random(1, \(gigCount))
                    INSERT INTO \(tables.responses) (workspace_id, entity_id) VALUES ('\(CounterTables.workspace)', \(CounterTables.gigID(":g")));
                    """
                let pgbench = PgBench(database: database)
                // With .deltas, each measured round's deltas (spread over the gigs) are folded
                // afterwards, timed: the fold's cost per delta, paid by whoever runs it.
                var foldPerDelta: [Double] = []
                func clients(_ mode: CounterTables.Mode) async throws -> Double {
                    var tps = 0.0
                    _ = try await tables.timedRun(mode, on: connection) {
                        tps = try pgbench.run(script: script, clients: 8, transactions: perClient)
                    }
                    if strategy == .deltas, mode == .generated {
                        var folded: Int64 = 0
                        let time = try await seconds {
                            folded = try await connection.value("SELECT \(tables.counter.foldFunctionName.sql)()")
                        }
                        guard folded == Int64(8 * perClient) else { throw BenchError("the fold folded \(folded) deltas") }
                        try await tables.checkNoDrift(on: connection)
                        foldPerDelta.append(time / Double(folded))
                    }
                    return tps
                }
                let a = try await interleaved(
                    rounds: rounds, label: "\(strategy) 8 clients", measured: { try await clients(.generated) },
                    floor: { try await clients(.floorRow) }, baseline: { try await clients(.none) })
                let aShape = "a. single-row inserts, 8 clients, \(gigCount.formatted()) gigs"
                rows.append(throughputRow(
                    name, measured: aShape, baseline: "triggers disabled", a.baseline, noun: "rows/s", goal: []))
                rows.append(throughputRow(
                    name + " vs floor", measured: aShape, baseline: Self.rowFloor, a.floor, noun: "rows/s",
                    goal: [.ratioAtLeast(strategy == .deltas ? 1.0 : 0.90)]))
                if strategy == .deltas {
                    rows.append(ResultRow(
                        benchmark: "counter `.deltas`, fold per delta",
                        measured: "`\(tables.counter.foldFunctionName.sql)()` after a round of a. (\((8 * perClient).formatted()) deltas "
                            + "over up to \(gigCount.formatted()) gigs), per delta",
                        measuredValue: Spread(Array(foldPerDelta.suffix(rounds))), unit: .seconds))
                }

                // b, c. One INSERT … SELECT.
                // The bulk goal is the statement strategy's (one declaration fast on both shapes);
                // .row and .deltas are single-row strategies, their bulk rows are reported.
                let bulkGoal = strategy == .statement ? [GoalClause.ratioAtLeast(0.90)] : []
                for (shape, gigs, goal) in [("b", 100, bulkGoal), ("c", gigCount, [GoalClause]())] {
                    let sql = """
                        INSERT INTO \(tables.responses) (workspace_id, entity_id)
                        SELECT '\(CounterTables.workspace)', \(CounterTables.gigID("1 + g % \(gigs)")) FROM generate_series(1, \(bulkRows)) g
                        """
                    func bulk(_ mode: CounterTables.Mode) async throws -> Double {
                        let t = try await tables.timedRun(mode, on: connection) { try await connection.run(sql) }
                        return Double(bulkRows) / t
                    }
                    let result = try await interleaved(
                        rounds: rounds, label: "\(strategy) bulk over \(gigs) gigs", measured: { try await bulk(.generated) },
                        floor: { try await bulk(.floorStatement) }, baseline: { try await bulk(.none) })
                    let text = "\(shape). one \(bulkRows.formatted())-row INSERT … SELECT over \(gigs.formatted()) gigs"
                        + (gigs == gigCount ? " (one child each)" : "")
                    rows.append(throughputRow(
                        name, measured: text, baseline: "triggers disabled", result.baseline, noun: "rows/s", goal: []))
                    rows.append(throughputRow(
                        name + " vs floor", measured: text, baseline: Self.statementFloor, result.floor, noun: "rows/s",
                        goal: goal))
                }
                try await connection.run("TRUNCATE \(tables.responses)")
            }
            return rows
        }
        try await database.drop()
        return rows
    }
}
