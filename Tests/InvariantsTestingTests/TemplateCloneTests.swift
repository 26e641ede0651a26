import Foundation
import InvariantsTesting
import PostgresNIO
import Testing

@Suite("Templates and clones")
struct TemplateCloneTests {
    static let templateName = "harness_template"

    static func template(on server: ThrowawayPostgres) async throws -> String {
        try await server.template(named: templateName) { connection in
            try await connection.query(
                "CREATE TABLE widgets (id int PRIMARY KEY, label text NOT NULL)", logger: logger)
            try await connection.query("INSERT INTO widgets VALUES (1, 'from template')", logger: logger)
        }
    }

    @Test("parallel tests each get their own clone of one template")
    func parallelClones() async throws {
        let server = try await ThrowawayPostgres.shared()
        let clones = 6
        let results = try await withThrowingTaskGroup(of: (TestDatabase, Duration).self) { group in
            for index in 0..<clones {
                group.addTask {
                    let database = try await server.makeDatabase(from: try await Self.template(on: server))
                    try await database.withConnection { connection in
                        // A row only this clone gets.
                        try await connection.query(
                            PostgresQuery(unsafeSQL: "INSERT INTO widgets VALUES (\(100 + index), 'clone \(index)')"),
                            logger: logger)
                    }
                    return (database, database.creationDuration)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.0.name)).count == clones)
        for (database, duration) in results {
            print("clone \(database.name) took \(duration)")
            try await database.withConnection { connection in
                try await expectScalar(connection, "SELECT label FROM widgets WHERE id = 1", "from template")
                try await expectScalar(connection, "SELECT count(*)::text FROM widgets", "2")
            }
            try await database.drop()
        }
    }

    @Test("a clone can be made while other clones are in use")
    func cloneWhileOthersConnected() async throws {
        let server = try await ThrowawayPostgres.shared()
        let template = try await Self.template(on: server)
        let first = try await server.makeDatabase(from: template)
        let busy = try await first.connect()
        try await busy.query("BEGIN", logger: logger)
        try await busy.query("INSERT INTO widgets VALUES (2, 'uncommitted')", logger: logger)

        let second = try await server.makeDatabase(from: template)
        print("clone while another clone is in a transaction took \(second.creationDuration)")
        try await second.withConnection { connection in
            try await expectScalar(connection, "SELECT count(*)::text FROM widgets", "1")
        }
        try await busy.query("COMMIT", logger: logger)
        #expect(try await scalar(busy, "SELECT count(*)::text FROM widgets") == "2")
        try await busy.close()
        try await first.drop()  // and dropping works
        try await second.drop()
        let again = try await server.makeDatabase(from: template)
        try await again.withConnection { connection in
            try await expectScalar(connection, "SELECT count(*)::text FROM widgets", "1")
        }
        try await again.drop()
    }

    @Test("a template is built once; later calls return at once; no template means an empty database")
    func templateBuiltOnce() async throws {
        let server = try await ThrowawayPostgres.shared()
        let builds = Counter()
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await server.template(named: "built_once") { connection in
                        await builds.increment()
                        try await Task.sleep(for: .milliseconds(200))
                        try await connection.query("CREATE TABLE marker (x int)", logger: logger)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(names) == ["built_once"])
        #expect(await builds.value == 1)

        let empty = try await server.makeDatabase(from: nil)
        try await empty.withConnection { connection in
            try await expectScalar(connection, "SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'", "0")
        }
        try await empty.drop()
    }

    @Test("a failing prepare reports its error and can be retried")
    func failingPrepare() async throws {
        let server = try await ThrowawayPostgres.shared()
        let error = await #expect(throws: ThrowawayPostgresError.self) {
            _ = try await server.template(named: "broken_template") { connection in
                try await connection.query("CREATE TABLE nope (", logger: logger)
            }
        }
        #expect(error?.description.contains("broken_template") == true)
        #expect(error?.description.contains("42601") == true)  // the server's syntax error, not redacted

        let fixed = try await server.template(named: "broken_template") { connection in
            try await connection.query("CREATE TABLE fixed (x int)", logger: logger)
        }
        let clone = try await server.makeDatabase(from: fixed)
        try await clone.withConnection { connection in
            try await expectScalar(connection, "SELECT count(*)::text FROM pg_tables WHERE tablename = 'fixed'", "1")
        }
        try await clone.drop()
    }
}

actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}
