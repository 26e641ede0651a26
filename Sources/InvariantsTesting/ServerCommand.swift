import Foundation
import Subprocess
// FilePath: swift-system on Linux, the System framework on Apple platforms
// (swift-subprocess makes the same choice).
#if canImport(SystemPackage)
import SystemPackage
#else
import System
#endif

/// Runs one PostgreSQL command line as the server's account and captures its output.
///
/// This uses swift-subprocess, not Foundation's `Process`: on Linux the
/// postmaster started by `pg_ctl start` inherits the descriptor `Process`
/// watches for exit, so `Process` never reports that pg_ctl finished.
struct ServerCommand: Sendable {
    let arguments: [String]
    let account: ServerAccount
    /// The server's own directory: the switched-to user may not be able to
    /// enter our current directory, and initdb/pg_ctl chdir-check it.
    let workingDirectory: String

    struct Output: Sendable {
        let succeeded: Bool
        let status: String
        let standardOutput: String
        let standardError: String
    }

    var display: String { arguments.joined(separator: " ") }

    func run() async throws -> Output {
        let full = account.commandPrefix + arguments
        let result: ExecutionResult<Void, StringOutput<UTF8>, StringOutput<UTF8>>
        do {
            result = try await Subprocess.run(
                .path(FilePath(full[0])),
                arguments: Arguments(Array(full.dropFirst())),
                environment: Self.environment,
                workingDirectory: FilePath(workingDirectory),
                output: .string(limit: 1 << 20),
                error: .string(limit: 1 << 20)
            )
        } catch {
            throw ThrowawayPostgresError(step: display, detail: "could not run: \(String(reflecting: error))")
        }
        return Output(
            succeeded: result.terminationStatus.isSuccess,
            status: "\(result.terminationStatus)",
            standardOutput: result.standardOutput,
            standardError: result.standardError
        )
    }

    /// Runs and throws a ``ThrowawayPostgresError`` with the output on failure.
    @discardableResult
    func runChecked(logFile: String? = nil) async throws -> Output {
        let output = try await run()
        guard output.succeeded else {
            let detail = [output.status, output.standardError, output.standardOutput]
                .filter { !$0.isEmpty }.joined(separator: "\n")
            throw ThrowawayPostgresError(step: display, detail: detail, logTail: logFile.map(readTail))
        }
        return output
    }

    /// Client variables that could point the tools at another cluster are
    /// dropped; C locale keeps messages parseable.
    private static var environment: Environment {
        .inherit.updating([
            "PGDATA": nil, "PGPORT": nil, "PGHOST": nil, "PGUSER": nil,
            "PGDATABASE": nil, "PGPASSWORD": nil, "PGSERVICE": nil,
            "LC_ALL": "C", "LANG": "C",
        ])
    }
}

/// The last lines of a log file, for error messages.
func readTail(_ path: String) -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
    return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(30).joined(separator: "\n")
}
