import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import SeedAppsTesting
import SupportChat

/// A private migrated database and a superuser client that acts as `service_role` (or a user)
/// through `run(as:)`.
struct SupportChatFixture: Sendable {
    let database: TestDatabase
    let client: InvariantsClient

    /// `allModules`: a database with every module (the views tests compare seed 003's views too).
    static func make(allModules: Bool = false) async throws -> SupportChatFixture {
        let database = try await catalogDatabase(allModules: allModules)
        let client = try await InvariantsClient.connect(url: database.url, maximumConnections: 24, logger: quietLogger)
        return SupportChatFixture(database: database, client: client)
    }

    func close() async {
        client.close()
        try? await database.drop()
    }

    /// Runs raw SQL as `context` (the service by default); check violations name their column.
    @discardableResult
    func sql(_ text: String, as context: UserContext = .service) async throws(InvariantsError) -> [PostgresRow] {
        do {
            return try await client.run(as: context) { conn in
                try await conn.query(PostgresQuery(unsafeSQL: text), logger: quietLogger).collect()
            }
        } catch {
            throw InvariantsClient.namingCheckColumn(error)
        }
    }

    /// A bigint read as the superuser (no RLS).
    func count(_ text: String) async throws -> Int64 {
        try await client.query(PostgresQuery(unsafeSQL: text)).first!.decode(Int64.self)
    }

    /// Rows of every seed-001 table, as one number (for "nothing written").
    func allRows() async throws -> Int64 {
        try await count("""
            SELECT (SELECT count(*) FROM public.chat_sessions) + (SELECT count(*) FROM public.chat_messages)
                 + (SELECT count(*) FROM public.agent_traces) + (SELECT count(*) FROM public.tool_executions)
                 + (SELECT count(*) FROM public.learning_records)
            """)
    }

    /// Opens `sessionID` (active) and returns it.
    @discardableResult
    func open(_ sessionID: String, category: String? = "billing", email: String? = nil) async throws -> ChatSession {
        try await client.openChatSession(NewChatSession(sessionID: sessionID, customerEmail: email, primaryCategory: category))
    }

    /// The counters as stored, and as counted from chat_messages.
    func counters(_ sessionID: String) async throws -> (stored: [Int32], actual: [Int64]) {
        let row = try await client.query(
            """
            SELECT s.total_messages, s.ai_messages, s.human_messages,
                   (SELECT count(*) FROM public.chat_messages m WHERE m.session_id = s.session_id),
                   (SELECT count(*) FROM public.chat_messages m WHERE m.session_id = s.session_id AND m.role = 'assistant'),
                   (SELECT count(*) FROM public.chat_messages m WHERE m.session_id = s.session_id AND m.role = 'user')
            FROM public.chat_sessions s WHERE s.session_id = \(sessionID)
            """).first!
        let (t, a, h, ct, ca, ch) = try row.decode((Int32, Int32, Int32, Int64, Int64, Int64).self)
        return ([t, a, h], [ct, ca, ch])
    }
}

/// Runs `body` with a fresh fixture and closes it afterwards.
func withSupportChat(allModules: Bool = false, _ body: (SupportChatFixture) async throws -> Void) async throws {
    let fixture = try await SupportChatFixture.make(allModules: allModules)
    do {
        try await body(fixture)
        await fixture.close()
    } catch {
        await fixture.close()
        throw error
    }
}
