import Foundation
import Invariants
import PostgresNIO
import Testing
import GigResponses
import SeedAppsTesting

@Suite("Seed 004: gig responses, cascade, counts and sync")
struct GigResponsesTests {
    @Test("counts: the seed's shape, as a member and as the backend")
    func counts() async throws {
        try await withGigs { f in
            try await f.addResponses(3, to: f.gigs[0])
            try await f.addResponses(2, to: f.gigs[0], status: "VIEWED")
            let counts = try await f.client.counts(gig: f.gigs[0], workspace: f.workspace, as: .user(f.alice))
            #expect(counts == GigResponseCounts(total: 5, new: 3, gigResponses: 5, gigNewResponses: 3, isSynced: true))
            let service = try await f.client.counts(gig: f.gigs[0], workspace: f.workspace)
            #expect(service == counts)
        }
    }

    @Test("deleting a response: counters follow; another workspace's response is not found and stays")
    func deleteResponse() async throws {
        try await withGigs { f in
            let mine = try await f.addResponses(2, to: f.gigs[0])
            let theirs = try await f.addResponses(1, to: f.otherGig, workspace: f.otherWorkspace)
            try await f.client.deleteResponse(mine[0], workspace: f.workspace, as: .user(f.alice))
            #expect(try await f.stored(f.gigs[0]) == (1, 1))

            // Alice names Bob's response with her own workspace: not found, nothing deleted.
            let wrong = await #expect(throws: InvariantsError.self) {
                try await f.client.deleteResponse(theirs[0], workspace: f.workspace, as: .user(f.alice))
            }
            #expect(wrong?.kind == .notFound)
            #expect(wrong?.column == "response_id")
            // …or with Bob's workspace: she is not a member.
            let forbidden = await #expect(throws: InvariantsError.self) {
                try await f.client.deleteResponse(theirs[0], workspace: f.otherWorkspace, as: .user(f.alice))
            }
            #expect(forbidden?.kind == .forbidden)
            // The backend too gets "not found" for the wrong workspace.
            let service = await #expect(throws: InvariantsError.self) {
                try await f.client.deleteResponse(theirs[0], workspace: f.workspace)
            }
            #expect(service?.kind == .notFound)
            #expect(try await f.count("SELECT count(*) FROM public.responses WHERE id = '\(theirs[0])'") == 1)
            #expect(try await f.stored(f.otherGig) == (1, 1))
        }
    }

    @Test("deleting a gig deletes its responses; a response for a missing gig is refused")
    func cascade() async throws {
        try await withGigs { f in
            try await f.addResponses(5, to: f.gigs[0])
            try await f.addResponses(2, to: f.gigs[1])
            // A member deletes a gig through public.delete_gig; a direct DELETE is not granted.
            let direct = await #expect(throws: InvariantsError.self) {
                try await f.client.run(as: .user(f.alice)) { conn in
                    try await conn.query("DELETE FROM public.gigs WHERE id = \(f.gigs[0])", logger: quietLogger).collect()
                }
            }
            #expect(direct?.kind == .insufficientPrivilege)
            #expect(try await f.count("SELECT count(*) FROM public.gigs WHERE id = '\(f.gigs[0])'") == 1)
            try await f.client.deleteGig(f.gigs[0], workspace: f.workspace, as: .user(f.alice))
            #expect(try await f.count("SELECT count(*) FROM public.responses WHERE entity_id = '\(f.gigs[0])'") == 0)
            #expect(try await f.count("SELECT count(*) FROM public.gigs WHERE id = '\(f.gigs[0])'") == 0)
            // Deleting it again, or a gig of another workspace, is "not found".
            let again = await #expect(throws: InvariantsError.self) {
                try await f.client.deleteGig(f.gigs[0], workspace: f.workspace, as: .user(f.alice))
            }
            #expect(again?.kind == .notFound)
            let foreign = await #expect(throws: InvariantsError.self) {
                try await f.client.deleteGig(f.otherGig, workspace: f.workspace, as: .user(f.alice))
            }
            #expect(foreign?.kind == .notFound)
            #expect(try await f.stored(f.gigs[1]) == (2, 2))

            let missing = await #expect(throws: InvariantsError.self) { try await f.addResponses(1, to: UUID()) }
            #expect(missing?.kind == .foreignKeyViolation)
            // A response cannot point at a gig of another workspace either.
            let crossTenant = await #expect(throws: InvariantsError.self) { try await f.addResponses(1, to: f.otherGig) }
            #expect(crossTenant?.kind == .foreignKeyViolation)
            // Re-pointing at a missing gig is refused the same way, and changes nothing.
            let ids = try await f.addResponses(1, to: f.gigs[1])
            await #expect(throws: InvariantsError.self) {
                try await f.sql("UPDATE public.responses SET entity_id = '\(UUID())' WHERE id = '\(ids[0])'")
            }
            #expect(try await f.stored(f.gigs[1]) == (3, 3))
            // Deleting the workspace takes gigs and responses with it.
            try await f.sql("DELETE FROM public.workspaces WHERE id = '\(f.workspace)'")
            #expect(try await f.count("SELECT count(*) FROM public.responses WHERE workspace_id = '\(f.workspace)'") == 0)
            #expect(try await f.drifted() == 0)
        }
    }

    @Test("a gig deleted while responses are being added leaves no orphan")
    func concurrentDelete() async throws {
        try await withGigs(gigCount: 8) { f in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for gig in f.gigs {
                    group.addTask {
                        for _ in 0..<10 {
                            do { try await f.addResponses(2, to: gig) } catch let error as InvariantsError where error.kind == .foreignKeyViolation {
                                return  // the gig is gone: refused, as it should be
                            }
                        }
                    }
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(Int.random(in: 0...30)))
                        try await f.sql("DELETE FROM public.gigs WHERE id = '\(gig)'")
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await f.count("""
                SELECT count(*) FROM public.responses AS r
                WHERE NOT EXISTS (SELECT 1 FROM public.gigs AS g WHERE g.id = r.entity_id)
                """) == 0)
        }
    }

    @Test("triggers bypassed as in a restore: drift appears, sync repairs and audits it")
    func bypassAndRepair() async throws {
        try await withGigs { f in
            try await f.addResponses(3, to: f.gigs[0])
            // A restore or bulk import with triggers off (session_replication_role = replica).
            try await f.client.withConnection { conn in
                _ = try await conn.query("SET session_replication_role = replica", logger: quietLogger).collect()
                _ = try await conn.query("""
                    INSERT INTO public.responses (workspace_id, entity_type, entity_id, gig_id, status)
                    SELECT \(f.workspace), 'gig', \(f.gigs[1]), \(f.gigs[1]), 'NEW' FROM generate_series(1, 4)
                    """, logger: quietLogger).collect()
                _ = try await conn.query("DELETE FROM public.responses WHERE entity_id = \(f.gigs[0]) AND id IN (SELECT id FROM public.responses WHERE entity_id = \(f.gigs[0]) LIMIT 1)", logger: quietLogger).collect()
                _ = try await conn.query("SET session_replication_role = origin", logger: quietLogger).collect()
            }
            #expect(try await f.drifted() == 2)
            let counts = try await f.client.counts(gig: f.gigs[1], workspace: f.workspace, as: .user(f.alice))
            #expect(!counts.isSynced)
            #expect(counts.total == 4 && counts.gigResponses == 0)

            let one = try await f.client.syncCounts(gig: f.gigs[1], workspace: f.workspace, as: .user(f.alice))
            #expect(one == CounterSyncResult(checked: 1, fixed: 1))
            #expect(try await f.drifted() == 1)
            let all = try await f.client.syncAllCounts(workspace: f.workspace)
            #expect(all == CounterSyncResult(checked: 4, fixed: 1))
            #expect(try await f.drifted() == 0)
            let again = try await f.client.syncAllCounts(workspace: f.workspace)
            #expect(again.fixed == 0, "nothing left to fix")
            let forced = try await f.client.syncAllCounts(workspace: f.workspace, force: true)
            #expect(forced == CounterSyncResult(checked: 4, fixed: 0), "force rewrites, but nothing differed")

            // The audit names each changed value, who repaired it, and when.
            let audit = try await f.sql("""
                SELECT parent_key, column_name, old_value::bigint, new_value::bigint, repaired_by
                FROM invariants.counter_repairs ORDER BY id
                """).map { try $0.decode((String, String, Int64, Int64, String).self) }
            #expect(audit.count == 4)
            #expect(audit[0].0 == f.gigs[1].uuidString.lowercased())
            #expect(audit[0].1 == "responses" && audit[0].2 == 0 && audit[0].3 == 4)
            #expect(audit[0].4 == f.alice.uuidString.lowercased(), "repaired by the member who asked")
            #expect(audit.contains { $0.0 == f.gigs[0].uuidString.lowercased() && $0.1 == "new_responses" && $0.2 == 3 && $0.3 == 2 })
        }
    }

    @Test("a repair running while 8 writers keep writing leaves no drift")
    func repairUnderWriters() async throws {
        try await withGigs(gigCount: 20, maximumConnections: 12) { f in
            // Drift first, so the repair has work to do.
            try await f.client.withConnection { conn in
                _ = try await conn.query("SET session_replication_role = replica", logger: quietLogger).collect()
                _ = try await conn.query("""
                    INSERT INTO public.responses (workspace_id, entity_type, entity_id, gig_id)
                    SELECT \(f.workspace), 'gig', g, g FROM unnest(\(f.gigs)::uuid[]) AS g, generate_series(1, 5)
                    """, logger: quietLogger).collect()
                _ = try await conn.query("SET session_replication_role = origin", logger: quietLogger).collect()
            }
            #expect(try await f.drifted() == 20)
            let stop = ManagedFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var i = 0
                        while !stop.isSet {
                            let gig = f.gigs[(worker * 7 + i) % f.gigs.count]
                            let ids = try await f.addResponses(1, to: gig, status: i % 3 == 0 ? "VIEWED" : "NEW")
                            if i % 4 == 0 { try await f.sql("UPDATE public.responses SET status = 'REJECTED' WHERE id = '\(ids[0])'") }
                            i += 1
                        }
                    }
                }
                group.addTask {
                    for _ in 0..<6 {
                        try await Task.sleep(for: .milliseconds(40))
                        _ = try await f.sql("SELECT * FROM invariants.repair_gig_responses(NULL, NULL, false, NULL, 7)")
                        _ = try await f.client.syncAllCounts(workspace: f.workspace)
                    }
                    stop.set()
                }
                try await group.waitForAll()
            }
            #expect(try await f.drifted() == 0)
        }
    }

    @Test("a gig's updated_at moves with its own data, not with its counters")
    func updatedAtIgnoresCounters() async throws {
        try await withGigs { f in
            func stamp() async throws -> Int64 {
                try await f.count("SELECT (extract(epoch FROM updated_at) * 1000000)::bigint FROM public.gigs WHERE id = '\(f.gigs[0])'")
            }
            let before = try await stamp()
            try await f.addResponses(3, to: f.gigs[0])
            #expect(try await f.stored(f.gigs[0]) == (3, 3))
            #expect(try await stamp() == before, "a counter change is not an update of the gig")
            try await f.sql("UPDATE public.gigs SET updated_at = '2000-01-01' WHERE id = '\(f.gigs[0])'")
            #expect(try await stamp() == before, "a client-sent updated_at is overruled")
            try await f.sql("UPDATE public.gigs SET title = 'Renamed' WHERE id = '\(f.gigs[0])'")
            #expect(try await stamp() > before, "a title change is")
        }
    }

    @Test("a non-member sees and changes none of a workspace's gigs or responses")
    func nonMember() async throws {
        try await withGigs { f in
            try await f.addResponses(2, to: f.gigs[0])
            let seen = try await f.client.run(as: .user(f.bob)) { conn in
                let gigs = try await conn.scalar("SELECT count(*) FROM public.gigs WHERE workspace_id = \(f.workspace)", as: Int64.self)
                let responses = try await conn.scalar("SELECT count(*) FROM public.responses WHERE workspace_id = \(f.workspace)", as: Int64.self)
                let updated = try await conn.query("UPDATE public.responses SET status = 'REJECTED' WHERE workspace_id = \(f.workspace) RETURNING id", logger: quietLogger).collect().count
                return [gigs, responses, Int64(updated)]
            }
            #expect(seen == [0, 0, 0])
            let deleteGig = await #expect(throws: InvariantsError.self) {
                try await f.client.deleteGig(f.gigs[0], workspace: f.workspace, as: .user(f.bob))
            }
            #expect(deleteGig?.kind == .forbidden)
            #expect(try await f.count("SELECT count(*) FROM public.gigs WHERE id = '\(f.gigs[0])'") == 1)
            // Inserting into a workspace Bob is not in is refused by the policy.
            let insert = await #expect(throws: InvariantsError.self) {
                try await f.client.run(as: .user(f.bob)) { conn in
                    try await conn.query("INSERT INTO public.gigs (workspace_id, title) VALUES (\(f.workspace), 'intruder')", logger: quietLogger).collect()
                }
            }
            #expect(insert?.kind == .insufficientPrivilege)
            let counts = await #expect(throws: InvariantsError.self) {
                try await f.client.counts(gig: f.gigs[0], workspace: f.workspace, as: .user(f.bob))
            }
            #expect(counts?.kind == .forbidden)
            let sync = await #expect(throws: InvariantsError.self) {
                try await f.client.syncAllCounts(workspace: f.workspace, as: .user(f.bob))
            }
            #expect(sync?.kind == .forbidden)
            // Counters are not writable by members either.
            let write = await #expect(throws: InvariantsError.self) {
                try await f.client.run(as: .user(f.alice)) { conn in
                    try await conn.query("UPDATE public.gigs SET responses = 99 WHERE id = \(f.gigs[0])", logger: quietLogger).collect()
                }
            }
            #expect(write?.kind == .insufficientPrivilege)
            #expect(try await f.stored(f.gigs[0]) == (2, 2))
        }
    }

    @Test("bad input: unknown ids, wrong workspace, missing arguments — typed errors, nothing written")
    func badInput() async throws {
        try await withGigs { f in
            try await f.addResponses(2, to: f.gigs[0])
            let before = try await f.count("SELECT count(*) FROM public.responses")
            let unknownGig = await #expect(throws: InvariantsError.self) {
                try await f.client.counts(gig: UUID(), workspace: f.workspace, as: .user(f.alice))
            }
            #expect(unknownGig?.kind == .notFound)
            #expect(unknownGig?.column == "gig_id")
            let wrongWorkspace = await #expect(throws: InvariantsError.self) {
                try await f.client.syncCounts(gig: f.otherGig, workspace: f.workspace)
            }
            #expect(wrongWorkspace?.kind == .notFound)
            let unknownWorkspace = await #expect(throws: InvariantsError.self) {
                try await f.client.syncAllCounts(workspace: UUID())
            }
            #expect(unknownWorkspace?.kind == .notFound)
            let unknownResponse = await #expect(throws: InvariantsError.self) {
                try await f.client.deleteResponse(UUID(), workspace: f.workspace)
            }
            #expect(unknownResponse?.kind == .notFound)
            let missing = await #expect(throws: InvariantsError.self) {
                try await f.sql("SELECT public.delete_response(NULL, '\(f.workspace)')")
            }
            #expect(missing?.kind == .invalidInput)
            #expect(missing?.column == "response_id")
            let malformed = await #expect(throws: InvariantsError.self) {
                try await f.sql("SELECT public.delete_response('not-a-uuid', '\(f.workspace)')")
            }
            #expect(malformed?.sqlState == "22P02", "invalid text representation")
            let badStatus = await #expect(throws: InvariantsError.self) { try await f.addResponses(1, to: f.gigs[0], status: "MAYBE") }
            #expect(badStatus?.kind == .checkViolation)
            let badName = await #expect(throws: InvariantsError.self) {
                try await f.client.createWorkspace(named: "  ", as: .user(f.alice))
            }
            #expect(badName?.kind == .invalidInput)
            #expect(try await f.count("SELECT count(*) FROM public.responses") == before)
            #expect(try await f.count("SELECT count(*) FROM invariants.counter_repairs") == 0)
            #expect(try await f.drifted() == 0)
        }
    }

    @Test("a user creates a workspace and works in it under RLS")
    func createWorkspace() async throws {
        try await withGigs { f in
            let carol = try await f.client.makeUser()
            let ws = try await f.client.createWorkspace(named: "Carol's", as: .user(carol))
            let gig = try await f.client.run(as: .user(carol)) { conn in
                try await conn.scalar("INSERT INTO public.gigs (workspace_id, title) VALUES (\(ws), 'Designer') RETURNING id", as: UUID.self)
            }
            try await f.client.run(as: .user(carol)) { conn in
                try await conn.query("INSERT INTO public.responses (workspace_id, entity_id) VALUES (\(ws), \(gig)), (\(ws), \(gig))", logger: quietLogger).collect()
            }
            let counts = try await f.client.counts(gig: gig, workspace: ws, as: .user(carol))
            #expect(counts.total == 2 && counts.gigResponses == 2 && counts.isSynced)
            let anonymous = await #expect(throws: InvariantsError.self) { try await f.client.createWorkspace(named: "x", as: .anonymous) }
            #expect(anonymous?.kind == .insufficientPrivilege)
        }
    }
}

/// A flag set once, read by many tasks.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
