import Foundation
import InvariantsTesting
import Subprocess
// FilePath: swift-system on Linux, the System framework on Apple platforms
// (swift-subprocess makes the same choice).
#if canImport(SystemPackage)
import SystemPackage
#else
import System
#endif
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Cleaning up after killed test processes")
struct StaleSweepTests {
    /// Simulates a SIGKILLed owner: the server keeps running, no exit hook
    /// ran, and its owner file names a process that no longer exists.
    @Test("a server whose owner died is stopped and its directory removed")
    func abandonedServerIsRemoved() async throws {
        let base = NSTemporaryDirectory() + "invariants-sweep-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let server = try await ThrowawayPostgres.start(.init(baseDirectory: base, stopAtExit: false))
        let postmaster = try postmasterPID(server.directory)
        #expect(kill(postmaster, 0) == 0)

        let deadPID = try await exitedProcessID()
        try "\(deadPID) -\n".write(toFile: server.directory + "/owner.pid", atomically: true, encoding: .utf8)

        // A live neighbour in the same base must survive the sweep.
        let neighbour = try await ThrowawayPostgres.start(.init(baseDirectory: base))

        await ThrowawayPostgres.removeStaleDirectories(in: base)
        #expect(!FileManager.default.fileExists(atPath: server.directory))
        #expect(!isRunning(postmaster))
        await #expect(throws: (any Error).self) {
            let connection = try await connect(url: server.url())
            try? await connection.close()
        }

        #expect(FileManager.default.fileExists(atPath: neighbour.directory))
        let connection = try await connect(url: neighbour.url())
        #expect(try await scalar(connection, "select 1::text") == "1")
        try await connection.close()
        try await neighbour.stop()
    }

    @Test("an owner pid recorded with a different start time counts as dead (pid reuse)")
    func reusedPIDCountsAsDead() async throws {
        let base = NSTemporaryDirectory() + "invariants-sweep-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let server = try await ThrowawayPostgres.start(.init(baseDirectory: base, stopAtExit: false))
        // Our own pid is alive, but with a start time it never had.
        try "\(getpid()) 1\n".write(toFile: server.directory + "/owner.pid", atomically: true, encoding: .utf8)
        await ThrowawayPostgres.removeStaleDirectories(in: base)
        #expect(!FileManager.default.fileExists(atPath: server.directory))
    }

    private func postmasterPID(_ directory: String) throws -> Int32 {
        let text = try String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8)
        return try #require(Int32(text.split(separator: "\n").first ?? ""))
    }

    /// The pid of a process that has exited and been reaped.
    private func exitedProcessID() async throws -> Int32 {
        let result = try await Subprocess.run(.path("/bin/true"), output: .discarded)
        return result.processIdentifier.value
    }
}
