// Counter repair: 1,000,000 responses over 10,000 gigs loaded with triggers off (as a restore
// does: session_replication_role = replica), every counter wrong (zero). Measured: one call of
// the set-based repair, invariants.repair_gig_responses(NULL, NULL, false, NULL, NULL) — goal
// ≤ 1 s; baseline: a client loop calling the same repair for one gig at a time (what the seed's
// resync script did), measured in the same run — goal ≥ 10× faster. Counters are zeroed again
// before each run; both runs must leave the drift view empty. Also reported against its floor
// (issue 17): one hand-written statement — one GROUP BY over the responses and one UPDATE of each
// changed gig — in the same interleaved rounds.
import Foundation
import PostgresNIO
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SupportChat

enum CounterRepairBenchmark {
    static let benchmark = Benchmark(
        name: "counter-repair",
        summary: "full set-based counter repair vs a per-gig repair loop, 1,000,000 responses over 10,000 gigs",
        options: [
            "repair-gigs": "gigs (10000; quick 1000)",
            "repair-responses": "responses (1000000; quick 100000)",
            "repair-loop-sample": "gigs the per-gig loop repairs each round, scaled up to all gigs (500; quick 100)",
        ],
        run: run)

    static func run(_ context: BenchContext) async throws -> [ResultRow] {
        let settings = context.settings
        let rounds = settings.rounds(standard: 5)
        let gigs = settings.int("repair-gigs", default: 10_000, quick: 1000)
        let responses = settings.int("repair-responses", default: 1_000_000, quick: 100_000)
        let sample = min(gigs, settings.int("repair-loop-sample", default: 500, quick: 100))

        let database = try await context.servers.migratedDatabase()
        let rows: [ResultRow] = try await database.withConnection(logger: quiet) { connection in
            let tables = try await CounterTables.install(GigResponsesModule.counters.strategy, on: connection)
            try await tables.loadGigs(gigs, on: connection)
            let load = try await seconds {
                try await connection.run("SET session_replication_role = replica")
                try await connection.run("""
                    INSERT INTO \(tables.responses) (workspace_id, entity_id, gig_id, status)
                    SELECT '\(CounterTables.workspace)', \(CounterTables.gigID("1 + g % \(gigs)")), \(CounterTables.gigID("1 + g % \(gigs)")),
                           CASE WHEN g % 3 = 0 THEN 'NEW' ELSE 'VIEWED' END
                    FROM generate_series(1, \(responses)) g
                    """)
                try await connection.run("RESET session_replication_role")
                try await connection.run("VACUUM (ANALYZE) \(tables.responses)")
            }
            context.log("counter-repair: loaded \(responses) responses over \(gigs) gigs with triggers off in \(String(format: "%.1f", load)) s")
            let ids = try await connection.run("SELECT id FROM \(tables.gigs) ORDER BY id").map { try $0.decode(UUID.self) }
            let repair = tables.counter.repairFunctionName.sql

            func zeroCounters() async throws {
                try await connection.run("UPDATE \(tables.gigs) SET responses = 0, new_responses = 0")
                try await connection.run("TRUNCATE invariants.counter_repairs")
                try await connection.run("VACUUM (ANALYZE) \(tables.gigs)")
                let drifted: Int64 = try await connection.value("SELECT count(DISTINCT parent_key) FROM \(tables.drift)")
                guard drifted == Int64(gigs) else { throw BenchError("expected \(gigs) drifted gigs before a repair, found \(drifted)") }
            }
            func full() async throws -> Double {
                try await zeroCounters()
                var fixed: Int64 = 0
                let t = try await seconds {
                    fixed = try await connection.run("SELECT fixed FROM \(repair)(NULL, NULL, false, NULL, NULL)").first!.decode(Int64.self)
                }
                guard fixed == Int64(gigs) else { throw BenchError("the full repair fixed \(fixed) of \(gigs) gigs") }
                try await tables.checkNoDrift(on: connection)
                return t
            }
            // A loop over all gigs takes minutes (a few ms per call): each round times the loop over
            // `sample` gigs spread over the key range (a different slice each round) and scales the
            // time to all gigs — the calls are independent, so the time is linear in the gigs.
            var round = 0
            func loop() async throws -> Double {
                try await zeroCounters()
                let step = max(1, gigs / sample)
                let slice = Array(ids[(round % step)...].enumerated().filter { $0.offset % step == 0 }.map(\.element).prefix(sample))
                round += 1
                var fixed: Int64 = 0
                let t = try await seconds {
                    for id in slice {
                        let rows = try await connection.query(
                            "SELECT fixed FROM \(unescaped: repair)(\(id), NULL, false, NULL, NULL)", logger: quiet
                        ).collect()
                        fixed += try rows.first!.decode(Int64.self)
                    }
                }
                guard fixed == Int64(slice.count) else { throw BenchError("the loop fixed \(fixed) of \(slice.count) gigs") }
                return t * Double(gigs) / Double(slice.count)
            }
            func floor() async throws -> Double {
                try await zeroCounters()
                let t = try await seconds {
                    try await connection.run("""
                        UPDATE \(tables.gigs) AS g SET responses = d.responses, new_responses = d.fresh
                        FROM (SELECT r.workspace_id, r.entity_id, count(*) AS responses,
                                     count(*) FILTER (WHERE r.status = 'NEW') AS fresh
                              FROM \(tables.responses) AS r WHERE r.entity_type = 'gig' GROUP BY 1, 2) AS d
                        WHERE g.workspace_id = d.workspace_id AND g.id = d.entity_id
                          AND (g.responses, g.new_responses) IS DISTINCT FROM (d.responses, d.fresh)
                        """)
                }
                try await tables.checkNoDrift(on: connection)
                return t
            }
            let result = try await interleaved(rounds: rounds, label: "repair", measured: full, floor: floor, baseline: loop)
            let name = "counter repair, \(responses.formatted()) responses"
            let measured = "`\(repair)(NULL, …)`: all \(gigs.formatted()) gigs in one call"
            return [
                speedupRow(
                    name, measured: measured,
                    baseline: "a client loop, one repair call per gig (timed over \(sample.formatted()) gigs a round, "
                        + "scaled to \(gigs.formatted()))",
                    result.baseline, goal: [.ratioAtLeast(10), .secondsAtMost(1)]),
                costRow(
                    name + " vs floor", measured: measured,
                    baseline: "floor: one hand-written GROUP BY and one UPDATE per changed gig", result.floor),
            ]
        }
        try await database.drop()
        return rows
    }
}
