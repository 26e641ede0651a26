import Foundation
import InvariantsTesting
import Subprocess
#if canImport(SystemPackage)
import SystemPackage
#else
import System
#endif

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
    /// Async (swift-subprocess), so waiting for psql never blocks a test thread.
    @discardableResult
    func psql(_ sql: String) async throws -> String {
        let script = NSTemporaryDirectory() + "invariants-schema-" + UUID().uuidString + ".sql"
        try sql.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let result = try await run(
            .path(FilePath(ThrowawayPostgresOptions.defaultBinDirectory + "/psql")),
            arguments: ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", script],
            output: .string(limit: 1 << 22), error: .string(limit: 1 << 20))
        guard result.terminationStatus.isSuccess else {
            throw Failure(description: "psql failed (\(result.terminationStatus)): \(result.standardError)")
        }
        var output = result.standardOutput
        if output.hasSuffix("\n") { output.removeLast() }
        return output
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
