import Foundation
import InvariantsTesting
import PostgresNIO
import Testing

@Suite("Connections a failing test leaves open")
struct OpenConnectionsTests {
    /// Without ``OpenConnections`` the dropped connection trips PostgresNIO's "deinitialized
    /// before being closed" assertion and the whole test process dies here.
    @Test("a connection dropped unclosed (its test threw) stays open until its server ends it; the process lives on")
    func droppedConnectionIsKept() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase()
        func failing() async throws {
            let connection = try await database.connect()
            _ = try await connection.query("SELECT 1 / 0", logger: logger).collect()
            try await connection.close()
        }
        await #expect(throws: PSQLError.self) { try await failing() }
        let admin = try await server.connectOverSocket()
        let backends = try await scalar(admin, "SELECT count(*)::text FROM pg_stat_activity WHERE datname = '\(database.name)'")
        try await admin.close()
        #expect(backends == "1", "the dropped connection is still open")
        try await database.drop()  // WITH (FORCE) ends its session; its channel closes and it is let go
    }
}
