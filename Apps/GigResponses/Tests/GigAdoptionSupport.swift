import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import SeedAppsTesting
import GigResponses

/// Seed 004's database as its app (Drizzle) left it, before Invariants: `workspaces`, `gigs`
/// whose integer counters drifted, `responses` (with orphans when asked), Supabase's roles with
/// the platform's default grants, and maybe the app's own cascade key on `entity_id`.
struct SeedAppDatabase {
    var database: TestDatabase
    var connection: PostgresConnection
    var workspace: UUID
    var gigs: Int
    var responses: Int

    static func responseID(_ n: String) -> String { GigResponsesModule.SeedAppSchema.responseID(n) }
    static func gigID(_ n: String) -> String { GigResponsesModule.SeedAppSchema.gigID(n) }

    static func make(gigs: Int, responses: Int, orphans: Int = 0, appForeignKey: Bool = true,
                     statusType: String = "text NOT NULL", gigsKey: Bool = true) async throws -> SeedAppDatabase {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase()
        let connection = try await database.connect(logger: quietLogger)
        let schema = GigResponsesModule.SeedAppSchema(gigs: gigs, responses: responses, appForeignKey: appForeignKey,
                                                      statusType: statusType, gigsKey: gigsKey)
        // Orphans first: the app's own key, when it has one, came after them (NOT VALID never).
        var statements = schema.statements
        if orphans > 0 { statements.insert(contentsOf: schema.orphanStatements(orphans), at: statements.count - (appForeignKey ? 2 : 1)) }
        for statement in statements { try await connection.run(statement) }
        return SeedAppDatabase(database: database, connection: connection, workspace: schema.workspace, gigs: gigs,
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
