import Foundation
import InvariantsTesting
import PostgresNIO
import Subprocess
import Testing

#if canImport(Glibc)
import Glibc
#endif

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

    /// A killed test process leaves its replica running like its server: the next start's
    /// sweep finds the replica's directory by its dead owner and stops it too.
    @Test("an abandoned replica is stopped and removed by the stale-directory sweep")
    func abandonedReplicaIsSwept() async throws {
        let base = NSTemporaryDirectory() + "invariants-sweep-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let server = try await ThrowawayPostgres.start(.init(baseDirectory: base))
        do {
            let replica = try await server.startReplica()
            let postmaster = try postmasterPID(replica.directory)
            #expect(isRunning(postmaster))
            let deadPID = try await exitedProcessID()
            try "\(deadPID) -\n".write(toFile: replica.directory + "/owner.pid", atomically: true, encoding: .utf8)

            await ThrowawayPostgres.removeStaleDirectories(in: base)
            #expect(!FileManager.default.fileExists(atPath: replica.directory))
            #expect(!isRunning(postmaster))
            #expect(FileManager.default.fileExists(atPath: server.directory), "the live primary stays")
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }

    private func postmasterPID(_ directory: String) throws -> Int32 {
        let text = try String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8)
        return try #require(Int32(text.split(separator: "\n").first ?? ""))
    }

    /// The pid of a process that has exited and been reaped: an owner that is gone.
    private func exitedProcessID() async throws -> Int32 {
        try await Subprocess.run(.path("/bin/true"), output: .discarded).processIdentifier.value
    }
}
