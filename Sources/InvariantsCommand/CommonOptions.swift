import ArgumentParser
import Foundation
import Invariants
import InvariantsMigrator
import Logging
import PostgresNIO

struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "postgres://user:password@host:port/dbname[?sslmode=disable|prefer|require|verify-full]. Default: $DATABASE_URL.",
        valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("sql-dir"), help: ArgumentHelp("The generated SQL directory. Default: $INVARIANTS_SQL_DIR, else ./sql.", valueName: "path"))
    var sqlDirectory: String?

    func url() throws(InvariantsError) -> DatabaseURL {
        guard let text = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw InvariantsError(.invalidURL, "no database: pass --database-url postgres://user:password@host:port/dbname, or set DATABASE_URL")
        }
        return try DatabaseURL(text)
    }

    var directory: SQLDirectory { SQLDirectory.locate(sqlDirectory) }

    /// Parses the URL, opens one direct connection (fails in milliseconds, unlike a pool),
    /// runs `body`, closes it.
    func withConnection<T>(_ body: (PostgresConnection, DatabaseURL) async throws(InvariantsError) -> T) async throws(InvariantsError) -> T {
        let url = try url()
        return try await withDirectConnection(url) { connection throws(InvariantsError) in try await body(connection, url) }
    }
}

/// One direct connection for `body`, closed afterwards whatever happens (PostgresNIO
/// asserts on a connection that is dropped unclosed).
func withDirectConnection<T>(_ url: DatabaseURL, _ body: (PostgresConnection) async throws(InvariantsError) -> T) async throws(InvariantsError) -> T {
    let connection = try await InvariantsClient.openConnection(url: url, logger: quietLogger)
    do {
        let value = try await body(connection)
        try? await connection.close()
        return value
    } catch {
        try? await connection.close()
        throw error
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "invariants")
    logger.logLevel = .error
    return logger
}()

/// Prints an error as one line (plus a hint) and exits non-zero: never a stack trace.
func failing<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as InvariantsError {
        printError(error)
        throw ExitCode(1)
    } catch let error as ExitCode {
        throw error
    } catch {
        printError(InvariantsError(error))
        throw ExitCode(1)
    }
}

func printError(_ error: InvariantsError) {
    var text = "error: \(error.message)"
    if let detail = error.detail, !detail.isEmpty { text += "\n  detail: \(detail)" }
    if let hint = error.hint, !hint.isEmpty { text += "\n  hint: \(hint)" }
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
