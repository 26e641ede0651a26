import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing

@Suite("sync-counts and check-counts, as a DBA runs them")
struct CountsCommandTests {
    @Test("drift after a bypassed load: check-counts exits 1 and names it, sync-counts repairs and audits, then all is clean")
    func repairFlow() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let env = ["DATABASE_URL": database.url]
        let migrate = try await invariants(["migrate"], environment: env)
        #expect(migrate.status == 0, "\(migrate.stderr)")

        let connection = try await database.connect(logger: ThrowawayPostgres.quietLogger)
        func sql(_ text: String) async throws -> [PostgresRow] {
            try await connection.query(PostgresQuery(unsafeSQL: text), logger: ThrowawayPostgres.quietLogger).collect()
        }
        let a = UUID(), b = UUID()
        _ = try await sql("INSERT INTO public.workspaces (id, name) VALUES ('\(a)', 'A'), ('\(b)', 'B')")
        _ = try await sql("INSERT INTO public.gigs (workspace_id, title) SELECT '\(a)', 'a' || i FROM generate_series(1, 30) AS i")
        _ = try await sql("INSERT INTO public.gigs (workspace_id, title) SELECT '\(b)', 'b' || i FROM generate_series(1, 5) AS i")
        // A restore with triggers off: 2 responses for each of A's gigs, 1 for each of B's.
        _ = try await sql("SET session_replication_role = replica")
        _ = try await sql("INSERT INTO public.responses (workspace_id, entity_id, gig_id) SELECT workspace_id, id, id FROM public.gigs, generate_series(1, 2) WHERE workspace_id = '\(a)'")
        _ = try await sql("INSERT INTO public.responses (workspace_id, entity_id, gig_id) SELECT workspace_id, id, id FROM public.gigs WHERE workspace_id = '\(b)'")
        _ = try await sql("SET session_replication_role = origin")

        let check = try await invariants(["check-counts", "--all"], environment: env)
        #expect(check.status == 1)
        #expect(check.stdout.contains("35 of 35 gigs drifted"), "\(check.stdout)")
        #expect(check.stdout.contains("responses: stored 0, actual 2"))

        let dry = try await invariants(["sync-counts", "--all", "--dry-run", "--json"], environment: env)
        #expect(dry.status == 0, "\(dry.stderr)")
        let dryJSON = try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any]
        #expect(dryJSON?["fixed"] as? Int == 35 && dryJSON?["checked"] as? Int == 35)
        #expect(try await sql("SELECT count(*) FROM invariants.counter_repairs").first!.decode(Int64.self) == 0, "a dry run writes nothing")

        let one = try await invariants(["sync-counts", b.uuidString], environment: env)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("checked 5 gigs, fixed 5"), "\(one.stdout)")
        let stillA = try await invariants(["check-counts", a.uuidString, "--json"], environment: env)
        #expect(stillA.status == 1)
        let clean = try await invariants(["check-counts", b.uuidString], environment: env)
        #expect(clean.status == 0 && clean.stdout.contains("all 5 gigs in sync"), "\(clean.stdout)")

        // Small batches: several transactions, same result.
        let all = try await invariants(["sync-counts", "--all", "--batch-size", "7", "--json"], environment: env)
        #expect(all.status == 0, "\(all.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any]
        #expect(json?["checked"] as? Int == 35 && json?["fixed"] as? Int == 30)
        #expect((json?["elapsedSeconds"] as? Double ?? -1) >= 0)

        let after = try await invariants(["check-counts", "--all"], environment: env)
        #expect(after.status == 0 && after.stdout.contains("all 35 gigs in sync"))
        let forced = try await invariants(["sync-counts", "--all", "--force"], environment: env)
        #expect(forced.stdout.contains("checked 35 gigs, fixed 0"), "\(forced.stdout)")
        // 35 gigs × 2 counters, each change audited once.
        #expect(try await sql("SELECT count(*) FROM invariants.counter_repairs").first!.decode(Int64.self) == 70)
        try await connection.close()
    }

    @Test("bad input: not a UUID, both or neither scope, unknown workspace, a database without the counters", arguments: [
        (["sync-counts", "not-a-uuid"], 64, "is not a UUID"),
        (["sync-counts", "--all", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"], 64, "exactly one"),
        (["check-counts"], 64, "exactly one"),
        (["sync-counts", "--all", "--batch-size", "0"], 64, "--batch-size"),
        (["sync-counts", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"], 1, "not found"),
    ] as [([String], Int32, String)])
    func badInput(arguments: [String], status: Int32, expected: String) async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let env = ["DATABASE_URL": database.url]
        if status == 1 {
            // An empty database first: the command says the counters are missing.
            let bare = try await invariants(arguments, environment: env)
            #expect(bare.status == 1)
            #expect(bare.stderr.contains("run `invariants migrate` first"), "\(bare.stderr)")
            #expect(try await invariants(["migrate"], environment: env).status == 0)
        }
        let result = try await invariants(arguments, environment: env)
        #expect(result.status == status, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test("counters check|repair|list: one tool for every declared counter, scoped, dry-run, audited; bad input named")
    func genericCounters() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let env = ["DATABASE_URL": database.url]
        #expect(try await invariants(["migrate", "--modules", "gig_responses,support_chat"], environment: env).status == 0)
        let connection = try await database.connect(logger: ThrowawayPostgres.quietLogger)
        do {
            func sql(_ text: String) async throws -> [PostgresRow] {
                try await connection.query(PostgresQuery(unsafeSQL: text), logger: ThrowawayPostgres.quietLogger).collect()
            }
            let a = UUID(), b = UUID()
            _ = try await sql("INSERT INTO public.workspaces (id, name) VALUES ('\(a)', 'A'), ('\(b)', 'B')")
            _ = try await sql("INSERT INTO public.gigs (workspace_id, title) SELECT '\(a)', 'a' || i FROM generate_series(1, 3) AS i")
            _ = try await sql("INSERT INTO public.gigs (workspace_id, title) VALUES ('\(b)', 'b')")
            _ = try await sql("INSERT INTO public.chat_sessions (session_id, channel) VALUES ('s1', 'widget')")
            _ = try await sql("SET session_replication_role = replica")
            // Triggers are off: a load supplies gig_id itself (its CHECK holds it to entity_id).
            _ = try await sql("INSERT INTO public.responses (workspace_id, entity_id, gig_id) SELECT workspace_id, id, id FROM public.gigs")
            _ = try await sql("INSERT INTO public.chat_messages (session_id, role, content) SELECT session_id, 'user', 'hi' FROM public.chat_sessions")
            _ = try await sql("SET session_replication_role = origin")

            let list = try await invariants(["counters", "list"], environment: env)
            #expect(list.stdout.contains("gig_responses (module gig_responses)") && list.stdout.contains("chat_session_messages (module support_chat)"),
                    "\(list.stdout)")
            let check = try await invariants(["counters", "check", "--json"], environment: env)
            #expect(check.status == 1)
            try #require(!check.stdout.isEmpty, "\(check.stderr)")
            let drifted = (try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])?["drifted"] as? [[String: Any]]
            #expect(drifted?.filter { $0["counter"] as? String == "gig_responses" }.count == 8, "4 gigs × 2 columns (new_responses counts NEW)")
            #expect(drifted?.filter { $0["counter"] as? String == "chat_session_messages" }.count == 2, "total and human messages: \(check.stdout)")

            let dry = try await invariants(["counters", "repair", "--counter", "gig_responses", "--scope", b.uuidString, "--dry-run"], environment: env)
            #expect(dry.status == 0 && dry.stdout.contains("gig_responses: checked 1 parent(s), would fix 1"), "[\(dry.stdout)][\(dry.stderr)]")
            #expect(try await sql("SELECT count(*) FROM invariants.counter_repairs").first!.decode(Int64.self) == 0, "a dry run writes nothing")

            let scoped = try await invariants(["counters", "repair", "--counter", "gig_responses", "--scope", b.uuidString], environment: env)
            #expect(scoped.stdout.contains("gig_responses: checked 1 parent(s), fixed 1"), "\(scoped.stdout)\(scoped.stderr)")
            let all = try await invariants(["counters", "repair", "--batch-size", "2"], environment: env)
            #expect(all.status == 0, "\(all.stderr)")
            #expect(all.stdout.contains("gig_responses: checked 4 parent(s), fixed 3") && all.stdout.contains("chat_session_messages: checked 1 parent(s), fixed 1"),
                    "\(all.stdout)")
            #expect(try await invariants(["counters", "check"], environment: env).status == 0)
            #expect(try await sql("SELECT count(*) FROM invariants.counter_repairs").first!.decode(Int64.self) == 10, "8 gig values + 2 session values audited")

            let unknown = try await invariants(["counters", "check", "--counter", "gigz"], environment: env)
            #expect(unknown.status == 1 && unknown.stderr.contains("unknown counter 'gigz'; declared: gig_responses, chat_session_messages"), "\(unknown.stderr)")
            let unscoped = try await invariants(["counters", "check", "--counter", "chat_session_messages", "--scope", a.uuidString], environment: env)
            #expect(unscoped.status == 1 && unscoped.stderr.contains("has no scope"), "\(unscoped.stderr)")
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
