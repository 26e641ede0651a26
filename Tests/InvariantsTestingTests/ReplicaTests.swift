import Foundation
import InvariantsTesting
import PostgresNIO
import Testing

@Suite("A streaming hot-standby replica of a throwaway server")
struct ReplicaTests {
    @Test("replays what the primary commits, refuses writes, runs as the server's user and is removed by stop()")
    func replicaFollowsPrimary() async throws {
        let server = try await ThrowawayPostgres.start()
        do {
            let primary = try await server.connectOverSocket()
            _ = try await primary.query("CREATE TABLE replicated (id int PRIMARY KEY)", logger: logger).collect()
            _ = try await primary.query("INSERT INTO replicated SELECT generate_series(1, 100)", logger: logger).collect()

            let replica = try await server.startReplica()
            print("pg_basebackup + standby start took \(replica.startupDuration)")
            #expect(replica.port != server.port)
            #expect(replica.directory != server.directory)
            if runningAsRoot { #expect(ownerUID(replica.directory + "/data") == postgresUID()) }
            try await replica.waitForReplay(of: try await server.currentWALPosition())

            let standby = try await replica.connect()
            #expect(try await scalar(standby, "SELECT pg_is_in_recovery()::text") == "true")
            #expect(try await scalar(standby, "SELECT count(*)::text FROM replicated") == "100")
            await #expect(throws: PSQLError.self, "read-only") {
                _ = try await standby.query("INSERT INTO replicated VALUES (101)", logger: logger).collect()
            }
            await #expect(throws: PSQLError.self, "no temp tables on a standby") {
                _ = try await standby.query("CREATE TEMP TABLE scratch (id int)", logger: logger).collect()
            }

            // A later commit arrives too: the standby streams, it is not a one-time copy.
            _ = try await primary.query("INSERT INTO replicated VALUES (101)", logger: logger).collect()
            let replayed = try await replica.waitForReplay(of: try await server.currentWALPosition())
            #expect(!replayed.isEmpty)
            #expect(try await scalar(standby, "SELECT count(*)::text FROM replicated") == "101")
            try await standby.close()
            try await primary.close()

            let directory = replica.directory
            try await replica.stop()
            #expect(!FileManager.default.fileExists(atPath: directory))
            try await replica.stop()  // a second stop does nothing
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test("stopping the primary stops and removes its replica; waiting on a stopped replica fails clearly")
    func stopsWithPrimary() async throws {
        let server = try await ThrowawayPostgres.start()
        let replica: ThrowawayReplica
        do {
            replica = try await server.startReplica()
        } catch {
            try? await server.stop()
            throw error
        }
        let directory = replica.directory
        try await server.stop()
        #expect(!FileManager.default.fileExists(atPath: directory))
        await #expect(throws: (any Error).self) { try await replica.waitForReplay(of: "0/0", timeout: .seconds(2)) }
    }
}
