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

/// The statement strategy's paths (issue 17): one parent UPDATE per single-row write, one per
/// changed parent for a bulk statement, a missing parent refused on either path with nothing
/// written — on a child without a foreign key, so the counter's own check is what refuses.
@Suite("Counter cache, statement strategy: one UPDATE per parent, on every path")
struct CounterStatementPathTests {
    static let projects = Table("path_statement", "projects") {
        Column("id", .bigint, nullable: false)
        Column("open_tasks", .integer, nullable: false, default: "0")
        Column("all_tasks", .integer, nullable: false, default: "0")
        Column("done_tasks", .integer, nullable: false, default: "0")
        Column("done_hours", .numeric, nullable: false, default: "0")
        PrimaryKey("id")
    }
    static let tasks = Table("path_statement", "tasks") {
        Column("id", .bigint, nullable: false, identity: .always)
        Column("project_id", .bigint)
        Column("state", .text, nullable: false, default: "'open'")
        Column("hours", .numeric)
        PrimaryKey("id")
    }
    static let counter = CounterCache(
        name: "path_statement_tasks", parent: projects, child: tasks, link: .foreignKey("project_id"),
        counters: [.count("open_tasks", where: .init("state", in: ["open"])), .count("all_tasks")],
        strategy: .statement)
    /// A second group on the same link with no counter of every row: a single row is asked
    /// whether it changes any before its parent is updated (the row strategy asks the same).
    static func doneCounter(_ strategy: CounterCache.Strategy) -> CounterCache {
        CounterCache(
            name: "path_statement_done", parent: projects, child: tasks, link: .foreignKey("project_id"),
            counters: [.count("done_tasks", where: .init("state", in: ["done"])),
                       .sum("hours", into: "done_hours", where: .init("state", in: ["done"]))],
            strategy: strategy)
    }

    /// Rows the parent table had updated in the current transaction.
    static let parentUpdates = """
        SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE schemaname = 'path_statement' AND relname = 'projects'
        """

    @Test("single rows, bulk statements, moves and missing parents")
    func paths() async throws {
        try await withCatalogClient { client, _ in
            var statements = ["CREATE SCHEMA path_statement"]
            statements += Self.projects.createSteps().map(\.sql) + Self.tasks.createSteps().map(\.sql)
            statements += Self.counter.repeatableObjects().flatMap(\.statements)
            for s in statements { try await client.execute(PostgresQuery(unsafeSQL: s)) }
            let p = Self.projects.qualifiedName.sql, k = Self.tasks.qualifiedName.sql
            func run(_ sql: String) async throws { try await client.execute(PostgresQuery(unsafeSQL: sql)) }
            func counts(_ id: Int) async throws -> [Int32] {
                let row = try await client.firstRow(PostgresQuery(unsafeSQL: "SELECT open_tasks, all_tasks FROM \(p) WHERE id = \(id)"))
                let (open, all) = try row.decode((Int32, Int32).self)
                return [open, all]
            }
            /// `sql` in a transaction; returns how many parent rows it updated (the backend's
            /// counter before and after: it may still hold counts of earlier transactions).
            func updates(_ sql: String) async throws -> Int64 {
                try await client.transaction { conn in
                    let before = try await conn.query(PostgresQuery(unsafeSQL: Self.parentUpdates), logger: quietLogger)
                        .collect().first!.decode(Int64.self)
                    _ = try await conn.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect()
                    let after = try await conn.query(PostgresQuery(unsafeSQL: Self.parentUpdates), logger: quietLogger)
                        .collect().first!.decode(Int64.self)
                    return after - before
                }
            }
            try await run("INSERT INTO \(p) (id) SELECT g FROM generate_series(1, 3) g")

            // One row: one UPDATE of its parent.
            #expect(try await updates("INSERT INTO \(k) (project_id) VALUES (1)") == 1)
            #expect(try await counts(1) == [1, 1])
            // A bulk statement: one UPDATE per changed parent, not per row.
            #expect(try await updates("INSERT INTO \(k) (project_id, state) SELECT 1 + g % 3, 'open' FROM generate_series(1, 12) g") == 3)
            #expect(try await counts(1) == [5, 5])
            #expect(try await counts(2) == [4, 4])
            #expect(try await counts(3) == [4, 4])
            // A row that changes no counter's value (no parent) updates nothing.
            #expect(try await updates("INSERT INTO \(k) (project_id) VALUES (NULL)") == 0)
            // A single-row move: both parents, once each; a filter change: one.
            let moved = try await client.scalar(PostgresQuery(unsafeSQL: "SELECT min(id) FROM \(k) WHERE project_id = 1"), as: Int64.self)
            #expect(try await updates("UPDATE \(k) SET project_id = 2 WHERE id = \(moved)") == 2)
            #expect(try await counts(1) == [4, 4])
            #expect(try await counts(2) == [5, 5])
            #expect(try await updates("UPDATE \(k) SET state = 'done' WHERE id = \(moved)") == 1)
            #expect(try await counts(2) == [4, 5])
            // Single-row and bulk deletes.
            #expect(try await updates("DELETE FROM \(k) WHERE id = \(moved)") == 1)
            #expect(try await updates("DELETE FROM \(k) WHERE project_id = 3") == 1)
            #expect(try await counts(2) == [4, 4])
            #expect(try await counts(3) == [0, 0])

            // A missing parent is refused with IV404 on the one-row path and on the grouped one;
            // the statement's rows are not written.
            let before = try await client.scalar(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(k)"), as: Int64.self)
            for sql in [
                "INSERT INTO \(k) (project_id) VALUES (99)",
                "INSERT INTO \(k) (project_id) VALUES (1), (99), (2)",
                "UPDATE \(k) SET project_id = 98 WHERE id = (SELECT max(id) FROM \(k) WHERE project_id = 1)",
            ] {
                let error = await #expect(throws: InvariantsError.self) { try await run(sql) }
                #expect(error?.kind == .notFound, "\(sql)")
            }
            #expect(try await client.scalar(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(k)"), as: Int64.self) == before)
            #expect(try await client.scalar(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(Self.counter.driftViewName.sql)"), as: Int64.self) == 0)
        }
    }

    @Test("a group with no counter of every row: a single row that changes none updates no parent",
          arguments: [CounterCache.Strategy.statement, .row])
    func filteredOnly(strategy: CounterCache.Strategy) async throws {
        let doneCounter = Self.doneCounter(strategy)
        try await withCatalogClient { client, _ in
            var statements = ["CREATE SCHEMA path_statement"]
            statements += Self.projects.createSteps().map(\.sql) + Self.tasks.createSteps().map(\.sql)
            statements += doneCounter.repeatableObjects().flatMap(\.statements)
            for s in statements { try await client.execute(PostgresQuery(unsafeSQL: s)) }
            let p = Self.projects.qualifiedName.sql, k = Self.tasks.qualifiedName.sql
            func updates(_ sql: String) async throws -> Int64 {
                try await client.transaction { conn in
                    let before = try await conn.query(PostgresQuery(unsafeSQL: Self.parentUpdates), logger: quietLogger)
                        .collect().first!.decode(Int64.self)
                    _ = try await conn.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect()
                    let after = try await conn.query(PostgresQuery(unsafeSQL: Self.parentUpdates), logger: quietLogger)
                        .collect().first!.decode(Int64.self)
                    return after - before
                }
            }
            func done(_ id: Int) async throws -> String {
                try await client.scalar(PostgresQuery(unsafeSQL: "SELECT done_tasks || '/' || done_hours FROM \(p) WHERE id = \(id)"), as: String.self)
            }
            try await client.execute(PostgresQuery(unsafeSQL: "INSERT INTO \(p) (id) VALUES (1), (2)"))

            #expect(try await updates("INSERT INTO \(k) (project_id, hours) VALUES (1, 4)") == 0)  // open: no counter
            #expect(try await updates("INSERT INTO \(k) (project_id, state, hours) VALUES (1, 'done', 2.5)") == 1)
            #expect(try await updates("INSERT INTO \(k) (project_id, state) VALUES (1, 'done')") == 1)  // no hours
            #expect(try await done(1) == "2/2.5")
            // Statements that write no row update nothing.
            #expect(try await updates("INSERT INTO \(k) (project_id) SELECT 1 WHERE false") == 0)
            #expect(try await updates("DELETE FROM \(k) WHERE false") == 0)
            // Deletes: an open row changes nothing, a done one its parent.
            #expect(try await updates("DELETE FROM \(k) WHERE state = 'open'") == 0)
            #expect(try await updates("DELETE FROM \(k) WHERE hours = 2.5") == 1)
            #expect(try await done(1) == "1/0.0")
            // A missing parent is refused only when the row changes a counter.
            #expect(try await updates("INSERT INTO \(k) (project_id) VALUES (99)") == 0)
            let error = await #expect(throws: InvariantsError.self) {
                try await client.execute(PostgresQuery(unsafeSQL: "INSERT INTO \(k) (project_id, state) VALUES (98, 'done')"))
            }
            #expect(error?.kind == .notFound)
            #expect(try await client.scalar(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(doneCounter.driftViewName.sql)"), as: Int64.self) == 0)
        }
    }

    @Test("seed 001: one trigger per event on chat_messages, one session UPDATE per message, first response in it")
    func chatMessages() async throws {
        try await withCatalogClient { client, _ in
            let triggers = try await client.query("""
                SELECT t.tgname FROM pg_trigger AS t
                WHERE t.tgrelid = 'public.chat_messages'::regclass AND NOT t.tgisinternal AND (t.tgtype & 4) <> 0
                """).map { try $0.decode(String.self) }
            #expect(triggers == ["invariants_count_chat_session_messages_insert"], "INSERT triggers: \(triggers)")
            try await client.execute("""
                INSERT INTO public.chat_sessions (session_id, created_at) VALUES ('sess_path', now() - interval '2 seconds')
                """)
            let updated = try await client.transaction { conn in
                let sessionUpdates: PostgresQuery = """
                    SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE schemaname = 'public' AND relname = 'chat_sessions'
                    """
                let before = try await conn.query(sessionUpdates, logger: quietLogger).collect().first!.decode(Int64.self)
                _ = try await conn.query("""
                    INSERT INTO public.chat_messages (session_id, role, content) VALUES ('sess_path', 'assistant', 'hi')
                    """, logger: quietLogger).collect()
                return try await conn.query(sessionUpdates, logger: quietLogger).collect().first!.decode(Int64.self) - before
            }
            #expect(updated == 1, "one UPDATE of the session sets the counters and the first response")
            let row = try await client.firstRow("""
                SELECT total_messages, ai_messages, first_response_time_ms FROM public.chat_sessions WHERE session_id = 'sess_path'
                """)
            let (total, ai, first) = try row.decode((Int32, Int32, Int32?).self)
            #expect(total == 1 && ai == 1)
            #expect((first ?? 0) >= 1_900 && (first ?? 0) < 60_000, "about 2 s: \(String(describing: first))")
        }
    }
}
