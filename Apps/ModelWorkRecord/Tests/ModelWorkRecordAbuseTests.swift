import Foundation
import Invariants
import ModelWorkRecord
import Testing

/// Issue 16's findings 4 and 5: the global board cannot be gamed with throwaway accounts or
/// unbounded brains.
@Suite("model work record: the global board resists throwaway accounts and brain stuffing")
struct ModelWorkRecordAbuseTests {
    /// A new signed-up account (as a throwaway one would be).
    func account(_ f: ModelWorkRecordFixture) async throws -> UUID {
        let id = UUID()
        try await f.admin("INSERT INTO auth.users (id, email) VALUES ('\(id)', 'throwaway-\(id)@example.com')")
        return id
    }

    @Test("accounts that only dismissed a model do not make up min_users: one real user's figures stay hidden")
    func throwawayAccountsDoNotCount() async throws {
        try await withModelWorkRecord { f in
            let real = try await f.makeSession(owner: f.alice, models: ["niche"])
            for _ in 0..<4 { _ = try await f.client.recordModelResponse(sessionID: real, modelID: "niche") }
            for _ in 0..<2 {
                let throwaway = try await account(f)
                let s = try await f.makeSession(owner: throwaway, models: ["niche"])
                _ = try await f.client.dismissModel(as: .user(throwaway), sessionID: s, modelID: "niche")
            }
            #expect(try await f.scalar("SELECT count(DISTINCT user_id) FROM public.model_statistics WHERE model_id = 'niche'", as: Int64.self) == 3)
            #expect(try await f.client.globalModelLeaderboard(as: f.asBob).isEmpty, "one real user's exact figures would show")

            // Two more users with real responses: now three users count, and only they.
            for user in [f.bob, f.carol] {
                let s = try await f.makeSession(owner: user, models: ["niche"])
                _ = try await f.client.recordModelResponse(sessionID: s, modelID: "niche")
            }
            let board = try await f.client.globalModelLeaderboard(as: f.asBob)
            #expect(board.map(\.modelID) == ["niche"])
            #expect(board.first?.userCount == 3)
            #expect(board.first?.responseCount == 6)
        }
    }

    @Test("brains are capped at 1000 per (user, session, model): beyond it IV422 naming the cap, nothing added")
    func brainsCap() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a"])
            _ = try await f.client.recordModelResponse(sessionID: s, modelID: "a")
            #expect(try await f.client.addBrains(as: f.asAlice, sessionID: s, modelID: "a", brains: 1000) == 1000)
            let refused = await #expect(throws: InvariantsError.self) {
                try await f.client.addBrains(as: f.asAlice, sessionID: s, modelID: "a", brains: 1)
            }
            #expect(refused?.sqlState == "IV422")
            #expect(refused?.kind == .invalidInput)
            #expect(refused?.column == "brains")
            #expect(refused?.message.contains("capped at \(ModelWorkRecordModule.brainsCap)") == true, "\(String(describing: refused?.message))")
            #expect(try await f.counters(user: f.alice, model: "a", session: s)! == (1, 1000, 0))
        }
    }

    @Test("concurrent brains cannot pass the cap together: 8 sessions of one user × 200 brains, exactly 5 succeed")
    func brainsCapUnderConcurrency() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a"])
            _ = try await f.client.recordModelResponse(sessionID: s, modelID: "a")
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        (try? await f.client.addBrains(as: f.asAlice, sessionID: s, modelID: "a", brains: 200)) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 5)
            #expect(try await f.counters(user: f.alice, model: "a", session: s)! == (1, 1000, 0))
        }
    }
}

/// Issue 16, finding 13: a NULL session id is a bad argument (IV422 naming it), not a missing session.
@Suite("model work record: a NULL session id is named as the bad argument")
struct ModelWorkRecordNullSessionTests {
    @Test("add_brains, dismiss_model, set_session_models, record_model_response with a NULL session: IV422 session_id")
    func nullSession() async throws {
        try await withModelWorkRecord { f in
            for (user, sql) in [
                (f.asAlice, "SELECT * FROM public.add_brains(NULL, 'a', 5)"),
                (f.asAlice, "SELECT * FROM public.dismiss_model(NULL, 'a', NULL)"),
                (f.asAlice, "SELECT * FROM public.set_session_models(NULL, ARRAY['a'], 1)"),
                (UserContext.service, "SELECT * FROM public.record_model_response(NULL, 'a')"),
            ] {
                let refused = await #expect(throws: InvariantsError.self) { try await f.run(as: user, sql) }
                #expect(refused?.sqlState == "IV422", "\(sql): \(String(describing: refused))")
                #expect(refused?.column == "session_id", "\(sql)")
                #expect(refused?.message == "session_id is required", "\(sql)")
            }
        }
    }
}
