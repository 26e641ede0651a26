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

/// Tests that need a second test process: one that is SIGKILLed while it owns
/// a server, and one that runs as a non-root user. The child is this same test
/// binary, run with a filter selecting one `child…` test and an environment
/// variable that tells that test to act; in a normal run the `child…` tests
/// see no such variable and do nothing.
@Suite("Other test processes")
struct ChildProcessTests {
    static let modeVariable = "INVARIANTS_TESTING_CHILD_MODE"
    static let baseVariable = "INVARIANTS_TESTING_CHILD_BASE"
    static let readyVariable = "INVARIANTS_TESTING_CHILD_READY"

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    // MARK: SIGKILLed owner

    @Test("a server left by a SIGKILLed test process is swept by the next start")
    func killedOwnerIsSwept() async throws {
        let base = NSTemporaryDirectory() + "invariants-killed-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let ready = base + "/ready"

        let result = try await Subprocess.run(
            .path(FilePath(CommandLine.arguments[0])),
            arguments: Arguments(Self.childArguments(test: "childHoldsServerUntilKilled")),
            environment: Self.childEnvironment([
                Self.modeVariable: "hold", Self.baseVariable: base, Self.readyVariable: ready,
            ]),
            input: .none, output: .discarded, error: .discarded
        ) { execution -> String? in
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline {
                if let text = try? String(contentsOfFile: ready, encoding: .utf8), text.hasSuffix("\n") {
                    try execution.send(signal: .kill)
                    return text
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            try execution.send(signal: .kill)
            return nil
        }
        let lines = try #require(result.closureResult).split(separator: "\n").map(String.init)
        let directory = lines[0]
        let postmaster = try #require(Int32(lines[1]))
        #expect(result.terminationStatus == TerminationStatus.signaled(SIGKILL))
        // The exit hook could not run: the server is still there.
        #expect(FileManager.default.fileExists(atPath: directory))
        #expect(kill(postmaster, 0) == 0)

        // The next server started in that base sweeps it.
        let next = try await ThrowawayPostgres.start(.init(baseDirectory: base))
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(!isRunning(postmaster))
        try await next.stop()
    }

    @Test("child: holds a server until killed (acts only when spawned by killedOwnerIsSwept)")
    func childHoldsServerUntilKilled() async throws {
        guard Self.environment[Self.modeVariable] == "hold",
            let base = Self.environment[Self.baseVariable], let ready = Self.environment[Self.readyVariable]
        else { return }
        let server = try await ThrowawayPostgres.start(.init(baseDirectory: base))
        let pid = try String(contentsOfFile: server.directory + "/data/postmaster.pid", encoding: .utf8)
            .split(separator: "\n")[0]
        try "\(server.directory)\n\(pid)\n".write(toFile: ready, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .seconds(300))
    }

    // MARK: non-root

    @Test("as a non-root user the server runs as that user")
    func nonRootUser() async throws {
        guard geteuid() == 0 else {
            // Already the non-root path: do the child's work here.
            try await Self.startAsCurrentNonRootUser(base: NSTemporaryDirectory())
            return
        }
        let postgres = try #require(getpwnam("postgres")?.pointee)
        let base = NSTemporaryDirectory() + "invariants-nonroot-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(chown(base, postgres.pw_uid, postgres.pw_gid) == 0)

        let result = try await Subprocess.run(
            .path("/usr/bin/setpriv"),
            arguments: Arguments(
                ["--reuid=postgres", "--regid=postgres", "--clear-groups", CommandLine.arguments[0]]
                    + Self.childArguments(test: "childStartsAsNonRoot")),
            environment: Self.childEnvironment([Self.modeVariable: "nonroot", Self.baseVariable: base]),
            workingDirectory: FilePath(base),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let output = result.standardOutput + result.standardError
        #expect(result.terminationStatus.isSuccess, "child output:\n\(output)")
        #expect(output.contains("CHILD-NONROOT-OK uid=\(postgres.pw_uid)"), "child output:\n\(output)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: base)
        #expect(leftovers.filter { $0.hasPrefix("invariants-pg-") }.isEmpty)
    }

    @Test("child: starts a server as a non-root user (acts only when spawned by nonRootUser)")
    func childStartsAsNonRoot() async throws {
        guard Self.environment[Self.modeVariable] == "nonroot", let base = Self.environment[Self.baseVariable]
        else { return }
        try await Self.startAsCurrentNonRootUser(base: base)
    }

    static func startAsCurrentNonRootUser(base: String) async throws {
        #expect(geteuid() != 0)
        let server = try await ThrowawayPostgres.start(.init(baseDirectory: base))
        do {
            #expect(ownerUID(server.directory + "/data") == geteuid())
            let connection = try await connect(url: server.url())
            #expect(try await scalar(connection, "select current_user") == "postgres")
            try await connection.close()
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
        print("CHILD-NONROOT-OK uid=\(geteuid())")
    }

    static func childEnvironment(_ values: [String: String]) -> Subprocess.Environment {
        .inherit.updating(
            Dictionary(uniqueKeysWithValues: values.map { (Subprocess.Environment.Key(stringLiteral: $0.key), $0.value) }))
    }

    static func childArguments(test: String) -> [String] {
        ["--testing-library", "swift-testing", "--filter", test]
    }
}

/// Whether `pid` is a live process; zombies (never reaped when PID 1 in a
/// container does not reap orphans) count as gone.
func isRunning(_ pid: Int32) -> Bool {
    for _ in 0..<20 {
        if kill(pid, 0) != 0 { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        if let closing = stat.lastIndex(of: ")"), stat[closing...].hasPrefix(") Z") { return false }
        usleep(50_000)
    }
    return true
}
