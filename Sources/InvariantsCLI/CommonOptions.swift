public import ArgumentParser
import Foundation
public import Invariants
public import InvariantsMigrator
public import Logging
public import PostgresNIO

/// `--database-url` and `--sql-dir`, for every command that talks to a database.
public struct DatabaseOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "postgres://user:password@host:port/dbname, with ?sslmode=require (or another libpq mode) when needed. Default: $DATABASE_URL.",
        valueName: "url"))
    public var databaseURL: String?

    @Option(name: .customLong("sql-dir"), help: ArgumentHelp("The generated SQL directory. Default: $INVARIANTS_SQL_DIR, else ./sql.", valueName: "path"))
    public var sqlDirectory: String?

    /// The URL given, else `$DATABASE_URL`; refuses when there is none.
    public func url() throws(InvariantsError) -> DatabaseURL {
        guard let text = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw InvariantsError(.invalidURL, "no database: pass --database-url postgres://user:password@host:port/dbname, or set DATABASE_URL")
        }
        return try DatabaseURL(text)
    }

    /// The SQL directory given, else `$INVARIANTS_SQL_DIR`, else `./sql`.
    public var directory: SQLDirectory { SQLDirectory.locate(sqlDirectory) }

    /// Parses the URL, opens one direct connection (fails in milliseconds, unlike a pool),
    /// runs `body`, closes it.
    public func withConnection<T>(_ body: (PostgresConnection, DatabaseURL) async throws(InvariantsError) -> T) async throws(InvariantsError) -> T {
        let url = try url()
        return try await withDirectConnection(url) { connection throws(InvariantsError) in try await body(connection, url) }
    }
}

/// One direct connection for `body`, closed afterwards whatever happens (PostgresNIO
/// asserts on a connection that is dropped unclosed).
public func withDirectConnection<T>(_ url: DatabaseURL, _ body: (PostgresConnection) async throws(InvariantsError) -> T) async throws(InvariantsError) -> T {
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

/// A logger that prints errors only (the CLI reports failures itself).
public let quietLogger: Logger = {
    var logger = Logger(label: "invariants")
    logger.logLevel = .error
    return logger
}()

/// Prints an error as one line (plus a hint) and exits non-zero: never a stack trace.
public func failing<T>(_ body: () async throws -> T) async throws -> T {
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

/// `error: …`, its detail and its hint on stderr.
public func printError(_ error: InvariantsError) {
    var text = "error: \(error.message)"
    if let detail = error.detail, !detail.isEmpty { text += "\n  detail: \(detail)" }
    if let hint = error.hint, !hint.isEmpty { text += "\n  hint: \(hint)" }
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// `value` as pretty-printed, key-sorted JSON on stdout.
public func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// One line on stderr (progress, warnings), so stdout stays for results.
public func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// `--stored-logic` and `--extension-dir` for migrate, status and plan.
struct StoredLogicOptions: ParsableArguments {
    enum Route: String, ExpressibleByArgument, CaseIterable {
        case keep, repeatable, `extension`
    }

    @Option(name: .customLong("stored-logic"), help: ArgumentHelp(
        "Where the functions come from: repeatable (sql/<module>/repeatable.sql), extension (CREATE EXTENSION invariants_<module> for each installed module with functions), or keep (the database's current route; the default). Changing it switches the database. Default: $INVARIANTS_STORED_LOGIC, else keep.",
        valueName: "route"))
    var route: Route?

    @Option(name: .customLong("extension-dir"), help: ArgumentHelp("The extension directory (its control files name the versions). Default: extension/ beside the SQL directory.", valueName: "path"))
    var extensionDirectory: String?

    func storedLogic(besides sql: SQLDirectory) throws(InvariantsError) -> StoredLogic {
        var chosen = route
        if chosen == nil, let text = ProcessInfo.processInfo.environment["INVARIANTS_STORED_LOGIC"], !text.isEmpty {
            guard let parsed = Route(rawValue: text) else {
                throw InvariantsError(.invalidInput, "INVARIANTS_STORED_LOGIC must be keep, repeatable or extension, not '\(text)'")
            }
            chosen = parsed
        }
        let directory = ExtensionDirectory.locate(extensionDirectory, besides: sql)
        switch chosen ?? .keep {
        case .repeatable: return .repeatableSet
        case .extension: return .extension(versions: try directory.defaultVersions())
        case .keep: return .keep(extensionVersions: try? directory.defaultVersions())
        }
    }
}

/// `--modules a,b`: modules to install (with their dependencies) besides those the database holds.
struct ModuleOptions: ParsableArguments {
    @Option(name: .customLong("modules"), help: ArgumentHelp(
        "Comma-separated modules to install with their dependencies (see `invariants modules`). Recorded in the database: a later plain migrate upgrades the installed set and installs nothing else. Without it: the installed set, or the catalog's default set on an empty database.",
        valueName: "a,b"))
    var list: String?

    /// The names, or nil when not given. Refuses an empty list.
    func names() throws(InvariantsError) -> [String]? {
        guard let list else { return nil }
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw InvariantsError(.invalidInput, "--modules needs at least one module name", column: "modules") }
        return names
    }
}

/// `--drop-module NAME` and `--confirm-data-loss`: removing a module is never a side effect.
struct DropModuleOptions: ParsableArguments {
    @Option(name: .customLong("drop-module"), help: ArgumentHelp(
        "Remove this module from the database: its stored logic, its tables and ALL THEIR DATA, its ledger rows. Refused while another installed module needs it. Repeat for several. `plan --drop-module NAME` shows what would be deleted (tables and row counts).",
        valueName: "name"))
    var names: [String] = []

    @Flag(name: .customLong("confirm-data-loss"), help: "Needed by migrate with --drop-module: yes, delete those tables and their data.")
    var confirmDataLoss = false
}

/// `--orphans delete|quarantine`: what an adoption does with rows whose parent is gone.
struct OrphanOptions: ParsableArguments {
    @Option(name: .customLong("orphans"), help: ArgumentHelp(
        "delete or quarantine: what a module adopting the tables an app already has does with rows whose parent is gone (a response of a deleted gig): delete them, or quarantine them (moved to invariants.quarantine_<table>, kept for you to inspect). Without it the adoption refuses, naming how many and a few of them, and changes nothing.",
        valueName: "mode"))
    var choice: String?

    func resolution() throws(InvariantsError) -> Migrator.OrphanResolution {
        guard let choice else { return .refuse }
        guard let resolution = Migrator.OrphanResolution(rawValue: choice), resolution != .refuse else {
            throw InvariantsError(.invalidInput, "--orphans must be delete or quarantine, got '\(choice)'", column: "orphans")
        }
        return resolution
    }
}
