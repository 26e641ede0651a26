import Foundation
import InvariantsTesting
import PostgresNIO
import Testing

@Suite("Starting a throwaway server")
struct ServerStartTests {
    @Test("the URL's password works over TCP, fsync is off, extra settings apply")
    func startAndQuery() async throws {
        let server = try await ThrowawayPostgres.start(
            .init(extraSettings: ["idle_in_transaction_session_timeout": "5s"]))
        print("initdb + start took \(server.startupDuration)")
        do {
            let connection = try await connect(url: server.url())
            let version = try await scalar(connection, "select version()")
            #expect(version?.hasPrefix("PostgreSQL") == true)
            #expect(try await scalar(connection, "show fsync") == "off")
            #expect(try await scalar(connection, "show listen_addresses") == "127.0.0.1")
            #expect(try await scalar(connection, "show idle_in_transaction_session_timeout") == "5s")
            try await connection.close()

            #expect(server.url().hasSuffix("@127.0.0.1:\(server.port)/postgres?sslmode=disable"))
            if runningAsRoot {
                #expect(ownerUID(server.directory + "/data") == postgresUID())
            } else {
                #expect(ownerUID(server.directory + "/data") == geteuid())
            }
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test("a wrong password is rejected over TCP")
    func wrongPasswordRejected() async throws {
        let server = try await ThrowawayPostgres.shared()
        var configuration = server.connectionConfiguration(database: "postgres")
        configuration.password = "not-the-password"
        await #expect(throws: (any Error).self) {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 7, logger: logger)
            try? await connection.close()
        }
    }

    @Test("a relative base directory works and stop removes the directory and closes the port")
    func relativeBaseAndStop() async throws {
        let relative = ".build/invariants-testing-relative-base"
        let server = try await ThrowawayPostgres.start(.init(baseDirectory: relative))
        #expect(server.directory.hasPrefix(FileManager.default.currentDirectoryPath + "/" + relative + "/invariants-pg-"))
        let connection = try await connect(url: server.url())
        #expect(try await scalar(connection, "select 1::text") == "1")
        try await connection.close()

        try await server.stop()
        #expect(!FileManager.default.fileExists(atPath: server.directory))
        await #expect(throws: (any Error).self) {
            let again = try await connect(url: server.url())
            try? await again.close()
        }
        try await server.stop()  // a second stop is harmless
    }

    @Test("as root, running the server as root itself fails with initdb's message")
    func rootRefused() async throws {
        guard runningAsRoot else { return }
        let error = await #expect(throws: ThrowawayPostgresError.self) {
            _ = try await ThrowawayPostgres.start(.init(runServerAs: .currentUser))
        }
        #expect(error?.description.contains("initdb") == true)
        #expect(error?.description.contains("root") == true)
    }
}
