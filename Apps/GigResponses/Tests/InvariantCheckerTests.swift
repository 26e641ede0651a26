import Foundation
import Invariants
import InvariantsMigrator
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedApps
import SeedAppsTesting
import SupportChat

@Suite("The invariant checker")
struct InvariantCheckerTests {
    /// Across apps: gig counters and chat-log usage in one database with every module.
    @Test("every invariant holds on a populated database; each kind of damage is named")
    func catchesDamage() async throws {
        try await withGigs(allModules: true) { f in
            try await f.addResponses(3, to: f.gigs[0])
            let chat = try await f.client.makeUser()
            try await f.client.execute("""
                INSERT INTO public.chat_logs (user_id, question, response, cost) VALUES (\(chat), 'q', 'a', 0.5)
                """)
            func broken() async throws -> [String] {
                try await f.client.withConnection { conn in
                    try await InvariantChecker(checks: ProjectCatalog.checks, logger: quietLogger).violations(on: conn).map(\.check)
                }
            }
            #expect(try await broken() == [])
            // Damage done the way a restore or a hand edit does it: triggers and FKs off.
            try await f.client.withConnection { conn in
                _ = try await conn.query("SET session_replication_role = replica", logger: quietLogger).collect()
                // Triggers are off: a load supplies gig_id itself (its CHECK holds it to entity_id).
                let orphan = UUID()
                _ = try await conn.query("INSERT INTO public.responses (workspace_id, entity_id, gig_id) VALUES (\(f.workspace), \(orphan), \(orphan))", logger: quietLogger).collect()
                _ = try await conn.query("INSERT INTO public.responses (workspace_id, entity_id, gig_id) VALUES (\(f.otherWorkspace), \(f.gigs[1]), \(f.gigs[1]))", logger: quietLogger).collect()
                _ = try await conn.query("INSERT INTO public.chat_logs (user_id, question, response, cost) VALUES (\(chat), 'q2', 'a2', 1)", logger: quietLogger).collect()
                _ = try await conn.query("SET session_replication_role = origin", logger: quietLogger).collect()
            }
            let names = try await broken()
            #expect(names.contains("counter gig_responses: stored equals actual"))
            #expect(names.contains("responses: no orphans (every gig response has its gig)"))
            #expect(names.contains("responses: in their gig's workspace"))
            #expect(names.contains("usage_daily equals the sums of chat_logs per user and UTC day"))
        }
    }
}
