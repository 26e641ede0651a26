import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import SeedApps
import Testing

/// Analytics on a read replica: every declared view of every module and the invariant checker
/// run on a real streaming hot standby (`pg_basebackup -R`, read-only: no writes, no temp
/// tables) and return what they return on the primary.
@Suite("Views and the invariant checker on a hot-standby replica")
struct ReplicaAnalyticsTests {
    /// Users: A and B share a workspace; C and D only count for the global leaderboard.
    static let users = (0..<4).map { _ in UUID().uuidString.lowercased() }

    @Test("every view and the checker give the primary's answer on a hot standby, and the standby refuses writes")
    func viewsAndCheckerOnStandby() async throws {
        // A server of its own: the replica copies the whole cluster, and other suites' databases come and go on the shared one.
        let primary = try await ThrowawayPostgres.start()
        do {
            try await run(on: primary)
            try await primary.stop()
        } catch {
            try? await primary.stop()
            // PSQLError's description is redacted on purpose; the test's reader needs the server's message.
            Issue.record("\(String(reflecting: error))")
        }
    }

    private func run(on primary: ThrowawayPostgres) async throws {
        let database = try await primary.makeDatabase()
        let catalog = try SQLDirectory(path: repositoryRoot + "/sql").load()
        let writer = try await database.connect(logger: testLogger)
        do {
            try await Migrator(catalog: catalog, options: .init(modules: catalog.modules.map(\.name)), logger: testLogger).migrate(on: writer)
            for statement in Self.seedData { try await writer.run(statement) }
            // A counter loaded with triggers off, as a restore would: the checker has a violation to report.
            try await writer.run("SET session_replication_role = replica")
            try await writer.run("UPDATE public.gigs SET responses = responses + 5")
            try await writer.run("RESET session_replication_role")
            try await writer.close()
        } catch {
            try? await writer.close()
            throw error
        }

        let replica = try await primary.startReplica()
        let lsn = try await primary.currentWALPosition()
        let waited = ContinuousClock.now
        let replayed = try await replica.waitForReplay(of: lsn)
        #expect(!replayed.isEmpty)
        print("replica: base backup + start \(replica.startupDuration), replay to \(lsn) took \(ContinuousClock.now - waited)")

        let onPrimary = try await database.connect(logger: testLogger)
        let onReplica = try await replica.connect(database: database.name, logger: testLogger)
        do {
            #expect(try await onReplica.scalar("SELECT pg_is_in_recovery()", as: Bool.self))
            await #expect(throws: PSQLError.self, "a standby refuses writes") {
                try await onReplica.run("INSERT INTO public.workspaces (name) VALUES ('on the replica')")
            }

            let views = ProjectCatalog.catalog.modules.flatMap(\.repeatables).filter { $0.kind == .view }
            #expect(views.count >= 10, "the catalog's views: \(views.map(\.key))")
            var userRows = 0
            for object in views {
                let view = String(object.key.dropFirst("view ".count))
                let reader = Self.reader(of: object)
                let expected = try await Self.read(view, as: reader, on: onPrimary)
                let standby = try await Self.read(view, as: reader, on: onReplica)
                #expect(standby == expected, "\(view) on the replica")
                if reader == Self.user(Self.users[0]) { userRows += expected.count }
            }
            #expect(userRows > 0, "user A's views return rows")

            let checks = ProjectCatalog.catalog.checks
            let primaryResult = try await InvariantChecker(checks: checks, logger: testLogger).violations(on: onPrimary)
            let replicaResult = try await InvariantChecker(checks: checks, logger: testLogger).violations(on: onReplica)
            #expect(replicaResult == primaryResult)
            #expect(replicaResult.map(\.check).contains { $0.contains("gig_responses") }, "the drifted counter is reported: \(replicaResult)")
            #expect(try await onReplica.scalar("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walreceiver'", as: Int64.self) == 1,
                    "still streaming")
            try await onPrimary.close()
            try await onReplica.close()
        } catch {
            try? await onPrimary.close()
            try? await onReplica.close()
            throw error
        }
        let replicaDirectory = replica.directory
        try await primary.stop()
        #expect(!FileManager.default.fileExists(atPath: replicaDirectory), "the replica stops and is removed with its primary")
    }

    /// The connecting superuser, who owns every object: the drift views are read so (`counters
    /// check`), users may not enter the `invariants` schema.
    static let owner = "SELECT current_user"
    static let serviceRole = #"SELECT set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)"#

    /// As the view is meant to be read: the drift views by their owner; the others by a user when `authenticated` may select from it (the
    /// seeds' user analytics), else as `service_role` when it may (the support console's),
    /// else as the owner.
    static func reader(of view: RepeatableObject) -> String {
        if view.key.hasPrefix("view invariants.") { return owner }
        let grant = view.statements.first { $0.hasPrefix("GRANT SELECT") } ?? ""
        if grant.contains("\"authenticated\"") { return user(users[0]) }
        if grant.contains("\"service_role\"") { return serviceRole }
        return owner
    }

    static func user(_ id: String) -> String {
        "SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{\"sub\":\"\(id)\",\"role\":\"authenticated\"}', true)"
    }

    /// Every row of `view` as JSON text, in a stable order, read in a READ ONLY transaction as `reader`.
    static func read(_ view: String, as reader: String, on connection: PostgresConnection) async throws -> [String] {
        try await connection.run("BEGIN READ ONLY")
        do {
            try await connection.run(reader)
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT to_jsonb(v)::text AS row FROM \(view) AS v ORDER BY 1"), logger: testLogger
            ).collect().map { try $0.decode(String.self) }
            try await connection.run("COMMIT")
            return rows
        } catch {
            try? await connection.run("ROLLBACK")
            throw error
        }
    }

    /// A little of everything, as the superuser: the triggers keep counters, usage and history.
    static var seedData: [String] {
        let (a, b, c, d) = (users[0], users[1], users[2], users[3])
        return [
            "INSERT INTO auth.users (id, email) VALUES ('\(a)', 'a@example.com'), ('\(b)', 'b@example.com'), ('\(c)', 'c@example.com'), ('\(d)', 'd@example.com')",
            // model_work_record
            "INSERT INTO public.sessions (user_id) VALUES ('\(a)'), ('\(b)')",
            """
            INSERT INTO public.model_statistics (user_id, model_id, response_count, total_brains, dismissal_count)
            SELECT u::uuid, m, 3, 2, 1 FROM unnest(ARRAY['\(a)', '\(b)', '\(c)', '\(d)']) AS u, unnest(ARRAY['gpt', 'claude']) AS m
            """,
            // chat_logs
            "INSERT INTO public.profiles (id) VALUES ('\(a)')",
            """
            INSERT INTO public.chat_logs (user_id, question, response, tools_used, input_tokens, output_tokens, cost, model)
            VALUES ('\(a)', 'q1', 'r1', '[{"name": "search"}]', 10, 20, 0.5, 'gpt'), ('\(a)', 'q2', 'r2', '[]', 5, 5, 0.1, 'gpt'),
                   ('\(b)', 'q3', 'r3', '[{"name": "search"}, {"name": "calc"}]', 1, 2, 0.2, 'claude')
            """,
            // gig_responses
            "INSERT INTO public.workspaces (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'acme')",
            "INSERT INTO public.workspace_members (workspace_id, user_id, role) VALUES ('00000000-0000-4000-8000-000000000001', '\(a)', 'owner'), ('00000000-0000-4000-8000-000000000001', '\(b)', 'member')",
            "INSERT INTO public.gigs (id, workspace_id, title) VALUES ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', 'welder')",
            """
            INSERT INTO public.responses (workspace_id, entity_type, entity_id, status, candidate_name)
            VALUES ('00000000-0000-4000-8000-000000000001', 'gig', '00000000-0000-4000-8000-0000000000a1', 'NEW', 'x'),
                   ('00000000-0000-4000-8000-000000000001', 'gig', '00000000-0000-4000-8000-0000000000a1', 'VIEWED', 'y')
            """,
            // generations
            "INSERT INTO public.generations (user_id, prompt) VALUES ('\(a)', 'a cat')",
            "INSERT INTO public.generation_jobs (user_id, description) VALUES ('\(a)', 'a dog'), ('\(b)', 'a bird')",
            // support_chat
            "INSERT INTO public.chat_sessions (session_id, channel, customer_email) VALUES ('sess_1', 'widget', 'c@example.com')",
            """
            INSERT INTO public.chat_messages (session_id, role, content, token_count, cost_usd)
            VALUES ('sess_1', 'user', 'hello', 3, 0.001), ('sess_1', 'assistant', 'hi', 4, 0.002)
            """,
            "INSERT INTO public.agent_traces (session_id, step, agent_name) VALUES ('sess_1', 'router', 'router')",
            "INSERT INTO public.tool_executions (session_id, tool_name) VALUES ('sess_1', 'track_package')",
            "INSERT INTO public.learning_records (agent_name, learning_type, learned_pattern) VALUES ('router', 'pattern', 'parcels go to logistics')",
        ]
    }
}
