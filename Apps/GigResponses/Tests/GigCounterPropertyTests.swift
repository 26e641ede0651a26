import Foundation
import Invariants
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SeedAppsTesting
import SupportChat


/// Random writes against one gigs/responses pair from several connections at once.
struct CounterWorkload {
    var gigsTable: String
    var responsesTable: String
    var workspace: UUID
    var gigs: [UUID]

    static let statuses = GigResponsesModule.statuses

    /// One random statement (or a rolled-back transaction): the kinds of write the issue lists.
    func randomOperation(_ rng: inout SplitMix64) -> [String] {
        let gig = gigs.randomElement(using: &rng)!
        let other = gigs.randomElement(using: &rng)!
        let status = Self.statuses.randomElement(using: &rng)!
        let m = Int.random(in: 1...12, using: &rng)
        let r = responsesTable
        let ws = workspace.uuidString.lowercased()
        let pick = "SELECT id FROM \(r) WHERE entity_id = '\(gig)' ORDER BY id LIMIT \(m)"
        switch Int.random(in: 0..<9, using: &rng) {
        case 0, 1:
            return ["INSERT INTO \(r) (workspace_id, entity_type, entity_id, status) VALUES ('\(ws)', 'gig', '\(gig)', '\(status)')"]
        case 2:
            let ids = gigs.shuffled(using: &rng).prefix(3).map { "'\($0)'::uuid" }.joined(separator: ", ")
            return ["""
                INSERT INTO \(r) (workspace_id, entity_type, entity_id, status)
                SELECT '\(ws)', 'gig', (ARRAY[\(ids)])[1 + i % 3], (ARRAY['NEW', 'VIEWED', 'REJECTED'])[1 + i % 3]
                FROM generate_series(1, \(m * 3)) AS i
                """]
        case 3:
            return ["DELETE FROM \(r) WHERE id IN (\(pick))"]
        case 4:
            return ["UPDATE \(r) SET status = '\(status)' WHERE id IN (\(pick))"]
        case 5:
            return ["UPDATE \(r) SET entity_id = '\(other)' WHERE id IN (\(pick))"]
        case 6:
            // A statement spanning many parents: flip NEW/VIEWED on a slice of all responses.
            return ["""
                UPDATE \(r) SET status = CASE WHEN status = 'NEW' THEN 'VIEWED' ELSE 'NEW' END
                WHERE id IN (SELECT id FROM \(r) ORDER BY id LIMIT \(m * 2) OFFSET \(Int.random(in: 0...20, using: &rng)))
                """]
        case 7:
            // Work that is rolled back leaves the counters as they were.
            return ["BEGIN",
                    "INSERT INTO \(r) (workspace_id, entity_type, entity_id, status) VALUES ('\(ws)', 'gig', '\(gig)', 'NEW')",
                    "UPDATE \(r) SET entity_id = '\(other)' WHERE id IN (\(pick))",
                    "DELETE FROM \(r) WHERE id IN (SELECT id FROM \(r) WHERE entity_id = '\(other)' ORDER BY id LIMIT 1)",
                    "ROLLBACK"]
        default:
            // Several statements on one gig in one transaction.
            return ["BEGIN",
                    "INSERT INTO \(r) (workspace_id, entity_type, entity_id, status) SELECT '\(ws)', 'gig', '\(gig)', 'NEW' FROM generate_series(1, \(m))",
                    "UPDATE \(r) SET status = 'VIEWED' WHERE id IN (\(pick))",
                    "COMMIT"]
        }
    }

    /// Runs `operations` random operations on each of `workers` connections. Returns how many
    /// statements PostgreSQL aborted as deadlocks (each was rolled back and counted).
    func run(seed: UInt64, workers: Int, operations: Int, database: TestDatabase) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var rng = SplitMix64(seed: seed &* 1_000_003 &+ UInt64(worker))
                    let connection = try await database.connect(logger: quietLogger)
                    var deadlocks = 0
                    do {
                        // Expected deadlocks (see below) are found after deadlock_timeout: keep it short.
                        _ = try await connection.query("SET deadlock_timeout = '20ms'", logger: quietLogger).collect()
                        for _ in 0..<operations {
                            let statements = randomOperation(&rng)
                            do {
                                for statement in statements {
                                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: quietLogger).collect()
                                }
                            } catch {
                                let failure = InvariantsError(error)
                                guard failure.kind == .deadlock else { throw failure }
                                deadlocks += 1
                                if statements.first == "BEGIN" {
                                    _ = try await connection.query("ROLLBACK", logger: quietLogger).collect()
                                }
                            }
                        }
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    try await connection.close()
                    return deadlocks
                }
            }
            return try await group.reduce(0, +)
        }
    }
}

@Suite("Counter cache: random concurrent writes, every strategy")
struct GigCounterPropertyTests {
    /// Seeds × 4 connections × 25 random operations; afterwards the seed's monitoring query
    /// returns nothing, and a TRUNCATE between seeds zeroes every counter.
    @Test("the seed's monitoring query stays empty", arguments: ["seed", "row", "statement", "deltas"])
    func randomWorkload(target: String) async throws {
        try await withGigs(gigCount: 6) { f in
            var gigsTable = "public.gigs"
            var responsesTable = "public.responses"
            var monitoring = seedMonitoringQuery
            var gigs = f.gigs
            var strategyTables: StrategyTables?
            if target != "seed" {
                let tables = StrategyTables(CounterCache.Strategy(rawValue: target)!)
                try await tables.install(on: f.client)
                gigsTable = tables.gigs.qualifiedName.sql
                responsesTable = tables.responses.qualifiedName.sql
                monitoring = tables.monitoringQuery
                gigs = try await f.client.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(gigsTable) (workspace_id, title) SELECT '\(f.workspace)', 'g' || i FROM generate_series(1, 6) AS i RETURNING id
                    """)).map { try $0.decode(UUID.self) }
                strategyTables = tables
            }
            let workload = CounterWorkload(gigsTable: gigsTable, responsesTable: responsesTable, workspace: f.workspace, gigs: gigs)
            var totalDeadlocks = 0
            for seed: UInt64 in [1, 2, 3, 4] {
                totalDeadlocks += try await workload.run(seed: seed, workers: 4, operations: 25, database: f.database)
                let drift = try await f.sql(monitoring)
                #expect(drift.isEmpty, "\(target), seed \(seed): \(drift.count) drifted gig(s)")
                let total = try await f.count("SELECT count(*) FROM \(responsesTable)")
                #expect(total > 0, "the workload wrote something")
                if let tables = strategyTables, tables.counter.strategy == .deltas {
                    // Folding moves the pending deltas into the columns: then the columns alone are exact.
                    _ = try await f.sql("SELECT \(tables.counter.foldFunctionName.sql)()")
                    #expect(try await f.count("SELECT count(*) FROM \(tables.counter.deltaTable.qualifiedName.sql)") == 0)
                    #expect(try await f.sql(tables.seedQueryOverColumns).isEmpty)
                }
                #expect(try await f.count("SELECT sum(responses)::bigint FROM \(gigsTable)") + (try await pending(strategyTables, f)) == total)
                // TRUNCATE: no row trigger fires, the statement companion zeroes the counters.
                try await f.sql("TRUNCATE \(responsesTable)")
                #expect(try await f.count("SELECT count(*) FROM \(gigsTable) WHERE responses <> 0 OR new_responses <> 0") == 0)
                #expect(try await f.sql(monitoring).isEmpty)
            }
            // Multi-statement transactions hold a parent's lock until they commit, so two of them
            // can deadlock on each other's rows whatever the strategy (PostgreSQL aborts one; the
            // counters stay exact, as checked above). Single statements cannot: see below.
            _ = totalDeadlocks
        }
    }

    /// 8 connections, each with its own responses (so child rows never conflict), run bulk
    /// statements that touch every gig in a different order: moves, inserts, deletes. Parents
    /// are locked in key order (statement) or not at all (deltas): no deadlock.
    @Test("bulk statements over many parents in opposite orders never deadlock", arguments: ["statement", "deltas"])
    func noDeadlocks(target: String) async throws {
        try await withGigs { f in
            let tables = StrategyTables(CounterCache.Strategy(rawValue: target)!)
            try await tables.install(on: f.client)
            let gigsTable = tables.gigs.qualifiedName.sql
            let r = tables.responses.qualifiedName.sql
            let gigs = try await f.client.query(PostgresQuery(unsafeSQL: """
                INSERT INTO \(gigsTable) (workspace_id, title) SELECT '\(f.workspace)', 'g' || i FROM generate_series(1, 8) AS i RETURNING id
                """)).map { try $0.decode(UUID.self) }
            let ws = f.workspace.uuidString.lowercased()
            let deadlocks = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        // Worker-specific order of the gigs: forward for even workers, backward for odd.
                        let order = worker % 2 == 0 ? gigs : gigs.reversed()
                        let array = "ARRAY[" + order.map { "'\($0)'::uuid" }.joined(separator: ", ") + "]"
                        let connection = try await f.database.connect(logger: quietLogger)
                        var deadlocks = 0
                        for round in 0..<15 {
                            let statements = [
                                "INSERT INTO \(r) (workspace_id, entity_type, entity_id, status, candidate_name) SELECT '\(ws)', 'gig', g, 'NEW', 'w\(worker)' FROM unnest(\(array)) AS g",
                                "UPDATE \(r) SET entity_id = (\(array))[1 + (\(round) + array_position(\(array), entity_id)) % 8] WHERE candidate_name = 'w\(worker)'",
                                "UPDATE \(r) SET status = CASE WHEN status = 'NEW' THEN 'VIEWED' ELSE 'NEW' END WHERE candidate_name = 'w\(worker)'",
                                "DELETE FROM \(r) WHERE candidate_name = 'w\(worker)' AND entity_id = (\(array))[1 + \(round) % 8]",
                            ]
                            for statement in statements {
                                do {
                                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: quietLogger).collect()
                                } catch {
                                    guard InvariantsError(error).kind == .deadlock else { try? await connection.close(); throw error }
                                    deadlocks += 1
                                }
                            }
                        }
                        try await connection.close()
                        return deadlocks
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(deadlocks == 0, "\(target): \(deadlocks) deadlock(s)")
            #expect(try await f.sql(tables.monitoringQuery).isEmpty)
        }
    }

    func pending(_ tables: StrategyTables?, _ f: GigFixture) async throws -> Int64 {
        guard let tables, tables.counter.strategy == .deltas else { return 0 }
        return try await f.count("SELECT COALESCE(sum(d0), 0)::bigint FROM \(tables.counter.deltaTable.qualifiedName.sql)")
    }
}
