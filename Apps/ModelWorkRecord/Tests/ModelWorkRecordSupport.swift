import Foundation
import Invariants
import InvariantsTesting
import Logging
import PostgresNIO
import Testing
import ModelWorkRecord
import SeedAppsTesting

let mwrLogger: Logger = {
    var logger = Logger(label: "test.model-work-record")
    logger.logLevel = .critical
    return logger
}()

/// A private database cloned from the migrated catalog, three users in auth.users, a client.
struct ModelWorkRecordFixture {
    let database: TestDatabase
    let client: InvariantsClient
    let alice = UUID()
    let bob = UUID()
    let carol = UUID()

    var asAlice: UserContext { .user(alice) }
    var asBob: UserContext { .user(bob) }

    /// Runs SQL as the superuser (bypasses RLS) and returns its rows.
    @discardableResult
    func admin(_ sql: String) async throws -> [PostgresRow] {
        try await client.query(PostgresQuery(unsafeSQL: sql))
    }

    /// The first column of the first row, as the superuser.
    func scalar<T: PostgresDecodable>(_ sql: String, as: T.Type = T.self) async throws -> T {
        let rows = try await admin(sql)
        guard let row = rows.first else { throw InvariantsError(.notFound, "no row: \(sql)") }
        return try row.decode(T.self)
    }

    /// Runs SQL as `user` in one transaction (RLS applies) and returns its rows.
    @discardableResult
    func run(as user: UserContext, _ sql: String) async throws(InvariantsError) -> [PostgresRow] {
        try await client.run(as: user) { conn in
            try await conn.query(PostgresQuery(unsafeSQL: sql), logger: mwrLogger).collect()
        }
    }

    /// Creates a session as `owner` (through RLS, as the app would) with these models and settings.
    func makeSession(owner: UUID, models: [String], settings: [String: String] = [:]) async throws -> UUID {
        let id = UUID()
        let selected = models.map { "\"\($0)\"" }.joined(separator: ", ")
        let perModel = settings.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        try await run(as: .user(owner), """
            INSERT INTO public.sessions (id, user_id, title, session_config)
            VALUES ('\(id)', '\(owner)', 'task', '{"selectedModels": [\(selected)], "perModelSettings": {\(perModel)}}')
            """)
        return id
    }

    /// (response_count, total_brains, dismissal_count) of one row; session nil = the lifetime row.
    func counters(user: UUID, model: String, session: UUID?) async throws -> (Int64, Int64, Int64)? {
        let sessionTest = session.map { "session_id = '\($0)'" } ?? "session_id IS NULL"
        let rows = try await admin("""
            SELECT response_count, total_brains, dismissal_count FROM public.model_statistics
            WHERE user_id = '\(user)' AND model_id = '\(model)' AND \(sessionTest)
            """)
        return try rows.first?.decode((Int64, Int64, Int64).self)
    }

    func statisticsRowCount() async throws -> Int64 {
        try await scalar("SELECT count(*) FROM public.model_statistics")
    }

    /// `config_version` and a text rendering of `session_config`.
    func config(_ session: UUID) async throws -> (Int64, String) {
        let rows = try await admin("SELECT config_version, session_config::text FROM public.sessions WHERE id = '\(session)'")
        return try rows[0].decode((Int64, String).self)
    }
}

func withModelWorkRecord<T>(_ body: (ModelWorkRecordFixture) async throws -> T) async throws -> T {
    let database = try await catalogDatabase()
    let client = try await InvariantsClient.connect(url: database.url, logger: mwrLogger)
    let fixture = ModelWorkRecordFixture(database: database, client: client)
    try await fixture.admin("""
        INSERT INTO auth.users (id, email) VALUES
            ('\(fixture.alice)', 'alice@example.com'), ('\(fixture.bob)', 'bob@example.com'), ('\(fixture.carol)', 'carol@example.com')
        """)
    let value: T
    do {
        value = try await body(fixture)
    } catch {
        client.close()
        throw error
    }
    client.close()
    try? await database.drop()
    return value
}
