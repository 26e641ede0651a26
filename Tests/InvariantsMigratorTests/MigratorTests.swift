import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing

@Suite("Migrator against a real PostgreSQL")
struct MigratorTests {
    @Test("fresh apply, then a second apply is a no-op; status after both")
    func freshThenNoop() async throws {
        try await withFreshDatabase { _, connection in
            let migrator = try Migrator(catalog: sampleCatalog(), logger: testLogger)
            let before = try await migrator.status(on: connection)
            #expect(before.pendingMigrations.map(\.version) == [1, 2])
            #expect(before.repeatables.map(\.state) == [.new])
            #expect(!before.isUpToDate)

            let first = try await migrator.migrate(on: connection)
            #expect(first.appliedMigrations == ["sample/0001_accounts.sql", "sample/0002_ledger_entries.sql"])
            #expect(first.appliedRepeatables == ["function public.answer()"])
            #expect(try await connection.exists("public.entries"))
            #expect(try await connection.scalar("SELECT public.answer()", as: Int32.self) == 1)

            let appliedAt = try await connection.scalar("SELECT string_agg(applied_at::text, ',' ORDER BY version) FROM invariants.module_migrations", as: String.self)
            let second = try await migrator.migrate(on: connection)
            #expect(!second.changedAnything)
            #expect(try await connection.scalar("SELECT string_agg(applied_at::text, ',' ORDER BY version) FROM invariants.module_migrations", as: String.self) == appliedAt)

            let after = try await migrator.status(on: connection)
            #expect(after.isUpToDate)
            #expect(after.migrations.map(\.state) == [.applied, .applied])
            #expect(after.migrations.allSatisfy { $0.appliedBy == "postgres" && $0.appliedAt != nil })
        }
    }

    @Test("4 migrators at once apply every migration exactly once")
    func concurrentMigrators() async throws {
        try await withFreshDatabase { database, connection in
            // A slow migration widens the race window.
            let catalog = sampleCatalog(extraMigrations: [
                Migration(version: 3, name: "slow", source: "test", steps: [
                    MigrationStep("SELECT pg_sleep(0.3)"),
                    MigrationStep("INSERT INTO public.accounts (id) VALUES (1)"),
                ]),
            ])
            let reports = try await withThrowingTaskGroup(of: MigrationReport.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let own = try await openConnection(database)
                        defer { Task { try? await own.close() } }
                        return try await Migrator(catalog: catalog, options: .init(lockPollInterval: .milliseconds(20)), logger: testLogger).migrate(on: own)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.flatMap(\.appliedMigrations).sorted() == ["sample/0001_accounts.sql", "sample/0002_ledger_entries.sql", "sample/0003_slow.sql"])
            #expect(reports.flatMap(\.appliedRepeatables) == ["function public.answer()"])
            #expect(try await connection.scalar("SELECT count(*) FROM invariants.module_migrations", as: Int64.self) == 3)
            // The data step ran once: a second run would have hit the primary key.
            #expect(try await connection.scalar("SELECT count(*) FROM public.accounts", as: Int64.self) == 1)
        }
    }

    @Test("a migration that fails halfway leaves no partial objects and no ledger row, and names itself")
    func failingMigration() async throws {
        try await withFreshDatabase { _, connection in
            let catalog = sampleCatalog(extraMigrations: [
                Migration(version: 3, name: "broken", source: "test", steps: [
                    MigrationStep("CREATE TABLE public.half (id int)"),
                    MigrationStep("INSERT INTO public.half VALUES (1)"),
                    MigrationStep("SELECT 1 / 0"),
                ]),
            ])
            let migrator = try Migrator(catalog: catalog, logger: testLogger)
            let error = await #expect(throws: InvariantsError.self) { try await migrator.migrate(on: connection) }
            #expect(error?.kind == .migrationFailed)
            #expect(error?.message.contains("0003_broken.sql") == true)
            #expect(error?.message.contains("step 3 of 3") == true)
            #expect(error?.sqlState == "22012")
            #expect(try await connection.exists("public.half") == false)
            #expect(try await connection.scalar("SELECT max(version) FROM invariants.module_migrations", as: Int32.self) == 2)
            // Earlier migrations stay applied; the repeatable set waits for a clean run.
            #expect(try await connection.exists("public.entries"))
        }
    }

    @Test("an edited applied migration is detected and named")
    func tamperedMigration() async throws {
        try await withFreshDatabase { _, connection in
            try await Migrator(catalog: sampleCatalog(), logger: testLogger).migrate(on: connection)
            let edited = sampleCatalog { $0[1].steps[0].sql += " -- sneaky edit" }
            let migrator = try Migrator(catalog: edited, logger: testLogger)
            let status = try await migrator.status(on: connection)
            #expect(status.migrations[1].state == .checksumMismatch)
            let error = await #expect(throws: InvariantsError.self) { try await migrator.migrate(on: connection) }
            #expect(error?.kind == .checksumMismatch)
            #expect(error?.message.contains("sample/0002_ledger_entries.sql") == true)
            await #expect(throws: InvariantsError.self) { try await migrator.plan(on: connection) }
        }
    }

    @Test("a database with a version this build does not know is refused")
    func newerDatabase() async throws {
        try await withFreshDatabase { _, connection in
            try await Migrator(catalog: sampleCatalog(extraMigrations: [
                Migration(version: 3, name: "from_the_future", source: "test", steps: [MigrationStep("SELECT 1")]),
            ]), logger: testLogger).migrate(on: connection)
            let older = try Migrator(catalog: sampleCatalog(), logger: testLogger)
            #expect(try await older.status(on: connection).migrations.last?.state == .unknown)
            let error = await #expect(throws: InvariantsError.self) { try await older.migrate(on: connection) }
            #expect(error?.kind == .databaseIsNewer)
            #expect(error?.message.contains("0003_from_the_future.sql") == true)
        }
    }

    @Test("a changed repeatable object is re-applied, an unchanged one is not, a removed one is dropped")
    func repeatableSet() async throws {
        try await withFreshDatabase { _, connection in
            let rich = RepeatableObject(
                kind: .view, key: "view public.rich", source: "test",
                statements: ["CREATE OR REPLACE VIEW public.rich WITH (security_invoker = true) AS SELECT id FROM public.accounts WHERE balance > 100"],
                dropStatements: ["DROP VIEW IF EXISTS public.rich"])
            let catalog = sampleCatalog(repeatables: [rich])
            try await Migrator(catalog: catalog, logger: testLogger).migrate(on: connection)
            let viewAppliedAt = try await connection.scalar("SELECT applied_at::text FROM invariants.repeatable_objects WHERE key = 'view public.rich'", as: String.self)

            let changed = sampleCatalog(functionResult: 42, repeatables: [rich])
            let migrator = try Migrator(catalog: changed, logger: testLogger)
            #expect(try await migrator.status(on: connection).repeatables.map(\.state) == [.changed, .current])
            let plan = try await migrator.plan(on: connection)
            #expect(plan.appliedRepeatables == ["function public.answer()"])
            #expect(plan.steps.map(\.kind) == [.repeatableSet], "the ledger exists: one step, the changed object")
            #expect(plan.steps[0].statements.contains { $0.contains("SELECT 42") })
            #expect(try await connection.scalar("SELECT public.answer()", as: Int32.self) == 1, "plan applies nothing")

            let report = try await migrator.migrate(on: connection)
            #expect(report.appliedRepeatables == ["function public.answer()"])
            #expect(try await connection.scalar("SELECT public.answer()", as: Int32.self) == 42)
            #expect(try await connection.scalar("SELECT applied_at::text FROM invariants.repeatable_objects WHERE key = 'view public.rich'", as: String.self) == viewAppliedAt)

            let removed = sampleCatalog(functionResult: 42)
            let dropReport = try await Migrator(catalog: removed, logger: testLogger).migrate(on: connection)
            #expect(dropReport.droppedRepeatables == ["view public.rich"])
            #expect(try await connection.exists("public.rich") == false)
            #expect(try await connection.scalar("SELECT count(*) FROM invariants.repeatable_objects", as: Int64.self) == 1)
        }
    }

    @Test("a failing repeatable object changes nothing of the repeatable set")
    func failingRepeatable() async throws {
        try await withFreshDatabase { _, connection in
            try await Migrator(catalog: sampleCatalog(), logger: testLogger).migrate(on: connection)
            let catalog = sampleCatalog(functionResult: 7, repeatables: [RepeatableObject(kind: .view, key: "view public.broken", source: "test",
                statements: ["CREATE VIEW public.broken AS SELECT nope FROM public.accounts"], dropStatements: [])])
            let error = await #expect(throws: InvariantsError.self) { try await Migrator(catalog: catalog, logger: testLogger).migrate(on: connection) }
            #expect(error?.message.contains("view public.broken") == true)
            #expect(try await connection.scalar("SELECT public.answer()", as: Int32.self) == 1)
        }
    }

    @Test("CREATE INDEX CONCURRENTLY runs outside a transaction; an INVALID index from a failed run is rebuilt")
    func concurrentIndex() async throws {
        try await withFreshDatabase { _, connection in
            let index = QualifiedName("public", "accounts_balance_key")
            let catalog = sampleCatalog(extraMigrations: [
                Migration(version: 3, name: "unique_balance", source: "test", steps: [
                    .outsideTransaction("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \(SQLText.identifier(index.name)) ON public.accounts (balance)", rebuildsInvalidIndex: index),
                ]),
            ])
            try await Migrator(catalog: sampleCatalog(), logger: testLogger).migrate(on: connection)
            try await connection.run("INSERT INTO public.accounts (id, balance) VALUES (1, 5), (2, 5)")
            let migrator = try Migrator(catalog: catalog, logger: testLogger)
            let error = await #expect(throws: InvariantsError.self) { try await migrator.migrate(on: connection) }
            #expect(error?.kind == .migrationFailed)
            #expect(error?.sqlState == "23505", "\(error.map { String(reflecting: $0) } ?? "")")
            #expect(try await connection.scalar("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = 'public.accounts_balance_key'::regclass", as: Bool.self),
                    "the failed CIC left an INVALID index that IF NOT EXISTS would skip")
            #expect(try await connection.scalar("SELECT count(*) FROM invariants.module_migrations WHERE version = 3", as: Int64.self) == 0)

            try await connection.run("UPDATE public.accounts SET balance = 6 WHERE id = 2")
            var events: [String] = []
            try await migrator.migrate(on: connection) { event in
                if case .rebuildingInvalidIndex(let name) = event { events.append(name) }
            }
            #expect(events == ["public.accounts_balance_key"])
            #expect(try await connection.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.accounts_balance_key'::regclass", as: Bool.self))
            #expect(try await connection.scalar("SHOW lock_timeout", as: String.self) == "0", "session timeouts are reset")
        }
    }

    @Test("a migration behind a long transaction fails after its lock_timeout with a clear error")
    func lockTimeout() async throws {
        try await withFreshDatabase { database, connection in
            try await Migrator(catalog: sampleCatalog(), logger: testLogger).migrate(on: connection)
            let blocker = try await openConnection(database)
            try await blocker.run("BEGIN")
            try await blocker.run("SELECT * FROM public.accounts")  // holds ACCESS SHARE until COMMIT
            let catalog = sampleCatalog(extraMigrations: [
                Migration(version: 3, name: "alter_accounts", source: "test",
                          steps: [MigrationStep("ALTER TABLE public.accounts ADD COLUMN note text")], lockTimeoutMilliseconds: 300),
            ])
            let started = ContinuousClock.now
            let error = await #expect(throws: InvariantsError.self) { try await Migrator(catalog: catalog, logger: testLogger).migrate(on: connection) }
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(error?.sqlState == "55P03")
            #expect(error?.message.contains("0003_alter_accounts.sql") == true)
            #expect(error?.hint?.contains("long transaction") == true)
            try await blocker.run("ROLLBACK")
            try await blocker.close()
        }
    }

    @Test("a migrator waiting for the lock names the holder and gives up after its timeout")
    func lockWait() async throws {
        try await withFreshDatabase { database, connection in
            let holder = try await openConnection(database)
            try await holder.run("SET application_name = 'the other migrator'")
            try await holder.run("SELECT pg_advisory_lock(\(Ledger.advisoryLockKey))")
            let holderPid = try await holder.scalar("SELECT pg_backend_pid()", as: Int32.self)
            let migrator = try Migrator(catalog: sampleCatalog(), options: .init(lockWaitTimeout: .milliseconds(800), lockPollInterval: .milliseconds(50)), logger: testLogger)
            var waits: [String] = []
            let error = await #expect(throws: InvariantsError.self) {
                try await migrator.migrate(on: connection) { if case .waitingForLock(let who) = $0 { waits.append(who) } }
            }
            #expect(error?.kind == .migrationLockTimeout)
            #expect(error?.message.contains("pid \(holderPid)") == true, "\(error?.message ?? "")")
            #expect(waits.first?.contains("the other migrator") == true, "\(waits)")
            #expect(try await connection.exists("public.accounts") == false)
            try await holder.close()  // releases the session lock
            try await migrator.migrate(on: connection)
            #expect(try await connection.exists("public.accounts"))
        }
    }
}
