import Foundation
import Generations
import Invariants
import InvariantsMigrator
import InvariantsTesting
import PostgresNIO
import SeedApps
import SeedAppsTesting
import Synchronization
import Testing

/// Seed 002's existing Supabase database taken over by `migrate --modules generations`: the
/// app's INSERT-only `save_completed_generation_to_history` replaced (not doubled), jobs
/// completed before, during and after the migration each in exactly one card.
@Suite("generations adopts the app's existing tables and replaces its trigger")
struct GenerationsAdoptionTests {
    static let users = 10
    static let jobsBefore = 200
    /// Pending jobs for the workers: more than they can complete before the migration ends.
    static let jobsPending = 3_000

    func migrator() throws -> Migrator {
        try Migrator(catalog: try projectCatalog(), options: .init(modules: ["generations"]), logger: quietLogger)
    }

    @Test("the app's trigger is replaced in one transaction; jobs completed before, during and after land in exactly one card")
    func replacesTheAppsTrigger() async throws {
        try await SupabaseShape.withDatabase { connection, database in try await run(on: connection, database: database) }
    }

    private func run(on connection: PostgresConnection, database: TestDatabase) async throws {
        func sql(_ text: String) async throws { _ = try await connection.query(PostgresQuery(unsafeSQL: text), logger: quietLogger).collect() }
        func count(_ text: String) async throws -> Int64 {
            try await connection.query(PostgresQuery(unsafeSQL: text), logger: quietLogger).collect().first?.decode(Int64.self) ?? -1
        }
        for statement in GenerationsModule.seedAppStatements { try await sql(statement) }
        try await sql("INSERT INTO auth.users (id) SELECT md5('u' || u)::uuid FROM generate_series(1, \(Self.users)) u")
        // Before: the app's flow, a pending job then its completion; its trigger makes the card.
        // The URL names the job, so a card is found by it whatever its shape.
        try await sql("""
            INSERT INTO public.generation_jobs (id, user_id, description)
            SELECT md5('j' || j)::uuid, md5('u' || (1 + j % \(Self.users)))::uuid, 'prompt ' || j FROM generate_series(1, \(Self.jobsBefore + Self.jobsPending)) j
            """)
        try await sql("""
            UPDATE public.generation_jobs SET status = 'completed', tokens_cost = 3,
                   image_url = 'https://cdn.example/' || id || '.png'
            WHERE id IN (SELECT md5('j' || j)::uuid FROM generate_series(1, \(Self.jobsBefore)) j)
            """)
        // One user deleted a card the app made: its job can be linked to nothing.
        let orphanJob = "md5('j1')::uuid"
        try await sql("DELETE FROM public.generations WHERE output_data -> 'images' ->> 0 = 'https://cdn.example/' || \(orphanJob) || '.png'")
        #expect(try await count("SELECT count(*) FROM public.generations") == Int64(Self.jobsBefore - 1))
        let oids = try await count("SELECT sum(oid::int8)::bigint FROM pg_class WHERE oid IN ('public.generations'::regclass, 'public.generation_jobs'::regclass)")

        // The plan names what it replaces, found by what the app's function does.
        let plan = try await migrator().plan(on: connection).rendered()
        #expect(plan.contains("adopts the app's existing tables for: generations"), "\(plan.prefix(300))")
        #expect(plan.contains("DROP TRIGGER save_completed_generation_to_history ON \"public\".\"generation_jobs\""))
        #expect(plan.contains("DROP FUNCTION public.save_completed_generation_to_history()"))
        #expect(!plan.contains("CREATE TABLE \"public\".\"generations\""), "nothing the app has is created again")

        // During: three workers complete jobs as the service, before, across and after the swap.
        let workers = Workers(next: Self.jobsBefore)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await database.withConnection(logger: quietLogger) { worker in
                        _ = try await worker.query("SET ROLE service_role", logger: quietLogger).collect()
                        while !workers.stop.load(ordering: .relaxed) {
                            let job = workers.next.wrappingAdd(1, ordering: .relaxed).newValue
                            guard job <= Self.jobsBefore + Self.jobsPending else { break }
                            do {
                                _ = try await worker.query(PostgresQuery(unsafeSQL: """
                                    UPDATE public.generation_jobs SET status = 'completed', tokens_cost = 3,
                                           image_url = 'https://cdn.example/' || id || '.png'
                                    WHERE id = md5('j' || \(job))::uuid
                                    """), logger: quietLogger).collect()
                            } catch {
                                workers.failures.withLock { $0.append(String(reflecting: error)) }
                            }
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    }
                }
            }
            group.addTask {
                defer { workers.stop.store(true, ordering: .relaxed) }
                try await Task.sleep(for: .milliseconds(100))
                let report = try await self.migrator().migrate(on: connection)
                #expect(report.adoptedModules == ["generations"])
                try await Task.sleep(for: .milliseconds(200))
            }
            try await group.waitForAll()
        }
        let failures = workers.failures.withLock { $0 }
        #expect(failures.isEmpty, "\(failures.prefix(2))")
        let completed = try await count("SELECT count(*) FROM public.generation_jobs WHERE status = 'completed'")
        #expect(completed > Int64(Self.jobsBefore) + 20, "jobs completed during and after the migration: \(completed)")
        #expect(completed < Int64(Self.jobsBefore + Self.jobsPending), "the workers ran until the migration was over")
        // Both triggers handled some of the workers' jobs: only the module's state machine sets finished_at.
        let workersJobs = "id IN (SELECT md5('j' || j)::uuid FROM generate_series(\(Self.jobsBefore + 1), \(Self.jobsBefore + Self.jobsPending)) j)"
        #expect(try await count("SELECT count(*) FROM public.generation_jobs WHERE status = 'completed' AND finished_at IS NULL AND \(workersJobs)") > 0,
                "some completed by the app's trigger while the adoption ran")
        #expect(try await count("SELECT count(*) FROM public.generation_jobs WHERE status = 'completed' AND finished_at IS NOT NULL AND \(workersJobs)") > 0,
                "some completed by the module's trigger after the swap")

        // Replaced, not doubled: one trigger of that name, ours; the app's function gone.
        #expect(try await count("""
            SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE t.tgrelid = 'public.generation_jobs'::regclass AND p.pronamespace = 'public'::regnamespace
            """) == 0)
        #expect(try await count("SELECT count(*) FROM pg_proc WHERE oid = to_regprocedure('public.save_completed_generation_to_history()')") == 0)
        #expect(try await count("""
            SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.generation_jobs'::regclass
              AND tgname = 'save_completed_generation_to_history' AND tgfoid = 'invariants.save_completed_generation_to_history()'::regprocedure
            """) == 1)
        #expect(try await count("SELECT sum(oid::int8)::bigint FROM pg_class WHERE oid IN ('public.generations'::regclass, 'public.generation_jobs'::regclass)") == oids)

        // Every completed job's image is in exactly one card (the deleted card's job in none),
        // whatever the card's shape: a legacy string, or the element the module writes.
        let inCards = """
            SELECT j.id, (SELECT count(*) FROM public.generations g, jsonb_array_elements(g.output_data -> 'images') e
                          WHERE COALESCE(e ->> 'url', e #>> '{}') = j.image_url) AS cards
            FROM public.generation_jobs j WHERE j.status = 'completed'
            """
        #expect(try await count("SELECT count(*) FROM (\(inCards)) AS c WHERE cards <> 1 AND id <> \(orphanJob)") == 0)
        #expect(try await count("SELECT count(*) FROM (\(inCards)) AS c WHERE cards = 0 AND id = \(orphanJob)") == 1)
        // The cards made before are linked, their URL now the module's element; the deleted one's job stays unlinked.
        #expect(try await count("SELECT count(*) FROM public.generation_jobs WHERE status = 'completed' AND generation_id IS NULL") == 1)
        #expect(try await count("SELECT count(*) FROM public.generations g, jsonb_array_elements(g.output_data -> 'images') e WHERE jsonb_typeof(e) = 'string'") == 0)
        let violations = try await InvariantChecker(checks: GenerationsModule.module.checks, logger: quietLogger).violations(on: connection)
        #expect(violations.isEmpty, "\(violations.map(\.check))")

        // An edit of a card made before adoption joins it, as the seed set out to do.
        let legacyCard = "(SELECT generation_id FROM public.generation_jobs WHERE id = md5('j2')::uuid)"
        try await sql("""
            INSERT INTO public.generation_jobs (id, user_id, category, source_generation_id)
            SELECT md5('edit')::uuid, user_id, 'edit', generation_id FROM public.generation_jobs WHERE id = md5('j2')::uuid
            """)
        try await sql("UPDATE public.generation_jobs SET status = 'completed', image_url = 'https://cdn.example/edit.png', tokens_cost = 2 WHERE id = md5('edit')::uuid")
        #expect(try await count("SELECT jsonb_array_length(output_data -> 'images')::bigint FROM public.generations WHERE id = \(legacyCard)") == 2)
        #expect(try await count("SELECT tokens_used FROM public.generations WHERE id = \(legacyCard)") == 5)

        // The module owns the tables now: installed at version 6, nothing left to do, and the
        // platform's default ALL for signed-in users replaced by the exact grants.
        #expect(try await count("SELECT count(*) FROM invariants.module_migrations WHERE module = 'generations'") == 6)
        #expect(try await migrator().status(on: connection).isUpToDate)
        #expect(try await migrator().plan(on: connection).isEmpty)
        #expect(try await count("SELECT count(*) WHERE has_table_privilege('authenticated', 'public.generations', 'UPDATE')") == 0)

        // verify names an app trigger left behind (put back by hand here, under another name: ours has its name).
        let verifier = Verifier(catalog: try projectCatalog(), storedLogic: .keep(extensionVersions: nil), logger: quietLogger)
        let clean = try await verifier.verify(url: try DatabaseURL(database.url))
        // One shape with a fresh install: nothing differs (column order aside, which PostgreSQL cannot change).
        #expect(clean.isClean, "\(clean.differences.map(\.key))")
        try await sql(GenerationsModule.seedAppStatements[2])
        try await sql("""
            CREATE TRIGGER on_generation_job_completed AFTER UPDATE ON public.generation_jobs
                FOR EACH ROW EXECUTE FUNCTION public.save_completed_generation_to_history()
            """)
        let leftBehind = try await verifier.verify(url: try DatabaseURL(database.url))
        #expect(leftBehind.differences.contains { $0.change == .unexpected && $0.key.contains("function public.save_completed_generation_to_history") },
                "\(leftBehind.differences.map(\.key))")
        #expect(leftBehind.differences.contains { $0.change == .unexpected && $0.key.contains("on_generation_job_completed") },
                "\(leftBehind.differences.map(\.key))")
    }
}

/// What the workers share: the next job to complete, the stop flag, their failures.
final class Workers: Sendable {
    let next: Atomic<Int>
    let stop = Atomic<Bool>(false)
    let failures = Mutex<[String]>([])
    init(next: Int) { self.next = Atomic(next) }
}
