import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Subprocess
#if canImport(SystemPackage)
import SystemPackage
#else
import System
#endif
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

/// A PgBouncer in transaction mode in front of a torture server: many client connections share
/// two server connections, so a user context that leaked past COMMIT would show up in another
/// user's transaction.
struct PgBouncer {
    var port: Int
    var directory: String

    static func start(server: ThrowawayPostgres, database: String) async throws -> PgBouncer? {
        guard let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return nil
        }
        let directory = NSTemporaryDirectory() + "invariants-pgbouncer-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        try """
            [databases]
            \(database) = host=\(server.socketDirectory) port=\(server.port) dbname=\(database) user=postgres
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = any
            pool_mode = transaction
            default_pool_size = 2
            max_client_conn = 200
            logfile = \(directory)/pgbouncer.log
            pidfile = \(directory)/pgbouncer.pid
            ignore_startup_parameters = extra_float_digits,options
            """.write(toFile: directory + "/pgbouncer.ini", atomically: true, encoding: .utf8)
        // PgBouncer refuses to run as root: run it as the server's account, as the harness does.
        var arguments = [binary, "-d", directory + "/pgbouncer.ini"]
        if getuid() == 0 {
            _ = try await run(.name("chown"), arguments: ["-R", "postgres", directory], output: .discarded, error: .discarded)
            arguments = ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups"] + arguments
        }
        let started = try await run(.name(arguments[0]), arguments: Arguments(Array(arguments.dropFirst())),
                                    output: .string(limit: 1 << 16), error: .string(limit: 1 << 16))
        guard started.terminationStatus.isSuccess else {
            throw InvariantsError(.other, "pgbouncer did not start: \(started.standardError)")
        }
        try await Task.sleep(for: .milliseconds(300))
        return PgBouncer(port: port, directory: directory)
    }

    func stop() async {
        if let pid = try? String(contentsOfFile: directory + "/pgbouncer.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           let value = Int32(pid) {
            kill(value, SIGTERM)
        }
        try? await Task.sleep(for: .milliseconds(200))
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite("Torture: the client through PgBouncer in transaction mode")
struct PgBouncerTests {
    @Test("8 client connections over 2 server connections: a user's context never leaks into another transaction")
    func noLeak() async throws {
        let env = try await TortureEnvironment.make()
        defer { Task { await env.tearDown() } }
        guard let bouncer = try await PgBouncer.start(server: env.server, database: env.database.name) else {
            Issue.record("pgbouncer is not installed (make deps installs it)")
            return
        }
        // PgBouncer 1.18 cannot route named prepared statements in transaction mode.
        let pooled = try await InvariantsClient.connect(
            url: "postgres://postgres@127.0.0.1:\(bouncer.port)/\(env.database.name)?sslmode=disable", maximumConnections: 8,
            preparedStatements: false, logger: quiet)
        let leaks = TortureTally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in 0..<40 {
                        let user = env.users[(worker + i) % env.users.count]
                        let (uid, role, sessions) = try await pooled.run(as: .user(user)) { conn in
                            try await conn.query("""
                                SELECT auth.uid(), current_user::text,
                                       (SELECT count(*) FROM public.sessions WHERE user_id <> auth.uid())
                                """, logger: quiet).collect().first!.decode((UUID?, String, Int64).self)
                        }
                        if uid != user || role != "authenticated" || sessions != 0 {
                            leaks.unexpected("user \(user) saw uid \(String(describing: uid)), role \(role), \(sessions) foreign sessions")
                        }
                        // The one-round-trip form: the context lives inside one statement.
                        let (callUID, callRole, callSessions) = try await pooled.call(
                            as: .user(user),
                            "SELECT auth.uid(), current_user::text, (SELECT count(*) FROM public.sessions WHERE user_id <> auth.uid())",
                            returning: "uid uuid, role text, sessions bigint"
                        )[0].decode((UUID?, String, Int64).self)
                        if callUID != user || callRole != "authenticated" || callSessions != 0 {
                            leaks.unexpected("call(as:) for \(user) saw uid \(String(describing: callUID)), role \(callRole), \(callSessions) foreign sessions")
                        }
                        // A typed call with preparedStatements: false goes through unnamed.
                        let workspace = env.workspaces[user]!
                        let gig = try await pooled.query("SELECT id FROM public.gigs WHERE workspace_id = \(workspace) LIMIT 1").first!.decode(UUID.self)
                        let counts = try await pooled.counts(gig: gig, workspace: workspace, as: .user(user))
                        if !counts.isSynced { leaks.unexpected("counts through PgBouncer: \(counts)") }
                        // Outside run(as:), a statement must see no user at all.
                        let (bare, claims) = try await pooled.query(
                            "SELECT current_user::text, coalesce(current_setting('request.jwt.claims', true), '')"
                        ).first!.decode((String, String).self)
                        if bare != "postgres" || !claims.isEmpty {
                            leaks.unexpected("a plain statement ran as \(bare) with claims '\(claims)'")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        pooled.close()
        #expect(leaks.snapshot.unexpected.isEmpty, "leaks: \(leaks.snapshot.unexpected.prefix(5))")
        await bouncer.stop()
    }
}
