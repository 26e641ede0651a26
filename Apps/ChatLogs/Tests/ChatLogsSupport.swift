import Foundation
import Invariants
import InvariantsTesting
import Logging
import PostgresNIO
import ChatLogs
import SeedAppsTesting

let chatLogsQuiet = quietLogger

/// A private database cloned from the migrated catalog template, a client connected to it
/// as the superuser (it acts as users through `run(as:)`), and two users.
struct ChatLogsFixture: Sendable {
    let database: TestDatabase
    let client: InvariantsClient
    let alice: UUID
    let bob: UUID

    static func make() async throws -> ChatLogsFixture {
        let database = try await catalogDatabase()
        let client = try await InvariantsClient.connect(url: database.url, logger: chatLogsQuiet)
        let alice = UUID()
        let bob = UUID()
        try await client.execute(
            "INSERT INTO auth.users (id, email) VALUES (\(alice), 'alice@example.com'), (\(bob), 'bob@example.com')")
        return ChatLogsFixture(database: database, client: client, alice: alice, bob: bob)
    }

    func close() async {
        client.close()
        try? await database.drop()
    }

    /// A count (or any bigint) read as the superuser, bypassing RLS.
    func count(_ sql: String) async throws -> Int64 {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql))
        return try rows.first!.decode(Int64.self)
    }

    /// Runs one statement as `context` and returns the rows.
    @discardableResult
    func sql(_ query: PostgresQuery, as context: UserContext) async throws(InvariantsError) -> [PostgresRow] {
        try await client.run(as: context) { conn in
            try await conn.query(query, logger: chatLogsQuiet).collect()
        }
    }

    /// Logs a simple chat for `user`.
    @discardableResult
    func log(
        _ user: UUID, question: String = "What is AAPL at?", cost: Decimal = Decimal(string: "0.010000")!,
        input: Int32 = 100, output: Int32 = 200
    ) async throws(InvariantsError) -> Int64 {
        try await client.logChat(ChatLogEntry(
            userID: user, question: question, response: "About 190.", toolsUsedJSON: #"[{"name": "get_price", "duration_ms": 12}]"#,
            inputTokens: input, outputTokens: output, cost: cost, model: "claude-haiku-4-5-20251001"))
    }
}

/// Runs `body` with a fresh fixture and closes it afterwards.
func withChatLogs(_ body: (ChatLogsFixture) async throws -> Void) async throws {
    let fixture = try await ChatLogsFixture.make()
    do {
        try await body(fixture)
        await fixture.close()
    } catch {
        await fixture.close()
        throw error
    }
}
