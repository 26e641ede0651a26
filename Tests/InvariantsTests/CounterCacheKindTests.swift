import Foundation
import Invariants
import InvariantsSchema
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedAppsTesting
import SupportChat

/// The counter kind beyond seed 004's shape: a foreign-key link, a filtered count and a sum,
/// under each strategy, on a real server.
@Suite("Counter cache kind: foreign-key link, sums, every strategy")
struct CounterCacheKindTests {
    struct Tables {
        var projects: Table
        var tasks: Table
        var counter: CounterCache

        init(_ strategy: CounterCache.Strategy) {
            let schema = "kind_" + strategy.rawValue
            projects = Table(schema, "projects") {
                Column("id", .bigint, nullable: false)
                Column("open_tasks", .integer, nullable: false, default: "0")
                Column("all_tasks", .integer, nullable: false, default: "0")
                Column("estimate", .numeric, nullable: false, default: "0")
                PrimaryKey("id")
                Check("open_tasks >= 0 AND all_tasks >= 0 AND estimate >= 0")
            }
            tasks = Table(schema, "tasks") {
                Column("id", .bigint, nullable: false, identity: .always)
                Column("project_id", .bigint)
                Column("state", .text, nullable: false, default: "'open'")
                Column("hours", .numeric(precision: 8, scale: 2))
                PrimaryKey("id")
                ForeignKey(["project_id"], references: QualifiedName(schema, "projects"), ["id"], onDelete: .cascade)
                Index("project_id")
            }
            counter = CounterCache(
                name: schema + "_tasks", parent: projects, child: tasks, link: .foreignKey("project_id"),
                counters: [
                    .count("open_tasks", where: .init("state", in: ["open", "reopened"])),
                    .count("all_tasks"),
                    .sum("hours", into: "estimate", where: .init("state", in: ["open", "reopened"])),
                ],
                strategy: strategy)
        }
    }

    @Test("insert, filter change, sum change, move, unlink, delete, truncate, repair", arguments: ["row", "statement", "deltas"])
    func lifecycle(strategy: String) async throws {
        try await withCatalogClient { client, _ in
            let t = Tables(CounterCache.Strategy(rawValue: strategy)!)
            var statements = ["CREATE SCHEMA \(t.projects.schema)"]
            statements += t.projects.createSteps().map(\.sql) + t.tasks.createSteps().map(\.sql) + t.counter.migrationSteps().map(\.sql)
            statements += t.counter.repeatableObjects().flatMap(\.statements)
            for s in statements { try await client.execute(PostgresQuery(unsafeSQL: s)) }
            let p = t.projects.qualifiedName.sql, k = t.tasks.qualifiedName.sql
            func run(_ sql: String) async throws { try await client.execute(PostgresQuery(unsafeSQL: sql)) }
            // Exact values: the columns, plus pending deltas for the delta strategy.
            func values(_ id: Int) async throws -> [String] {
                let row = try await client.firstRow(PostgresQuery(unsafeSQL: t.counter.exactValuesSQL(key: "\(id)")))
                let (open, all, estimate) = try row.decode((Int64, Int64, Decimal).self)
                return ["\(open)", "\(all)", "\(estimate)"]
            }
            try await run("INSERT INTO \(p) (id) VALUES (1), (2)")
            try await run("INSERT INTO \(k) (project_id, state, hours) VALUES (1, 'open', 2.5), (1, 'open', NULL), (1, 'done', 4), (2, 'open', 1)")
            #expect(try await values(1) == ["2", "3", "2.5"])
            try await run("UPDATE \(k) SET state = 'reopened', hours = 3 WHERE state = 'done'")
            #expect(try await values(1) == ["3", "3", "5.5"])
            try await run("UPDATE \(k) SET hours = hours + 1 WHERE project_id = 1 AND hours IS NOT NULL")
            #expect(try await values(1) == ["3", "3", "7.5"])
            try await run("UPDATE \(k) SET project_id = 2 WHERE hours = 3.5")  // the 2.5 task, now 3.5
            #expect(try await values(1) == ["2", "2", "4"])
            #expect(try await values(2) == ["2", "2", "4.5"])
            try await run("UPDATE \(k) SET project_id = NULL WHERE project_id = 2 AND hours = 1")  // unlinked
            #expect(try await values(2) == ["1", "1", "3.5"])
            let missing = await #expect(throws: InvariantsError.self) { try await run("INSERT INTO \(k) (project_id) VALUES (99)") }
            #expect(missing?.kind == .foreignKeyViolation)
            try await run("DELETE FROM \(k) WHERE project_id = 1 AND hours IS NULL")
            #expect(try await values(1) == ["1", "1", "4"])
            try await run("DELETE FROM \(p) WHERE id = 2")  // cascade: the parent goes first, nothing to keep
            #expect(try await client.scalar(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(t.counter.driftViewName.sql)"), as: Int64.self) == 0)
            try await run("TRUNCATE \(k)")
            #expect(try await values(1) == ["0", "0", "0"])
            // Bypassed load, then repair: audited, and the drift view is empty again.
            try await client.withConnection { conn in
                _ = try await conn.query("SET session_replication_role = replica", logger: quietLogger).collect()
                _ = try await conn.query(PostgresQuery(unsafeSQL: "INSERT INTO \(k) (project_id, state, hours) VALUES (1, 'open', 2), (1, 'done', 1)"), logger: quietLogger).collect()
                _ = try await conn.query("SET session_replication_role = origin", logger: quietLogger).collect()
            }
            #expect(try await client.scalar(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(t.counter.driftViewName.sql)"), as: Int64.self) == 3)
            let repair = try await client.firstRow(PostgresQuery(unsafeSQL: "SELECT checked, fixed FROM \(t.counter.repairFunctionName.sql)(NULL, NULL, false, NULL, NULL)"))
            let (checked, fixed) = try repair.decode((Int64, Int64).self)
            #expect(checked == 1 && fixed == 1)
            #expect(try await values(1) == ["1", "2", "2"])
            #expect(try await client.scalar(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(t.counter.driftViewName.sql)"), as: Int64.self) == 0)
            #expect(try await client.scalar("SELECT count(*) FROM invariants.counter_repairs WHERE counter = \(t.counter.name)", as: Int64.self) == 3)
            if t.counter.strategy == .deltas {
                #expect(try await client.scalar(PostgresQuery(unsafeSQL: "SELECT \(t.counter.foldFunctionName.sql)()"), as: Int64.self) >= 0)
                let stored = try await client.firstRow(PostgresQuery(unsafeSQL: "SELECT open_tasks, all_tasks FROM \(p) WHERE id = 1"))
                let (open, all) = try stored.decode((Int32, Int32).self)
                #expect(open == 1 && all == 2, "folded into the columns")
            }
            // Repair refuses REPEATABLE READ: its snapshot would miss concurrent writers.
            let isolation = await #expect(throws: InvariantsError.self) {
                try await client.transaction { conn in
                    _ = try await conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: quietLogger).collect()
                    _ = try await conn.query(PostgresQuery(unsafeSQL: "SELECT * FROM \(t.counter.repairFunctionName.sql)(NULL, NULL, false, NULL, NULL)"), logger: quietLogger).collect()
                }
            }
            #expect(isolation?.kind == .invalidInput)
        }
    }
}
