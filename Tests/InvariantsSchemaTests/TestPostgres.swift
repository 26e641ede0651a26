import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL 15 for this test target only (the project's harness will
/// replace it): initdb in a temp dir owned by `postgres`, a server listening only on a
/// Unix socket in that dir, SQL run through `psql -v ON_ERROR_STOP=1`.
///
/// The server is started with `system()` and `pg_ctl start -w`, not Foundation's
/// `Process`, which hangs on Linux when the postmaster inherits its exit-detection socket.
final class TestPostgres: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let bin = "/usr/lib/postgresql/15/bin"
    let directory: String
    let port = 5432

    init() throws {
        directory = "/tmp/invariants-schema-pg-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        if getuid() == 0 { try Self.run("/bin/chown", ["postgres:postgres", directory], in: directory) }
        try Self.run(
            Self.bin + "/initdb",
            ["-D", directory + "/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"],
            in: directory, asPostgres: true)
        let options = "-k \(directory) -p \(port) -c listen_addresses= -c fsync=off"
        let start = "cd \(directory) && \(Self.prefix)\(Self.bin)/pg_ctl start -w -D \(directory)/data"
            + " -l \(directory)/server.log -o '\(options)' >\(directory)/pg_ctl.log 2>&1 </dev/null"
        guard system(start) == 0 else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw Failure(description: "pg_ctl start failed: \(log)")
        }
    }

    /// Stops the server at once and deletes its directory.
    func stop() {
        _ = try? Self.run(
            Self.bin + "/pg_ctl", ["stop", "-D", directory + "/data", "-m", "immediate", "-w"],
            in: directory, asPostgres: true)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `sql` (any number of statements, as a psql script) and returns the unaligned,
    /// tuples-only output without the final newline. Throws with psql's stderr on error.
    @discardableResult
    func psql(_ sql: String, database: String = "postgres") throws -> String {
        let script = directory + "/" + UUID().uuidString + ".sql"
        try sql.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        var output = try Self.run(
            Self.bin + "/psql",
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory, "-p", String(port),
             "-U", "postgres", "-d", database, "-f", script],
            in: directory)
        if output.hasSuffix("\n") { output.removeLast() }
        return output
    }

    static var prefix: String { getuid() == 0 ? "setpriv --reuid=postgres --regid=postgres --clear-groups " : "" }

    /// Runs a program to completion; stdout and stderr go to files, so no pipe can fill up.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], in directory: String, asPostgres: Bool = false) throws -> String {
        let process = Process()
        if asPostgres && getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=postgres", "--regid=postgres", "--clear-groups", program] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let outPath = NSTemporaryDirectory() + "inv-out-" + UUID().uuidString
        let errPath = NSTemporaryDirectory() + "inv-err-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(program) exited \(process.terminationStatus): \(stderr)")
        }
        return stdout
    }
}

extension String {
    /// Lowercase hex of the UTF-8 bytes, to compare names exactly with `encode(…, 'hex')`.
    var utf8Hex: String {
        utf8.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
