import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import Logging
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SupportChat

let quiet: Logger = {
    var logger = Logger(label: "torture")
    logger.logLevel = .critical
    return logger
}()

let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// How long each load runs: short in `make test`, long in `make torture`
/// (`INVARIANTS_TORTURE_SECONDS`).
let loadSeconds: Double = Double(ProcessInfo.processInfo.environment["INVARIANTS_TORTURE_SECONDS"] ?? "") ?? 6

/// Progress on stderr (unbuffered), so a stuck run shows where it is.
func trace(_ text: String) {
    if ProcessInfo.processInfo.environment["INVARIANTS_TORTURE_TRACE"] != nil {
        FileHandle.standardError.write(Data("[torture] \(text)\n".utf8))
    }
}

/// A server of its own (these tests crash it), migrated, with users, workspaces, gigs,
/// sessions and cards to work on.
struct TortureEnvironment {
    var server: ThrowawayPostgres
    var database: TestDatabase
    var client: InvariantsClient
    var users: [UUID]
    /// user → workspace they are a member of (one each).
    var workspaces: [UUID: UUID]

    /// Each call's timeout under torture.
    static let callTimeout: Duration = .seconds(5)

    static func make() async throws -> TortureEnvironment {
        trace("starting a server")
        let server = try await ThrowawayPostgres.start()
        let database = try await server.makeDatabase(from: nil)
        let connection = try await database.connect(logger: quiet)
        do {
            let catalog = try SQLDirectory(path: repositoryRoot + "/sql").load()
            _ = try await Migrator(catalog: catalog, logger: quiet).migrate(on: connection)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        // A call timeout well inside the workload's 20 s watch for operations that never return:
        // a call PostgresNIO never completes ends as .timeout (retried) instead of as a hang.
        let client = try await InvariantsClient.connect(
            url: database.url, maximumConnections: 12, callTimeout: TortureEnvironment.callTimeout, logger: quiet)
        var users: [UUID] = []
        var workspaces: [UUID: UUID] = [:]
        for i in 0..<6 {
            let user = UUID()
            try await client.execute("INSERT INTO auth.users (id, email) VALUES (\(user), \("torture\(i)@example.com"))")
            let workspace = try await client.createWorkspace(named: "ws \(i)", as: .user(user))
            try await client.execute("""
                INSERT INTO public.gigs (workspace_id, title) SELECT \(workspace), 'gig ' || g FROM generate_series(1, 5) AS g
                """)
            _ = try await client.createSession(as: .user(user), title: "s", models: ["m/a", "m/b", "m/c"])
            try await client.execute("""
                INSERT INTO public.generations (user_id, output_data, tokens_used) VALUES (\(user), '{"images": []}'::jsonb, 10)
                """)
            users.append(user)
            workspaces[user] = workspace
        }
        trace("environment ready")
        return TortureEnvironment(server: server, database: database, client: client, users: users, workspaces: workspaces)
    }

    func tearDown() async {
        trace("tear down: closing the client")
        client.close()
        trace("tear down: stopping the server")
        try? await server.stop()
        trace("tear down: done")
    }

    /// Every invariant of every module, as the checker sees them.
    func violations() async throws -> [InvariantChecker.Violation] {
        trace("checking invariants")
        let connection = try await database.connect(logger: quiet)
        do {
            let found = try await InvariantChecker(checks: ProjectCatalog.checks, logger: quiet).violations(on: connection)
            try? await connection.close()
            trace("checked: \(found.count) violation(s)")
            return found
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
