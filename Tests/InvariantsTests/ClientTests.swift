import Foundation
import Invariants
import InvariantsTesting
import Logging
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedAppsTesting
import SupportChat

private let quiet: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

private func withClient<T>(_ body: (InvariantsClient) async throws -> T) async throws -> T {
    let server = try await ThrowawayPostgres.shared()
    let database = try await server.makeDatabase(from: nil)
    let client = try await InvariantsClient.connect(url: database.url, logger: quiet)
    defer { client.close() }
    try await client.execute("CREATE TABLE parents (id int PRIMARY KEY)")
    try await client.execute("""
        CREATE TABLE children (
            id int PRIMARY KEY,
            parent_id int NOT NULL REFERENCES parents (id),
            score int NOT NULL CONSTRAINT children_score_range CHECK (score BETWEEN 1 AND 5),
            email text UNIQUE
        )
        """)
    try await client.execute("INSERT INTO parents VALUES (1)")
    return try await body(client)
}

@Suite("Client core against a real PostgreSQL")
struct ClientTests {
    @Test("connects from a URL and runs a transaction that commits, and one that rolls back")
    func transactions() async throws {
        try await withClient { client in
            try await client.transaction { conn in
                try await conn.query("INSERT INTO children VALUES (1, 1, 3, 'a@x')", logger: quiet)
                try await conn.query("INSERT INTO children VALUES (2, 1, 4, 'b@x')", logger: quiet)
            }
            await #expect(throws: InvariantsError.self) {
                try await client.transaction { conn in
                    try await conn.query("INSERT INTO children VALUES (3, 1, 5, 'c@x')", logger: quiet)
                    try await conn.query("INSERT INTO children VALUES (4, 1, 9, 'd@x')", logger: quiet)
                }
            }
            let rows = try await client.query("SELECT count(*) FROM children")
            #expect(try rows.first?.decode(Int64.self) == 2, "the failed transaction left nothing")
        }
    }

    @Test("server errors become typed errors carrying SQLSTATE, constraint and column")
    func errorMapping() async throws {
        try await withClient { client in
            try await client.execute("INSERT INTO children VALUES (1, 1, 3, 'a@x')")

            let unique = await #expect(throws: InvariantsError.self) { try await client.execute("INSERT INTO children VALUES (2, 1, 3, 'a@x')") }
            #expect(unique?.kind == .uniqueViolation)
            #expect(unique?.constraint == "children_email_key")
            #expect(unique?.sqlState == "23505")

            let check = await #expect(throws: InvariantsError.self) { try await client.execute("INSERT INTO children VALUES (3, 1, 0, 'z@x')") }
            #expect(check?.kind == .checkViolation)
            #expect(check?.constraint == "children_score_range")
            #expect(check?.table == "children")

            let foreignKey = await #expect(throws: InvariantsError.self) { try await client.execute("INSERT INTO children VALUES (4, 99, 3, 'y@x')") }
            #expect(foreignKey?.kind == .foreignKeyViolation)
            #expect(foreignKey?.constraint == "children_parent_id_fkey")

            let notNull = await #expect(throws: InvariantsError.self) { try await client.execute("INSERT INTO children (id, score) VALUES (5, 3)") }
            #expect(notNull?.kind == .notNullViolation)
            #expect(notNull?.column == "parent_id")

            let project = await #expect(throws: InvariantsError.self) {
                try await client.execute("""
                    DO $$ BEGIN
                        RAISE EXCEPTION 'brains must be positive, got %', -3 USING ERRCODE = 'IV422', COLUMN = 'brains', HINT = 'pass 1 or more';
                    END $$
                    """)
            }
            #expect(project?.kind == .invalidInput)
            #expect(project?.projectCode == .invalidInput)
            #expect(project?.column == "brains")
            #expect(project?.message == "brains must be positive, got -3")
            #expect(project?.hint == "pass 1 or more")

            let notFound = await #expect(throws: InvariantsError.self) {
                try await client.transaction { conn in
                    try await conn.query("DO $$ BEGIN RAISE EXCEPTION 'gig not found' USING ERRCODE = 'IV404'; END $$", logger: quiet)
                }
            }
            #expect(notFound?.kind == .notFound, "errors inside a transaction are unwrapped from PostgresTransactionError")
        }
    }

    @Test("unreachable server, wrong password, missing database: a clear typed error within seconds")
    func connectionFailures() async throws {
        let server = try await ThrowawayPostgres.shared()
        let clock = ContinuousClock()
        // "Within seconds", not a hang: the kinds below tell a refusal from a timeout; the bound
        // leaves room for a shared server busy with the rest of the suite on 2 cores.
        let bound = Duration.seconds(15)

        // A port nobody listens on: bind one, then close it.
        let closedPort = try freeLoopbackPort()
        var started = clock.now
        let refused = await #expect(throws: InvariantsError.self) {
            try await InvariantsClient.connect(url: "postgres://postgres:x@127.0.0.1:\(closedPort)/postgres?sslmode=disable", logger: quiet)
        }
        #expect(refused?.kind == .connectionFailed)
        #expect(refused?.message.contains("127.0.0.1:\(closedPort)") == true)
        #expect(clock.now - started < bound)

        started = clock.now
        let wrong = await #expect(throws: InvariantsError.self) {
            try await InvariantsClient.connect(url: "postgres://postgres:wrong@127.0.0.1:\(server.port)/postgres?sslmode=disable", logger: quiet)
        }
        #expect(wrong?.kind == .authenticationFailed)
        #expect(wrong?.sqlState == "28P01")
        #expect(clock.now - started < bound)

        started = clock.now
        let missing = await #expect(throws: InvariantsError.self) {
            try await InvariantsClient.connect(url: "postgres://postgres:\(server.password)@127.0.0.1:\(server.port)/no_such_db?sslmode=disable", logger: quiet)
        }
        #expect(missing?.kind == .databaseNotFound)
        #expect(missing?.message.contains("no_such_db") == true)
        #expect(clock.now - started < bound)

        let bad = await #expect(throws: InvariantsError.self) { try await InvariantsClient.connect(url: "postgres//oops", logger: quiet) }
        #expect(bad?.kind == .invalidURL)
    }
}
