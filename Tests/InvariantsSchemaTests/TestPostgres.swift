import Foundation
import InvariantsTesting

/// A fresh database on the project's throwaway server (InvariantsTesting), with SQL run
/// through `psql -v ON_ERROR_STOP=1` — the renderer's output is a script a DBA would run,
/// so these tests run it the same way.
final class TestPostgres: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let url: String
    private let name: String
    private let server: ThrowawayPostgres

    private init(server: ThrowawayPostgres, database: TestDatabase) {
        self.server = server
        self.url = database.url
        self.name = database.name
    }

    static func make() async throws -> TestPostgres {
        let server = try await ThrowawayPostgres.shared()
        return TestPostgres(server: server, database: try await server.makeDatabase(from: nil))
    }

    /// Drops the database.
    func stop() async {
        try? await server.dropDatabase(name)
    }

    /// Runs `sql` (any number of statements, as a psql script) and returns the unaligned,
    /// tuples-only output without the final newline. Throws with psql's stderr on error.
    @discardableResult
    func psql(_ sql: String) throws -> String {
        let script = NSTemporaryDirectory() + "invariants-schema-" + UUID().uuidString + ".sql"
        try sql.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        var output = try Self.run(ThrowawayPostgresOptions.defaultBinDirectory + "/psql",
                                  ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", script])
        if output.hasSuffix("\n") { output.removeLast() }
        return output
    }

    /// Runs psql to completion (it exits on its own, so Foundation's Process is fine here);
    /// output goes to files, so no pipe can fill up.
    private static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
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
            throw Failure(description: "psql exited \(process.terminationStatus): \(stderr)")
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
