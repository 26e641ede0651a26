import Foundation
import InvariantsTesting
import PostgresNIO
import Testing

/// `invariants lint --citus` as an operator runs it, and `invariants check` on a hot standby.
@Suite("lint --citus and check on a replica, through the CLI")
struct CitusLintCommandTests {
    @Test("lint --citus on a migrated database covers its installed modules, exits 0 with findings, prints the operator's calls")
    func citusReportOfInstalledModules() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        defer { Task { try? await server.dropDatabase(database.name) } }
        let migrate = try await invariants(["migrate", "--modules", "gig_responses", "--database-url", database.url])
        #expect(migrate.status == 0, "\(migrate.stderr)")

        let text = try await invariants(["lint", "--citus", "--database-url", database.url])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Citus readiness of core, auth, gig_responses"), "\(text.stdout)")
        #expect(text.stdout.contains("primary-key-without-distribution-column  public.gigs (gigs_pkey)"))
        #expect(text.stdout.contains("trigger-needs-unsafe-triggers  trigger invariants_count_gig_responses_insert on public.responses"))
        #expect(text.stdout.contains("by: a new migration of this project"))
        #expect(text.stdout.contains("by: the operator"))
        #expect(text.stdout.contains("SELECT create_reference_table('auth.users');"))
        #expect(text.stdout.contains("SELECT create_distributed_table('public.gigs', 'workspace_id', colocate_with => 'public.workspaces');"))
        #expect(text.stdout.contains("Not verified against a real Citus"))
        #expect(!text.stdout.contains("public.sessions"), "model_work_record is not installed")

        let json = try await invariants(["lint", "--citus", "--json"], environment: ["DATABASE_URL": database.url])
        #expect(json.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(report?["modules"] as? [String] == ["core", "auth", "gig_responses"])
        let findings = report?["findings"] as? [[String: String]] ?? []
        #expect(findings.contains { $0["rule"] == "primary-key-without-distribution-column" && $0["madeBy"] == "a new migration of this project" })
        #expect((report?["operatorScript"] as? [String])?.first?.hasPrefix("SELECT create_reference_table(") == true)
    }

    @Test("lint --citus without a database reports every module of the catalog; --modules narrows it; an unknown module is refused")
    func citusReportOfDeclarations() async throws {
        let all = try await invariants(["lint", "--citus"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("global-aggregate  function invariants_private.global_model_leaderboard(integer, integer)"), "\(all.stdout)")
        #expect(all.stdout.contains("notify-from-trigger"))
        let one = try await invariants(["lint", "--citus", "--modules", "chat_logs"])
        #expect(one.status == 0)
        #expect(one.stdout.contains("Citus readiness of core, auth, chat_logs"))
        let bad = try await invariants(["lint", "--citus", "--modules", "nope"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("nope"), "\(bad.stderr)")
        let withoutCitus = try await invariants(["lint", "--modules", "chat_logs"])
        #expect(withoutCitus.status != 0)
        #expect(withoutCitus.stderr.contains("--modules goes with --citus"), "\(withoutCitus.stderr)")
    }

    @Test("check and lint --citus run on a hot standby and say what they say on the primary")
    func checkOnReplica() async throws {
        let primary = try await ThrowawayPostgres.start()
        do {
            let database = try await primary.makeDatabase(from: nil)
            let migrate = try await invariants(["migrate", "--modules", "gig_responses", "--database-url", database.url])
            #expect(migrate.status == 0, "\(migrate.stderr)")
            let connection = try await database.connect()
            for sql in [
                "INSERT INTO public.workspaces (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'acme')",
                "INSERT INTO public.gigs (workspace_id, title) VALUES ('00000000-0000-4000-8000-000000000001', 'welder')",
                "SET session_replication_role = replica",
                "UPDATE public.gigs SET responses = 3",
            ] { _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: ThrowawayPostgres.quietLogger).collect() }
            try await connection.close()

            let replica = try await primary.startReplica()
            try await replica.waitForReplay(of: try await primary.currentWALPosition())
            let onPrimary = try await invariants(["check", "--json", "--database-url", database.url])
            let onReplica = try await invariants(["check", "--json", "--database-url", replica.url(database: database.name)])
            #expect(onPrimary.status == 1, "the drifted counter breaks an invariant: \(onPrimary.stdout)\(onPrimary.stderr)")
            #expect(onReplica.status == onPrimary.status, "\(onReplica.stderr)")
            #expect(onReplica.stdout == onPrimary.stdout)
            let citus = try await invariants(["lint", "--citus", "--database-url", replica.url(database: database.name)])
            #expect(citus.status == 0, "\(citus.stderr)")
            #expect(citus.stdout.contains("Citus readiness of core, auth, gig_responses"))
            try await primary.stop()
        } catch {
            try? await primary.stop()
            throw error
        }
    }
}
