import Foundation
import ChatLogs
import Generations
import GigResponses
import Invariants
import InvariantsCLI
import InvariantsMigrator
import ModelWorkRecord
import SeedApps
import SupportChat
import PostgresNIO

/// The demo's stories of seeds 004 (gig counters) and 002 (edits joining their card).
extension DemoScript {
    func gigStory(_ client: InvariantsClient, alice: UUID, bob: UUID) async throws {
        report.section("6a. Seed 004: gig counters under a concurrent burst, a bypassed load, a repair")
        let workspace = try await client.createWorkspace(named: "Acme hiring", as: .user(alice))
        let gigs = try await client.run(as: .user(alice)) { conn in
            try await conn.query("""
                INSERT INTO public.gigs (workspace_id, title) SELECT \(workspace), 'Gig ' || g FROM generate_series(1, 4) AS g RETURNING id
                """, logger: quietLogger).collect().map { try $0.decode(UUID.self) }
        }
        // 8 writers at once: single responses, bulk imports, status changes, moves between gigs.
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for i in 0..<25 {
                        let gig = gigs[(writer + i) % gigs.count]
                        // One statement per transaction: a statement locks every gig it touches
                        // in key order, so these writers never deadlock on the counters.
                        try await client.run(as: .user(alice)) { conn in
                            _ = try await conn.query(
                                "INSERT INTO public.responses (workspace_id, entity_id) SELECT \(workspace), \(gig) FROM generate_series(1, \(1 + i % 3))",
                                logger: quietLogger).collect()
                        }
                        if i % 4 == 0 {
                            try await client.run(as: .user(alice)) { conn in
                                _ = try await conn.query("""
                                    UPDATE public.responses SET status = 'VIEWED', entity_id = \(gigs[(writer + i + 1) % gigs.count])
                                    WHERE id IN (SELECT id FROM public.responses WHERE entity_id = \(gig) AND status = 'NEW' LIMIT 2)
                                    """, logger: quietLogger).collect()
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = try await client.query("SELECT count(*) FROM public.responses").first?.decode(Int64.self) ?? 0
        let counts = try await client.counts(gig: gigs[0], workspace: workspace, as: .user(alice))
        report.line("8 writers × 25 transactions in \(ms(ContinuousClock.now - started)) ms: \(total) responses; gig 1 stores \(counts.gigResponses) (\(counts.gigNewResponses) new), counts \(counts.total) (\(counts.new) new)")
        let drifted = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM invariants.gig_responses_drift")).first?.decode(Int64.self) ?? -1
        report.check(drifted == 0, "seed 004's monitoring query: \(drifted) gigs out of sync")
        do {
            _ = try await client.counts(gig: gigs[0], workspace: workspace, as: .user(bob))
            report.check(false, "Bob read a workspace he is not in")
        } catch {
            report.check(error.kind == .forbidden, "Bob (not a member) asking for the counts → .\(error.kind.rawValue)")
        }
        // A restore or bulk import with triggers off: the counters drift.
        try await client.withConnection { conn in
            _ = try await conn.query("SET session_replication_role = replica", logger: quietLogger).collect()
            _ = try await conn.query("INSERT INTO public.responses (workspace_id, entity_id, gig_id) SELECT \(workspace), \(gigs[1]), \(gigs[1]) FROM generate_series(1, 40)", logger: quietLogger).collect()
            _ = try await conn.query("SET session_replication_role = origin", logger: quietLogger).collect()
        }
        let bypassed = try await client.counts(gig: gigs[1], workspace: workspace, as: .user(alice))
        report.line("40 responses loaded with triggers off: gig 2 stores \(bypassed.gigResponses), counts \(bypassed.total), isSynced \(bypassed.isSynced)")
        let repair = try await client.syncAllCounts(workspace: workspace, as: .user(alice))
        let audited = try await client.query("SELECT count(*) FROM invariants.counter_repairs").first?.decode(Int64.self) ?? 0
        let after = try await client.counts(gig: gigs[1], workspace: workspace, as: .user(alice))
        report.check(after.isSynced && repair.fixed == 1,
                     "sync: checked \(repair.checked) gigs, fixed \(repair.fixed); \(audited) changed values audited; gig 2 now \(after.gigResponses)")
    }

    func editStory(_ client: InvariantsClient, alice: UUID, bob: UUID) async throws {
        report.section("6b. Seed 002: an edit joins its source card, exactly once, pushed to the client")
        let first = try await client.createGenerationJob(NewGenerationJob(userID: alice), as: .user(alice))
        let card = try await client.completeGenerationJob(first, imageURL: "https://img.example/original.png", tokensCost: 10).generationID!
        let edit = try await client.createGenerationJob(.edit(of: card, for: alice), as: .user(alice))
        let started = ContinuousClock.now
        async let pushed = client.awaitEdit(job: edit, as: .user(alice), timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(100))
        _ = try await client.markGenerationJobProcessing(edit)
        _ = try await client.completeGenerationJob(edit, imageURL: "https://img.example/edited.png", tokensCost: 4)
        let updated = try await pushed
        report.check(updated.id == card && updated.images.count == 2 && updated.images.last?.edited == true && updated.tokensUsed == 14,
                     "awaitEdit (LISTEN) returned the source card after \(ms(ContinuousClock.now - started)) ms: \(updated.images.count) images, the last marked edited, \(updated.tokensUsed) tokens")
        do {
            _ = try await client.completeGenerationJob(edit, imageURL: "https://img.example/again.png", tokensCost: 4)
            report.check(false, "a job was completed twice")
        } catch {
            report.check(error.kind == .illegalTransition, "completing it again → .\(error.kind.rawValue): \(error.message)")
        }
        let bobs = try await client.createGenerationJob(.edit(of: card, for: bob), as: .user(bob))
        _ = try await client.markGenerationJobProcessing(bobs)
        let done = try await client.completeGenerationJob(bobs, imageURL: "https://img.example/bob.png", tokensCost: 2)
        let stillAlice = try await client.generation(card, as: .user(alice))
        report.check(done.generationID != card && stillAlice.images.count == 2,
                     "Bob's job naming Alice's card: her card unchanged (\(stillAlice.images.count) images), Bob got a card of his own")
    }

    func checkerStory(_ url: DatabaseURL) async throws {
        let violations = try await withDirectConnection(url) { connection throws(InvariantsError) in
            try await InvariantChecker(checks: ProjectCatalog.checks, logger: quietLogger).violations(on: connection)
        }
        report.check(violations.isEmpty, "invariant checker: \(ProjectCatalog.checks.count - violations.count) of \(ProjectCatalog.checks.count) invariants hold\(violations.isEmpty ? "" : ": broken \(violations.map(\.check))")")
    }
}

/// Seed 001 (support chat) and the analytics views of seeds 001 and 003.
extension DemoScript {
    func supportStory(_ client: InvariantsClient) async throws {
        report.section("6c. Seed 001: a support chat resolved, its metrics set by the database")
        let id = "sess_demo_\(UUID().uuidString.prefix(6).lowercased())"
        _ = try await client.openChatSession(NewChatSession(sessionID: id, channel: .widget, customerEmail: "customer@example.com"))
        _ = try await client.addChatMessage(NewChatMessage(sessionID: id, role: .user, content: "My invoice is wrong"))
        try await Task.sleep(for: .milliseconds(30))
        _ = try await client.addChatMessage(NewChatMessage(sessionID: id, role: .assistant, content: "Let me check that for you."))
        _ = try await client.addChatMessage(NewChatMessage(sessionID: id, role: .user, content: "Thanks!"))
        _ = try await client.recordEvaluation(id, decision: .send, confidence: .high)
        let resolved = try await client.changeChatSessionStatus(id, to: .resolved)
        report.check(resolved.totalMessages == 3 && resolved.aiMessages == 1 && resolved.humanMessages == 2,
                     "counters: \(resolved.totalMessages) messages, \(resolved.aiMessages) AI, \(resolved.humanMessages) from the customer")
        report.check(resolved.firstResponseTimeMs != nil && resolved.resolvedAt != nil && resolved.resolutionTimeSeconds != nil,
                     "first response after \(resolved.firstResponseTimeMs ?? -1) ms; resolved_at and resolution_time_seconds set by the database")
        do {
            _ = try await client.changeChatSessionStatus(id, to: .closed)
            _ = try await client.changeChatSessionStatus(id, to: .escalated)
            report.check(false, "a closed session was escalated")
        } catch {
            report.check(error.kind == .illegalTransition, "closed → escalated → .\(error.kind.rawValue): \(error.message)")
        }
        let funnel = try await client.pipelineFunnel()
        report.line("v_pipeline_funnel: " + funnel.map { "\($0.primaryCategory ?? "uncategorised"): \($0.total) total, \($0.autoSent) auto-sent" }.joined(separator: "; "))
    }

    func analyticsStory(_ client: InvariantsClient) async throws {
        report.section("8. Analytics (security_invoker views, the seeds' own queries as oracles in the tests)")
        for row in try await client.sessionStats() {
            report.line("v_session_stats: \(row.channel.rawValue), \(row.totalSessions) sessions, \(row.resolved) resolved, avg first response \(row.avgFirstResponseMs.map { "\($0)" } ?? "—") ms")
        }
        let activity = try await client.chatActivityByUser()
        if activity.isEmpty { report.line("activity by user: no rows (it lists users with a profile)") }
        for row in activity {
            report.line("activity by user: \(row.displayName ?? row.userID.uuidString.prefix(8).lowercased()), \(row.questions) question(s), cost \(row.totalCost.map { "\($0)" } ?? "—")")
        }
        for row in try await client.popularChatTools() {
            report.line("popular tools: \(row.toolName ?? "?") used \(row.usageCount)×")
        }
        for row in try await client.dailyChatCosts() {
            report.line("daily costs: \(row.day.formatted(.iso8601.year().month().day())): \(row.requests) request(s), $\(row.dailyCost.map { "\($0)" } ?? "0")")
        }
    }
}
