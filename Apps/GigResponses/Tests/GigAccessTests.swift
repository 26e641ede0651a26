import Foundation
import Invariants
import PostgresNIO
import Synchronization
import Testing
import GigResponses
import SeedAppsTesting

/// Issue 16, findings 1, 7 and 12: who may run what, decided by grants rather than claims, and
/// gig deletes that cannot deadlock with response updates.
@Suite("Gig responses: access by grant, deadlock-free gig deletes")
struct GigAccessTests {
    /// Runs `sql` as role `authenticated` with `claims` set by hand — as any session can set
    /// them (`call_as` refuses claims whose role differs from its role; a raw session does not).
    func asAuthenticated(_ f: GigFixture, claims: String, _ sql: String) async throws {
        try await f.client.transaction { conn in
            _ = try await conn.query("""
                SELECT pg_catalog.set_config('role', 'authenticated', true),
                       pg_catalog.set_config('request.jwt.claims', \(claims), true)
                """, logger: quietLogger).collect()
            _ = try await conn.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger).collect()
        }
    }

    @Test("claims saying service_role do not make a signed-in user the backend")
    func forgedServiceRoleClaims() async throws {
        try await withGigs { f in
            try await f.addResponses(3, to: f.gigs[0])
            try await f.sql("UPDATE public.gigs SET responses = 0, new_responses = 0 WHERE id = '\(f.gigs[0])'")
            let forged = "{\"role\":\"service_role\",\"sub\":\"\(f.bob.uuidString.lowercased())\"}"
            for call in [
                "SELECT * FROM public.sync_workspace_response_counts('\(f.workspace)', true)",
                "SELECT * FROM public.sync_gig_response_counts('\(f.gigs[0])', '\(f.workspace)', true)",
                "SELECT public.delete_gig('\(f.gigs[1])', '\(f.workspace)')",
            ] {
                let refused = await #expect(throws: InvariantsError.self, "\(call)") {
                    try await asAuthenticated(f, claims: forged, call)
                }
                #expect(refused?.kind == .forbidden, "\(call): \(String(describing: refused))")
            }
            // Nothing was repaired or deleted: the drift stays for the real backend to fix.
            #expect(try await f.stored(f.gigs[0]) == (0, 0))
            #expect(try await f.count("SELECT count(*) FROM public.gigs WHERE id = '\(f.gigs[1])'") == 1)
            // The backend's own path is a grant: a signed-in user cannot call it, even directly.
            let direct = await #expect(throws: InvariantsError.self) {
                try await asAuthenticated(f, claims: forged, """
                    SELECT * FROM invariants_private.sync_workspace_response_counts_service('\(f.workspace)', true)
                    """)
            }
            #expect(direct?.kind == .insufficientPrivilege)
            // The real service role repairs any workspace through the same public function.
            let result = try await f.client.syncAllCounts(workspace: f.workspace, as: .service)
            #expect(result.fixed == 1)
            #expect(try await f.stored(f.gigs[0]) == (3, 3))
        }
    }

    @Test("the API schema holds no SECURITY DEFINER function a signed-in user can run")
    func noDefinerFunctionInPublic() async throws {
        try await withGigs(allModules: true) { f in
            let exposed = try await f.sql("""
                SELECT p.oid::regprocedure::text FROM pg_proc AS p
                WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
                  AND has_function_privilege('authenticated', p.oid, 'EXECUTE')
                ORDER BY 1
                """).map { try $0.decode(String.self) }
            #expect(exposed == [])
            // The helpers exist, run as their owner, pin search_path and are not anon's.
            let helpers = try await f.sql("""
                SELECT p.proname, p.prosecdef, p.proconfig = ARRAY['search_path=""'],
                       has_function_privilege('anon', p.oid, 'EXECUTE')
                FROM pg_proc AS p WHERE p.pronamespace = 'invariants_private'::regnamespace ORDER BY 1
                """).map { try $0.decode((String, Bool, Bool, Bool).self) }
            #expect(helpers.map(\.0) == [
                "add_brains", "create_workspace", "delete_gig", "delete_gig_service", "dismiss_model",
                "global_model_leaderboard", "set_session_models", "sync_gig_response_counts",
                "sync_gig_response_counts_service", "sync_workspace_response_counts",
                "sync_workspace_response_counts_service",
            ])
            #expect(helpers.allSatisfy { $0.1 && $0.2 && !$0.3 })
        }
    }

    @Test("gig deletes among response updates: no deadlock, counters exact", .timeLimit(.minutes(5)))
    func deleteGigsDuringUpdates() async throws {
        try await withGigs(gigCount: 6, maximumConnections: 12) { f in
            let shared = DeleteLoad(gigs: f.gigs)
            for gig in f.gigs { try await f.addResponses(20, to: gig) }
            // The client runs a deadlock victim again, so deadlocks are counted where PostgreSQL
            // detects them (pg_stat_database), not by the errors callers see.
            let serverDeadlocks = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            let deadlocksBefore = try await f.count(serverDeadlocks)
            let until = ContinuousClock.now + .seconds(6)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Updaters: re-status a few responses of a gig in one statement, as a member.
                for _ in 0..<4 {
                    group.addTask {
                        while ContinuousClock.now < until {
                            guard let gig = shared.gigs.withLock({ $0.randomElement() }) else { continue }
                            do {
                                try await f.client.run(as: .user(f.alice)) { conn in
                                    _ = try await conn.query("""
                                        UPDATE public.responses SET status = CASE status WHEN 'NEW' THEN 'VIEWED' ELSE 'NEW' END
                                        WHERE id IN (SELECT id FROM public.responses WHERE gig_id = \(gig) ORDER BY random() LIMIT 1)
                                        """, logger: quietLogger).collect()
                                }
                                shared.updates.add(1, ordering: .relaxed)
                            } catch let error as InvariantsError { shared.note(error) }
                        }
                    }
                }
                // Deleters: delete a gig through the API and put a new one with responses back.
                for _ in 0..<2 {
                    group.addTask {
                        while ContinuousClock.now < until {
                            guard let gig = shared.gigs.withLock({ $0.randomElement() }) else { continue }
                            do {
                                try await f.client.deleteGig(gig, workspace: f.workspace, as: .user(f.alice))
                                shared.deletes.add(1, ordering: .relaxed)
                            } catch let error as InvariantsError where error.kind == .notFound {
                                // The other deleter took it first.
                            } catch let error as InvariantsError { shared.note(error) }
                            shared.gigs.withLock { $0.removeAll { $0 == gig } }
                            let fresh = try await f.client.scalar(
                                "INSERT INTO public.gigs (workspace_id, title) VALUES (\(f.workspace), 'again') RETURNING id",
                                as: UUID.self)
                            try await f.addResponses(20, to: fresh)
                            shared.gigs.withLock { $0.append(fresh) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(shared.deadlocks.load(ordering: .relaxed) == 0)
            // Statistics reach shared memory within a second of a backend going idle.
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await f.count(serverDeadlocks) - deadlocksBefore == 0)
            // Both kinds of writer got work done (few of each on a loaded machine; dozens here).
            #expect(shared.deletes.load(ordering: .relaxed) > 0)
            #expect(shared.updates.load(ordering: .relaxed) > 0)
            #expect(try await f.drifted() == 0)
            #expect(try await f.count("""
                SELECT count(*) FROM public.responses AS r
                WHERE NOT EXISTS (SELECT 1 FROM public.gigs AS g WHERE g.id = r.entity_id)
                """) == 0)
        }
    }
}

/// What the writers of ``GigAccessTests/deleteGigsDuringUpdates()`` share: the live gigs and
/// what happened.
final class DeleteLoad: Sendable {
    let gigs: Mutex<[UUID]>
    let deadlocks = Atomic<Int>(0)
    let deletes = Atomic<Int>(0)
    let updates = Atomic<Int>(0)

    init(gigs: [UUID]) { self.gigs = Mutex(gigs) }

    /// Counts an error callers saw as a deadlock (the client retries them, so there should be none).
    func note(_ error: InvariantsError) {
        if error.kind == .deadlock { deadlocks.add(1, ordering: .relaxed) }
    }
}
