import Foundation
import Invariants
import InvariantsMigrator
import InvariantsTesting
import PostgresNIO
import SeedAppsTesting
import Testing
import ModelWorkRecord

/// Seed 000's app already has `sessions` (Supabase, `session_config` saved by the client):
/// `migrate --modules model_work_record` adopts it in place, rows and OID kept, and creates
/// `model_statistics` beside it.
@Suite("model_work_record adopts the app's sessions")
struct ModelWorkRecordAdoptionTests {
    @Test("an existing sessions table: adopted, not re-created; its rows kept and checked; the work record created")
    func adoptsSessions() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase()
        defer { Task { try? await database.drop() } }
        let connection = try await database.connect(logger: quietLogger)
        defer { Task { try? await connection.close() } }
        func run(_ sql: String) async throws { _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect() }
        let catalog = try projectCatalog()
        // The platform's auth first (on Supabase it is there already), then the app's own table.
        try await Migrator(catalog: catalog, options: .init(modules: ["auth"]), logger: quietLogger).migrate(on: connection)
        let user = UUID()
        try await run("INSERT INTO auth.users (id) VALUES ('\(user)')")
        try await run("""
            CREATE TABLE public.sessions (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
                title text NOT NULL DEFAULT '',
                session_config jsonb NOT NULL DEFAULT '{"selectedModels": [], "perModelSettings": {}}'::jsonb,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        try await run("""
            INSERT INTO public.sessions (user_id, title, session_config)
            SELECT '\(user)', 'task ' || n, '{"selectedModels": ["openai/gpt-4o"], "perModelSettings": {}}'::jsonb
            FROM generate_series(1, 50) n
            """)
        let oid = try await connection.scalar("SELECT 'public.sessions'::regclass::oid::bigint", as: Int64.self)

        let migrator = try Migrator(catalog: catalog, options: .init(modules: ["model_work_record"]), logger: quietLogger)
        let report = try await migrator.migrate(on: connection)
        #expect(report.adoptedModules == ["model_work_record"])
        #expect(try await connection.scalar("SELECT 'public.sessions'::regclass::oid::bigint", as: Int64.self) == oid, "adopted, not re-created")
        #expect(try await connection.scalar("SELECT count(*) FROM public.sessions WHERE config_version = 1", as: Int64.self) == 50,
                "every row kept, the added version column at its default")
        #expect(try await connection.scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.sessions'::regclass AND convalidated AND contype = 'c'",
                                            as: Int64.self) == 3, "the declared checks hold for the app's rows")
        #expect(try await connection.scalar("SELECT to_regclass('public.model_statistics') IS NOT NULL", as: Bool.self))
        #expect(try await connection.scalar("SELECT relrowsecurity FROM pg_class WHERE oid = 'public.sessions'::regclass", as: Bool.self))
        #expect(try await migrator.status(on: connection).isUpToDate)
        #expect(try await migrator.plan(on: connection).isEmpty)
        // The panel is the module's now: a bad shape is refused, as on a fresh database.
        await #expect(throws: (any Error).self) {
            try await run("UPDATE public.sessions SET session_config = '{\"selectedModels\": 3}'::jsonb WHERE title = 'task 1'")
        }
        // One shape with a fresh install (the added column comes last: order is not compared).
        let verifier = Verifier(catalog: try projectCatalog(), storedLogic: .keep(extensionVersions: nil), logger: quietLogger)
        let verified = try await verifier.verify(url: try DatabaseURL(database.url))
        #expect(verified.isClean, "\(verified.differences.map(\.description))")
    }
}
