import Forum
import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import Logging
import PostgresNIO
import Subprocess
#if canImport(SystemPackage)
import SystemPackage
#else
import System
#endif
import Testing

/// Examples/Forum.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The repository's root (the framework's package).
let repositoryRoot = URL(fileURLWithPath: packageRoot).deletingLastPathComponent().deletingLastPathComponent().path

let quietLogger: Logger = {
    var logger = Logger(label: "forum-tests")
    logger.logLevel = .critical
    return logger
}()

/// A fresh database holding the forum, cloned from a template migrated once per test process
/// from the committed sql/ (what a DBA reviewed is what the tests run on).
func forumDatabase() async throws -> TestDatabase {
    let server = try await ThrowawayPostgres.shared()
    let template = try await server.template(named: "forum") { connection in
        let catalog = try SQLDirectory(path: packageRoot + "/sql").load()
        try await Migrator(catalog: catalog, logger: quietLogger).migrate(on: connection)
    }
    return try await server.makeDatabase(from: template)
}

/// A client on a fresh forum database; closed after `body`.
func withForum<T>(_ body: (InvariantsClient) async throws -> T) async throws -> T {
    let database = try await forumDatabase()
    let client = try await InvariantsClient.connect(url: database.url, logger: quietLogger)
    defer { client.close() }
    return try await body(client)
}

extension InvariantsClient {
    /// Creates a user in `auth.users` (as the connecting superuser) and returns its id.
    func makeUser() async throws -> UUID {
        let id = UUID()
        try await execute("INSERT INTO auth.users (id, email) VALUES (\(id), \(id.uuidString.lowercased() + "@example.com"))")
        return id
    }

    /// The first column of the first row.
    func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as: T.Type = T.self) async throws -> T {
        guard let row = try await self.query(query).first else { throw InvariantsError(.notFound, "no row") }
        return try row.decode(T.self)
    }

    /// The post as the backend sees it.
    func post(_ id: UUID) async throws -> Post {
        guard let post = try await post(id, as: .service) else { throw InvariantsError(.notFound, "no post \(id)") }
        return post
    }

    /// Rows of the counters' drift views (stored ≠ actual), over every forum counter.
    func drift() async throws -> Int {
        var total = 0
        for counter in ForumModule.module.counters {
            total += try await scalar(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(counter.driftViewName.sql)"), as: Int.self)
        }
        return total
    }
}

/// The error `body` threw, if it was an ``InvariantsError``.
func invariantsError(_ body: () async throws -> Void) async -> InvariantsError? {
    do {
        try await body()
        return nil
    } catch let error as InvariantsError {
        return error
    } catch {
        Issue.record("unexpected error \(String(reflecting: error))")
        return nil
    }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The app's own CLI, built beside the test bundle (`swift build --build-tests` builds both).
let forumBinary: String = {
    if let explicit = ProcessInfo.processInfo.environment["FORUM_BIN"] { return explicit }
    let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("forum").path
    if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
    return packageRoot + "/.build/debug/forum"
}()

/// Runs `forum <arguments>` in Examples/Forum and captures what it prints.
func forum(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
    guard FileManager.default.isExecutableFile(atPath: forumBinary) else {
        Issue.record("build the CLI first (swift build): \(forumBinary) is missing")
        return CommandResult(status: -1, stdout: "", stderr: "")
    }
    var env: [Environment.Key: String?] = ["DATABASE_URL": nil, "INVARIANTS_SQL_DIR": nil]
    for (key, value) in environment { env[Environment.Key(rawValue: key)!] = value }
    let result = try await run(
        .path(FilePath(forumBinary)), arguments: Arguments(arguments),
        environment: .inherit.updating(env), workingDirectory: FilePath(packageRoot),
        output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
    let status: Int32
    switch result.terminationStatus {
    case .exited(let code): status = Int32(code)
    default: status = -1
    }
    return CommandResult(status: status, stdout: result.standardOutput, stderr: result.standardError)
}
