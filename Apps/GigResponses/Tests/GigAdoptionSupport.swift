import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import SeedAppsTesting

/// Seed 004's database as its app (Drizzle) left it, before Invariants: `workspaces`, `gigs`
/// whose integer counters drifted, `responses` (with orphans when asked), Supabase's roles with
/// the platform's default grants, and maybe the app's own cascade key on `entity_id`.
struct SeedAppDatabase {
    var database: TestDatabase
    var connection: PostgresConnection
    var workspace: UUID
    var gigs: Int
    var responses: Int

    /// Response `n` has id `md5('r' || n)::uuid`, gig `n` `md5('g' || n)::uuid`: SQL can name them.
    static func responseID(_ n: String) -> String { "md5('r' || (\(n)))::uuid" }
    static func gigID(_ n: String) -> String { "md5('g' || (\(n)))::uuid" }

    static func make(gigs: Int, responses: Int, orphans: Int = 0, appForeignKey: Bool = true,
                     statusType: String = "text NOT NULL", gigsKey: Bool = true) async throws -> SeedAppDatabase {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase()
        let connection = try await database.connect(logger: quietLogger)
        let workspace = UUID()
        let statements = [
            // Supabase's roles, as the platform makes them (the app's tables get its default grants).
            "DO $$ BEGIN CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
            "DO $$ BEGIN CREATE ROLE authenticated NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
            "DO $$ BEGIN CREATE ROLE service_role NOLOGIN BYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
            "CREATE TABLE public.workspaces (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL)",
            """
            CREATE TABLE public.gigs (
                id uuid \(gigsKey ? "PRIMARY KEY" : "NOT NULL") DEFAULT gen_random_uuid(),
                workspace_id uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
                title text NOT NULL,
                responses integer NOT NULL DEFAULT 0,
                new_responses integer NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE public.responses (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                workspace_id uuid NOT NULL,
                entity_type text NOT NULL DEFAULT 'gig',
                entity_id uuid NOT NULL,
                status \(statusType) DEFAULT 'NEW',
                candidate_name text,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "GRANT ALL ON public.workspaces, public.gigs, public.responses TO anon, authenticated, service_role",
            "INSERT INTO public.workspaces (id, name) VALUES ('\(workspace)', 'seed')",
            "INSERT INTO public.gigs (id, workspace_id, title) SELECT \(gigID("g")), '\(workspace)', 'gig ' || g FROM generate_series(1, \(gigs)) g",
            """
            INSERT INTO public.responses (id, workspace_id, entity_type, entity_id, status)
            SELECT \(responseID("r")), '\(workspace)', 'gig', \(gigID("1 + r % \(gigs)")),
                   CASE WHEN r % 3 = 0 THEN 'NEW' ELSE 'VIEWED' END
            FROM generate_series(1, \(responses)) r
            """,
            // The app kept the counters by hand: they drifted.
            "UPDATE public.gigs SET responses = (random() * 20)::int, new_responses = 0",
        ]
        for statement in statements { try await connection.run(statement) }
        if orphans > 0 {
            // Responses of gigs deleted before the app had a cascade, and two in the wrong workspace.
            let other = UUID()
            try await connection.run("INSERT INTO public.workspaces (id, name) VALUES ('\(other)', 'other')")
            try await connection.run("""
                INSERT INTO public.responses (workspace_id, entity_type, entity_id, status)
                SELECT '\(workspace)', 'gig', gen_random_uuid(), 'NEW' FROM generate_series(1, \(orphans - 2))
                """)
            try await connection.run("""
                INSERT INTO public.responses (workspace_id, entity_type, entity_id, status)
                SELECT '\(other)', 'gig', \(gigID("1")), 'NEW' FROM generate_series(1, 2)
                """)
        }
        if appForeignKey {
            // packages/db/drizzle/0003_add_cascade_delete_responses.sql, verbatim.
            try await connection.run("""
                ALTER TABLE "responses"
                ADD CONSTRAINT "responses_entity_id_gig_fk"
                FOREIGN KEY ("entity_id") REFERENCES "gigs"("id")
                ON DELETE CASCADE
                ON UPDATE NO ACTION
                """)
        }
        try await connection.run("VACUUM ANALYZE")
        return SeedAppDatabase(database: database, connection: connection, workspace: workspace, gigs: gigs,
                               responses: responses + orphans)
    }

    func drop() async {
        try? await connection.close()
        try? await database.drop()
    }

    func count(_ sql: String) async throws -> Int64 { try await value(sql, as: Int64.self) }
    func text(_ sql: String) async throws -> String? { try await value(sql, as: String?.self) }

    /// The first column of the first row; a server error names its message (not row values).
    func value<T: PostgresDecodable>(_ sql: String, as type: T.Type) async throws -> T {
        do {
            return try await connection.scalar(PostgresQuery(unsafeSQL: sql), as: T.self)
        } catch let error as PSQLError {
            throw InvariantsError(.other, "\(error.serverInfo?[.message] ?? "\(error.code)") in: \(sql.prefix(80))")
        }
    }

    /// `relname=oid` of the app's tables, to prove they were adopted, not re-created.
    func tableOIDs() async throws -> String? {
        try await text("""
            SELECT string_agg(relname || '=' || oid, ',' ORDER BY relname) FROM pg_class
            WHERE relnamespace = 'public'::regnamespace AND relname IN ('workspaces', 'gigs', 'responses')
            """)
    }
}

/// What the app's writers did while the migration ran: the rows they know exist, the ones they
/// deleted, every failure, and the slowest statement.
actor WriterLog {
    var inserted: Set<String> = []
    var deleted: Set<String> = []
    var failures: [String] = []
    var statements = 0
    var slowest: Duration = .zero

    func record(_ elapsed: Duration) {
        statements += 1
        slowest = max(slowest, elapsed)
    }
    func insert(_ id: String) { inserted.insert(id) }
    func delete(_ id: String) { deleted.insert(id); inserted.remove(id) }
    func fail(_ message: String) { failures.append(message) }
}

/// The app: `service_role` (its backend's key), inserting, re-statusing and deleting responses
/// until `stop` is set; `deletable` names the seed's responses it may delete (its own half).
func appWriter(_ seed: SeedAppDatabase, number: Int, log: WriterLog, stop: ManagedAtomicFlag) async throws {
    let connection = try await seed.database.connect(logger: quietLogger)
    defer { Task { try? await connection.close() } }
    try await connection.run("SET ROLE service_role")
    var generator = SplitMix64(seed: UInt64(number) &* 7919)
    var deletable = Array(stride(from: number + 1, through: seed.responses / 2, by: 4)).shuffled(using: &generator)
    while !stop.isSet {
        let started = ContinuousClock.now
        let choice = generator.next() % 3
        let gig = 1 + Int(generator.next() % UInt64(seed.gigs))
        do {
            switch choice {
            case 0:
                let id = try await connection.scalar(PostgresQuery(unsafeSQL: """
                    INSERT INTO public.responses (workspace_id, entity_type, entity_id, status)
                    VALUES ('\(seed.workspace)', 'gig', \(SeedAppDatabase.gigID(String(gig))), 'NEW') RETURNING id::text
                    """), as: String.self)
                await log.insert(id)
            case 1:
                let response = 1 + Int(generator.next() % UInt64(seed.responses / 2))
                try await connection.run("""
                    UPDATE public.responses SET status = CASE status WHEN 'NEW' THEN 'VIEWED' ELSE 'NEW' END
                    WHERE id = \(SeedAppDatabase.responseID(String(response)))
                    """)
            default:
                // Nothing left to delete: pause, never spin (a loop without a suspension point
                // holds one of the few cooperative threads and starves the migration).
                guard let response = deletable.popLast() else { try await Task.sleep(for: .milliseconds(5)); continue }
                let id = try await connection.scalar(PostgresQuery(unsafeSQL:
                    "DELETE FROM public.responses WHERE id = \(SeedAppDatabase.responseID(String(response))) RETURNING id::text"),
                    as: String.self)
                await log.delete(id)
            }
            await log.record(ContinuousClock.now - started)
        } catch {
            await log.fail(String(reflecting: error))
            return
        }
    }
}

/// A flag set once, read by many tasks.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

extension PostgresConnection {
    /// One statement, rows discarded.
    func run(_ sql: String) async throws {
        do {
            _ = try await query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect()
        } catch let error as PSQLError {
            throw InvariantsError(.other, "\(error.serverInfo?[.message] ?? "\(error.code)") in: \(sql.prefix(80))")
        }
    }
}
