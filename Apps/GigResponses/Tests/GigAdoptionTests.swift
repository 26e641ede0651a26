import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import SeedAppsTesting
import Testing
import GigResponses

/// Seed 004's existing database taken over by `migrate --modules gig_responses`: in place
/// (same tables, every row kept), online (the app writes throughout), refusing what does not fit.
@Suite("gig_responses adopts the app's existing tables")
struct GigAdoptionTests {
    func migrator(orphans: Migrator.OrphanResolution = .refuse) throws -> Migrator {
        var options = Migrator.Options(modules: ["gig_responses"])
        options.orphans = orphans
        return try Migrator(catalog: try projectCatalog(), options: options, logger: quietLogger)
    }

    @Test("100,000 responses, 4 app writers throughout: same tables, every row kept, counters exact, cascade and key enforced")
    func adoptWhileWriting() async throws {
        let seed = try await SeedAppDatabase.make(gigs: 1_000, responses: 100_000)
        defer { Task { await seed.drop() } }
        let oids = try await seed.tableOIDs()
        #expect(try await seed.count("SELECT count(*) FROM (\(seedMonitoringQuery.dropLast())) AS drifted") > 0, "the app's counters drifted")

        let plan = try await migrator().plan(on: seed.connection).rendered()
        #expect(plan.contains("adopts the app's existing tables for: gig_responses"))
        #expect(plan.contains("ALTER TABLE \"public\".\"responses\" DROP CONSTRAINT responses_entity_id_gig_fk"), "the app's key, named")
        #expect(plan.contains("fill counter gig_responses"), "the backfill is in the plan")
        #expect(plan.contains("500 per batch: 1000 rows in public.gigs") || plan.contains("500 per batch: about 1000 rows in public.gigs"),
                "with its size")
        #expect(plan.contains("5000 per batch: 100000 rows in public.responses") || plan.contains("5000 per batch: about 100000 rows in public.responses"))
        #expect(!plan.contains("CREATE TABLE \"public\".\"gigs\""), "nothing the app has is created again")
        // The app's roles, before anything runs: a signed-in user may no longer write a counter.
        #expect(plan.contains("--   public.gigs authenticated: ALL → SELECT, INSERT (id, title, workspace_id), UPDATE (title)"),
                "\(plan.prefix(1400))")
        #expect(plan.contains("--   public.responses anon: ALL → nothing"))
        #expect(plan.contains("--   public.gigs: row level security off → on"))

        let log = WriterLog()
        let stop = ManagedAtomicFlag()
        let report = try await withThrowingTaskGroup(of: MigrationReport?.self) { group in
            for number in 0..<4 { group.addTask { try await appWriter(seed, number: number, log: log, stop: stop); return nil } }
            group.addTask {
                try await Task.sleep(for: .milliseconds(300))
                defer { stop.set() }
                let report = try await self.migrator().migrate(on: seed.connection)
                try await Task.sleep(for: .milliseconds(300))  // writes after adoption too
                return report
            }
            var report: MigrationReport?
            for try await result in group { if let result { report = result } }
            return report
        }
        #expect(report?.adoptedModules == ["gig_responses"])
        let failures = await log.failures, slowest = await log.slowest, statements = await log.statements
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(statements > 100, "the app kept writing: \(statements) statements")
        #expect(slowest < .seconds(5), "no app statement waited longer than the lock timeout: \(slowest)")

        // Adopted in place: same tables, every row the app wrote there, the deleted ones gone.
        #expect(try await seed.tableOIDs() == oids)
        let inserted = await log.inserted, deleted = await log.deleted
        #expect(try await seed.count("SELECT count(*) FROM public.responses") == Int64(seed.responses + inserted.count - deleted.count))
        let insertedList = inserted.map { "'\($0)'" }.joined(separator: ",")
        if !inserted.isEmpty {
            #expect(try await seed.count("SELECT count(*) FROM public.responses WHERE id IN (\(insertedList))") == Int64(inserted.count))
        }
        #expect(try await seed.count("SELECT count(*) FROM public.responses WHERE gig_id IS DISTINCT FROM entity_id") == 0)
        // Exact counters: the seed's own monitoring query and the drift view agree.
        #expect(try await seed.count("SELECT count(*) FROM (\(seedMonitoringQuery.dropLast())) AS drifted") == 0)
        #expect(try await seed.count("SELECT count(*) FROM invariants.gig_responses_drift") == 0)
        #expect(try await seed.text("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.gigs'::regclass AND attname = 'responses'")
                == "integer", "the app's integer counters kept (widening would rewrite the table)")
        #expect(try await seed.count("SELECT count(*) FROM invariants.counter_repairs WHERE counter = 'gig_responses'") > 0,
                "the drift the backfill fixed is audited")

        // The composite key replaced the app's: a gig delete cascades, a missing gig is refused.
        let key = try await seed.text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'responses_entity_id_gig_fk'")
        #expect(key == "FOREIGN KEY (workspace_id, gig_id) REFERENCES gigs(workspace_id, id) ON DELETE CASCADE", "\(key ?? "none")")
        #expect(try await seed.count("SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.responses'::regclass AND contype = 'f'") == 1)
        let gig = SeedAppDatabase.gigID("7")
        let before = try await seed.count("SELECT count(*) FROM public.responses WHERE entity_id = \(gig)")
        #expect(before > 0)
        try await seed.connection.run("SELECT public.delete_gig(\(gig), '\(seed.workspace)')")
        #expect(try await seed.count("SELECT count(*) FROM public.responses WHERE entity_id = \(gig)") == 0)
        let missing = await #expect(throws: (any Error).self) {
            try await seed.connection.run("INSERT INTO public.responses (workspace_id, entity_id) VALUES ('\(seed.workspace)', gen_random_uuid())")
        }
        #expect(String(reflecting: missing as Any).contains("violates foreign key constraint \"responses_entity_id_gig_fk\""), "a foreign-key violation")

        // The app may no longer write the counters as a signed-in user; the module is simply installed now.
        #expect(try await seed.text("SELECT has_column_privilege('authenticated', 'public.gigs', 'responses', 'UPDATE')::text") == "false")
        #expect(try await seed.count("SELECT count(*) FROM invariants.module_migrations WHERE module = 'gig_responses'") == 3)
        let status = try await migrator().status(on: seed.connection)
        #expect(status.isUpToDate)
        #expect(try await migrator().plan(on: seed.connection).isEmpty)
        let verifier = Verifier(catalog: try projectCatalog(), storedLogic: .keep(extensionVersions: nil), logger: quietLogger)
        let verified = try await verifier.verify(url: try DatabaseURL(seed.database.url))
        // One shape with a fresh install, but for the integer counters adoption keeps by design.
        #expect(verified.isClean, "\(verified.differences.map(\.description))")
        #expect(verified.appTables.isEmpty, "the adoption's own ledger is not the app's table")
        #expect(verified.accepted == ["public.gigs.new_responses", "public.gigs.responses"].map {
            "\($0): integer kept by the adoption (bigint would rewrite the table)"
        })
    }

    @Test("orphan responses (deleted gigs, another workspace): refused with their count, nothing changed; quarantined on request")
    func orphansRefusedThenQuarantined() async throws {
        let seed = try await SeedAppDatabase.make(gigs: 50, responses: 2_000, orphans: 32, appForeignKey: false)
        defer { Task { await seed.drop() } }
        let refusal = await #expect(throws: InvariantsError.self) { try await migrator().migrate(on: seed.connection) }
        #expect(refusal?.message.contains("public.responses: 32 row(s) whose public.gigs row is gone") == true, "\(refusal?.message ?? "")")
        #expect(refusal?.hint?.contains("--orphans quarantine") == true)
        #expect(try await seed.text("SELECT to_regclass('invariants.module_migrations')::text") == nil, "nothing was written")
        #expect(try await seed.count("SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.responses'::regclass AND attname = 'gig_id'") == 0)
        #expect(try await seed.count("SELECT count(*) FROM public.responses") == 2_032)

        let report = try await migrator(orphans: .quarantine).migrate(on: seed.connection)
        #expect(report.adoptedModules == ["gig_responses"])
        #expect(try await seed.count("SELECT count(*) FROM invariants.quarantine_responses") == 32)
        #expect(try await seed.count("SELECT count(*) FROM public.responses") == 2_000)
        #expect(try await seed.count("SELECT count(*) FROM (\(seedMonitoringQuery.dropLast())) AS drifted") == 0)
    }

    @Test("orphans deleted on request: the report says how many, the key is added")
    func orphansDeleted() async throws {
        let seed = try await SeedAppDatabase.make(gigs: 20, responses: 500, orphans: 12, appForeignKey: false)
        defer { Task { await seed.drop() } }
        var events: [String] = []
        try await migrator(orphans: .delete).migrate(on: seed.connection) { event in
            if case .adoptionBatch(let step, let rows, _, _) = event, step.hasPrefix("delete orphans"), rows > 0 { events.append("\(step): \(rows)") }
        }
        #expect(events == ["delete orphans of public.responses: 12"])
        #expect(try await seed.count("SELECT count(*) FROM public.responses") == 500)
        #expect(try await seed.count("SELECT count(*) FROM pg_constraint WHERE conname = 'responses_entity_id_gig_fk' AND convalidated") == 1)
    }

    @Test("a table that does not fit (a column of another type, a missing key): every mismatch named, nothing changed")
    func mismatchRefused() async throws {
        let seed = try await SeedAppDatabase.make(gigs: 5, responses: 20, appForeignKey: false, statusType: "varchar(20)", gigsKey: false)
        defer { Task { await seed.drop() } }
        let refusal = await #expect(throws: InvariantsError.self) { try await migrator().migrate(on: seed.connection) }
        let message = refusal?.message ?? ""
        #expect(message.contains("public.responses.status: expected text NOT NULL, found character varying(20) NULL"), "\(message)")
        #expect(message.contains("public.gigs: expected PRIMARY KEY (id), found none"), "\(message)")
        #expect(try await seed.text("SELECT to_regclass('invariants.module_migrations')::text") == nil, "nothing was written")
        #expect(try await seed.count("SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.responses'::regclass AND attname = 'gig_id'") == 0)
    }

    @Test("a migrate killed during the counter backfill: the next one resumes after the last batch and finishes, counters exact")
    func killedBackfillResumes() async throws {
        let seed = try await SeedAppDatabase.make(gigs: 3_000, responses: 30_000)
        defer { Task { await seed.drop() } }
        // The app's own trigger on gigs makes each counter batch slow (4 ms per gig it rewrites),
        // so the kill lands inside the backfill, after its first batch committed.
        try await seed.connection.run("CREATE FUNCTION public.app_slow_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.004); RETURN NEW; END $$")
        try await seed.connection.run("CREATE TRIGGER app_slow_touch BEFORE UPDATE ON public.gigs FOR EACH ROW EXECUTE FUNCTION public.app_slow_touch()")
        let victim = try await seed.database.connect(logger: quietLogger)
        let killed = Task { try await self.migrator().migrate(on: victim) }
        func backfillStarted() async throws -> Bool {
            let ledger = try await seed.count("""
                SELECT count(*) FROM pg_class WHERE oid = to_regclass('invariants.adoptions')
                """)
            guard ledger > 0 else { return false }
            return try await seed.count("""
                SELECT count(*) FROM invariants.adoptions WHERE step LIKE 'fill counter gig_responses%' AND cursor IS NOT NULL
                """) > 0
        }
        var waited = 0
        while try await !backfillStarted(), waited < 600 {
            try await Task.sleep(for: .milliseconds(50)); waited += 1
        }
        // As a SIGKILL of the client would: the server ends the session, its batch rolls back.
        try await seed.connection.run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'invariants migrate' AND datname = current_database()")
        // PostgresNIO 1.33.2 never completes a query on a connection the server ended (see
        // PostgresNIOReproductionTests): close it and leave the task, as a killed process would.
        try? await victim.close()
        killed.cancel()
        try await seed.connection.run("DROP TRIGGER app_slow_touch ON public.gigs")
        let progress = try await seed.text("SELECT string_agg(step || ':' || COALESCE(cursor, '-') || ':' || (finished_at IS NOT NULL), ' | ') FROM invariants.adoptions")
        let cursor = try await seed.text("SELECT max(cursor) FROM invariants.adoptions WHERE step LIKE 'fill counter gig_responses%' AND finished_at IS NULL")
        #expect(cursor != nil, "three batches were committed before the kill: \(progress ?? "none")")
        #expect(try await seed.count("SELECT count(*) FROM invariants.module_migrations WHERE module = 'gig_responses'") == 0, "not recorded yet")

        let underWay = try await migrator().status(on: seed.connection).adoptionProgress
        #expect(underWay.contains { $0.hasPrefix("gig_responses: fill counter gig_responses") && $0.contains(", at \(cursor ?? "?")") },
                "status shows the adoption under way: \(underWay)")
        let plan = try await migrator().plan(on: seed.connection).rendered()
        #expect(plan.contains("(resuming after \(cursor ?? "?"))"), "\(plan.prefix(400))")
        #expect(!plan.contains("ADD COLUMN"), "what was done is not done again")
        try await migrator().migrate(on: seed.connection)
        #expect(try await seed.count("SELECT count(*) FROM (\(seedMonitoringQuery.dropLast())) AS drifted") == 0)
        #expect(try await seed.count("SELECT count(*) FROM invariants.module_migrations WHERE module = 'gig_responses'") == 3)
    }

    @Test("release 0.3's generated gig_id becomes a plain kept column in place: values kept, no rewrite, the key still enforced")
    func generatedKeyUpgradesInPlace() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase()
        defer { Task { try? await database.drop() } }
        let connection = try await database.connect(logger: quietLogger)
        defer { Task { try? await connection.close() } }
        let catalog = try projectCatalog()
        // Release 0.3: version 1 only, and no key trigger yet (its WHEN cannot read a generated column).
        let released = try catalog.updating("gig_responses") {
            $0.migrations = Array($0.migrations.prefix(1))
            $0.repeatables.removeAll { $0.key.contains("keep_public_responses_gig_id") || $0.key.hasSuffix(".invariants_keep_gig_id") }
        }
        try await Migrator(catalog: released, options: .init(modules: ["gig_responses"]), logger: quietLogger).migrate(on: connection)
        let workspace = UUID()
        try await connection.run("INSERT INTO public.workspaces (id, name) VALUES ('\(workspace)', 'w')")
        try await connection.run("INSERT INTO public.gigs (id, workspace_id, title) SELECT \(SeedAppDatabase.gigID("g")), '\(workspace)', 't' FROM generate_series(1, 10) g")
        try await connection.run("""
            INSERT INTO public.responses (workspace_id, entity_id) SELECT '\(workspace)', \(SeedAppDatabase.gigID("1 + r % 10")) FROM generate_series(1, 1000) r
            """)
        let file = "SELECT relfilenode::text FROM pg_class WHERE oid = 'public.responses'::regclass"
        let fileBefore = try await connection.scalar(PostgresQuery(unsafeSQL: file), as: String.self)

        let report = try await Migrator(catalog: catalog, logger: quietLogger).migrate(on: connection)
        #expect(report.appliedMigrations == ["gig_responses/0002_gig_key_by_trigger.sql", "gig_responses/0003_validate_gig_key.sql"])
        #expect(try await connection.scalar(PostgresQuery(unsafeSQL: file), as: String.self) == fileBefore, "no rewrite")
        #expect(try await connection.scalar("SELECT attgenerated::text FROM pg_attribute WHERE attrelid = 'public.responses'::regclass AND attname = 'gig_id'", as: String.self) == "")
        #expect(try await connection.scalar("SELECT count(*) FROM public.responses WHERE gig_id = entity_id", as: Int64.self) == 1000, "values kept")
        // Kept on insert and on a move; a client cannot choose it.
        try await connection.run("""
            INSERT INTO public.responses (workspace_id, entity_id, gig_id) VALUES ('\(workspace)', \(SeedAppDatabase.gigID("2")), \(SeedAppDatabase.gigID("3")))
            """)
        try await connection.run("UPDATE public.responses SET entity_id = \(SeedAppDatabase.gigID("4")) WHERE id = (SELECT id FROM public.responses ORDER BY id LIMIT 1)")
        #expect(try await connection.scalar("SELECT count(*) FROM public.responses WHERE gig_id IS DISTINCT FROM entity_id", as: Int64.self) == 0)
        #expect(try await connection.scalar("SELECT count(*) FROM pg_constraint WHERE conname = 'responses_gig_id_kept' AND convalidated", as: Int64.self) == 1)
    }
}
