import Foundation
import Invariants
import PostgresNIO
import Testing
import ModelWorkRecord
import SeedAppsTesting

@Suite("Seed 000: session delete folds the record; concurrent writers", .serialized)
struct ModelWorkRecordFoldTests {
    @Test("deleting sessions folds them into one lifetime row per (user, model): exact sums, no duplicates")
    func foldAccumulates() async throws {
        try await withModelWorkRecord { f in
            var sessions: [UUID] = []
            for index in 0..<3 {
                let s = try await f.makeSession(owner: f.alice, models: ["a", "b"])
                sessions.append(s)
                for _ in 0...index { _ = try await f.client.recordModelResponse(sessionID: s, modelID: "a") }
                _ = try await f.client.addBrains(as: f.asAlice, sessionID: s, modelID: "a", brains: 10 * (index + 1))
                _ = try await f.client.dismissModel(as: f.asAlice, sessionID: s, modelID: "b")
            }
            let bobSession = try await f.makeSession(owner: f.bob, models: ["a"])
            _ = try await f.client.recordModelResponse(sessionID: bobSession, modelID: "a")

            try await f.run(as: f.asAlice, "DELETE FROM public.sessions WHERE id = '\(sessions[0])'")
            #expect(try await f.counters(user: f.alice, model: "a", session: nil)! == (1, 10, 0))
            #expect(try await f.counters(user: f.alice, model: "b", session: nil)! == (0, 0, 1))
            // Two more at once, then check the sums of all three.
            try await f.run(as: f.asAlice, "DELETE FROM public.sessions WHERE id IN ('\(sessions[1])', '\(sessions[2])')")
            #expect(try await f.counters(user: f.alice, model: "a", session: nil)! == (6, 60, 0))
            #expect(try await f.counters(user: f.alice, model: "b", session: nil)! == (0, 0, 3))
            #expect(try await f.scalar("SELECT count(*) FROM public.model_statistics WHERE user_id = '\(f.alice)'", as: Int64.self) == 2)
            #expect(try await f.scalar("SELECT folded_session_count FROM public.model_statistics WHERE user_id = '\(f.alice)' AND model_id = 'a'", as: Int64.self) == 3)
            // Bob's record is untouched.
            #expect(try await f.counters(user: f.bob, model: "a", session: bobSession)! == (1, 0, 0))
            #expect(try await f.counters(user: f.bob, model: "a", session: nil) == nil)
            // Deleting the user takes everything with it (no fold into a user being deleted).
            try await f.admin("DELETE FROM auth.users WHERE id = '\(f.alice)'")
            #expect(try await f.scalar("SELECT count(*) FROM public.model_statistics WHERE user_id = '\(f.alice)'", as: Int64.self) == 0)
        }
    }

    @Test("N concurrent record_model_response for one (user, model, session) give exactly N")
    func concurrentResponses() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a"])
            let n = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<n {
                    group.addTask { _ = try await f.client.recordModelResponse(sessionID: s, modelID: "a") }
                }
                try await group.waitForAll()
            }
            #expect(try await f.counters(user: f.alice, model: "a", session: s)! == (Int64(n), 0, 0))
            #expect(try await f.statisticsRowCount() == 1)
        }
    }

    @Test("responses racing a session delete: every accepted response is counted exactly once")
    func concurrentResponsesAndDelete() async throws {
        try await withModelWorkRecord { f in
            var expected: Int64 = 0
            for _ in 0..<5 {
                let s = try await f.makeSession(owner: f.alice, models: ["a"])
                _ = try await f.client.recordModelResponse(sessionID: s, modelID: "a")
                let accepted = try await withThrowingTaskGroup(of: Int64.self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            if index == 10 {
                                try await f.run(as: f.asAlice, "DELETE FROM public.sessions WHERE id = '\(s)'")
                                return 0
                            }
                            do {
                                _ = try await f.client.recordModelResponse(sessionID: s, modelID: "a")
                                return 1
                            } catch let error as InvariantsError where error.kind == .notFound {
                                return 0  // arrived after the delete: refused, not lost
                            }
                        }
                    }
                    return try await group.reduce(0, +)
                }
                expected += 1 + accepted
                #expect(try await f.counters(user: f.alice, model: "a", session: nil)!.0 == expected)
                #expect(try await f.statisticsRowCount() == 1, "only the lifetime row remains")
            }
        }
    }

    @Test("concurrent dismiss and set_session_models: the dismissed model never comes back, dismissal counted once")
    func concurrentDismissAndSetModels() async throws {
        try await withModelWorkRecord { f in
            for _ in 0..<8 {
                let s = try await f.makeSession(owner: f.alice, models: ["a", "b"])
                async let dismissed = f.client.dismissModel(as: f.asAlice, sessionID: s, modelID: "b")
                async let saved: SessionModels? = {
                    do {
                        return try await f.client.setSessionModels(as: f.asAlice, sessionID: s, models: ["a", "b", "c"], expectedVersion: 1)
                    } catch let error as InvariantsError where error.kind == .conflict {
                        return nil  // the dismiss won; the stale save was refused
                    }
                }()
                let d = try await dismissed
                let set = try await saved
                #expect(d.dismissed)
                let panel = try await f.client.sessionModels(as: f.asAlice, sessionID: s)
                #expect(!panel.models.contains("b"))
                #expect(panel.models == (set == nil ? ["a"] : ["a", "c"]))
                #expect(try await f.counters(user: f.alice, model: "b", session: s)!.2 == 1)
            }
        }
    }
}
