import Foundation
import InvariantsTesting
import PostgresNIO
import Testing

/// Clones and drops share one admin session per server: opening a connection per statement
/// cost more than the clone itself.
@Suite("The admin session behind makeDatabase")
struct AdminSessionTests {
    /// Backends connected to the `postgres` database, other than the one asking.
    static func adminBackends(_ server: ThrowawayPostgres) async throws -> [Int32] {
        let connection = try await server.connectOverSocket(database: "postgres")
        do {
            var pids: [Int32] = []
            for try await pid in try await connection.query(
                "SELECT pid FROM pg_stat_activity WHERE datname = 'postgres' AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                logger: logger
            ).decode(Int32.self) { pids.append(pid) }
            try await connection.close()
            return pids
        } catch {
            try? await connection.close()
            throw error
        }
    }

    @Test("ten clones and drops use one session; a killed session is replaced on the next clone")
    func oneSessionSurvivesKill() async throws {
        let server = try await ThrowawayPostgres.start()
        do {
            for _ in 0..<10 { try await server.makeDatabase().drop() }
            let sessions = try await Self.adminBackends(server)
            #expect(sessions.count == 1, "admin sessions: \(sessions)")
            // A fault test's SIGTERM to every backend (as pg_terminate_backend does).
            let killer = try await server.connectOverSocket(database: "postgres")
            _ = try await killer.query("SELECT pg_terminate_backend(\(sessions[0]))", logger: logger).collect()
            try await killer.close()
            let database = try await server.makeDatabase()
            let connection = try await database.connect()
            let one = try await connection.query("SELECT 1", logger: logger).collect().count
            try await connection.close()
            #expect(one == 1)
            try await database.drop()
            #expect(try await Self.adminBackends(server).count == 1)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }
}
