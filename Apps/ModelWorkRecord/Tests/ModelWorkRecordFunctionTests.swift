import Foundation
import Invariants
import PostgresNIO
import Testing
import ModelWorkRecord
import SeedAppsTesting

@Suite("Seed 000: model work record functions", .serialized)
struct ModelWorkRecordFunctionTests {
    @Test("record_model_response upserts: +1 per call, first/last used set, one row per session")
    func recordResponse() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["openai/gpt-4o", "anthropic/claude"])
            let first = try await f.client.recordModelResponse(sessionID: s, modelID: "openai/gpt-4o")
            #expect(first.responseCount == 1)
            #expect(first.firstUsedAt != nil && first.firstUsedAt == first.lastUsedAt)
            let second = try await f.client.recordModelResponse(sessionID: s, modelID: "openai/gpt-4o")
            #expect(second.responseCount == 2)
            #expect(second.firstUsedAt == first.firstUsedAt)
            #expect(try await f.counters(user: f.alice, model: "openai/gpt-4o", session: s)! == (2, 0, 0))
            #expect(try await f.statisticsRowCount() == 1)
        }
    }

    @Test("dismiss removes the model and its settings and counts it, atomically; a second dismiss is a no-op")
    func dismiss() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a", "b", "c"], settings: ["b": #"{"temperature": 0.2}"#, "c": "{}"])
            let result = try await f.client.dismissModel(as: f.asAlice, sessionID: s, modelID: "b", note: "too slow")
            #expect(result.dismissed)
            #expect(result.panel == SessionModels(version: 2, models: ["a", "c"]))
            #expect(result.dismissalCount == 1)
            let (version, config) = try await f.config(s)
            #expect(version == 2)
            #expect(config == #"{"selectedModels": ["a", "c"], "perModelSettings": {"c": {}}}"#)
            #expect(try await f.counters(user: f.alice, model: "b", session: s)! == (0, 0, 1))
            #expect(try await f.scalar("SELECT last_dismissal_note FROM public.model_statistics WHERE model_id = 'b'", as: String.self) == "too slow")

            let again = try await f.client.dismissModel(as: f.asAlice, sessionID: s, modelID: "b")
            #expect(!again.dismissed)
            #expect(again.panel == SessionModels(version: 2, models: ["a", "c"]))
            #expect(again.dismissalCount == 1)
            #expect(try await f.config(s).0 == 2, "an idempotent dismiss does not bump the version")

            let never = await #expect(throws: InvariantsError.self) {
                try await f.client.dismissModel(as: f.asAlice, sessionID: s, modelID: "never-on-panel")
            }
            #expect(never?.kind == .notFound)
            #expect(never?.column == "model_id")
            #expect(try await f.statisticsRowCount() == 1)
        }
    }

    @Test("dismiss fails as a whole: a bad note leaves panel and record untouched")
    func dismissAtomic() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a", "b"])
            let before = try await f.config(s)
            let error = await #expect(throws: InvariantsError.self) {
                try await f.client.dismissModel(as: f.asAlice, sessionID: s, modelID: "b", note: String(repeating: "x", count: 501))
            }
            #expect(error?.kind == .invalidInput)
            #expect(error?.column == "note")
            #expect(try await f.config(s) == before)
            #expect(try await f.statisticsRowCount() == 0)
        }
    }

    @Test("add_brains adds positive amounts only, to a model with a record in the session")
    func addBrains() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a", "b"])
            _ = try await f.client.recordModelResponse(sessionID: s, modelID: "a")
            #expect(try await f.client.addBrains(as: f.asAlice, sessionID: s, modelID: "a", brains: 5) == 5)
            #expect(try await f.client.addBrains(as: f.asAlice, sessionID: s, modelID: "a", brains: 3) == 8)
            for bad in [0, -3, 1001, Int.max] {
                let error = await #expect(throws: InvariantsError.self) {
                    try await f.client.addBrains(as: f.asAlice, sessionID: s, modelID: "a", brains: bad)
                }
                #expect(error?.kind == .invalidInput)
                #expect(error?.column == "brains")
                #expect(error?.sqlState == "IV422")
            }
            let noRecord = await #expect(throws: InvariantsError.self) {
                try await f.client.addBrains(as: f.asAlice, sessionID: s, modelID: "b", brains: 1)
            }
            #expect(noRecord?.kind == .notFound)
            #expect(noRecord?.column == "model_id")
            #expect(try await f.counters(user: f.alice, model: "a", session: s)! == (1, 8, 0))
            #expect(try await f.statisticsRowCount() == 1)
        }
    }

    @Test("set_session_models: replaces the panel at the expected version, refuses a stale one and bad lists")
    func setModels() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a", "b"], settings: ["a": "{}", "b": #"{"x": 1}"#])
            let panel = try await f.client.setSessionModels(as: f.asAlice, sessionID: s, models: ["b", "c"], expectedVersion: 1)
            #expect(panel == SessionModels(version: 2, models: ["b", "c"]))
            #expect(try await f.config(s).1 == #"{"selectedModels": ["b", "c"], "perModelSettings": {"b": {"x": 1}}}"#)
            let same = try await f.client.setSessionModels(as: f.asAlice, sessionID: s, models: ["b", "c"], expectedVersion: 2)
            #expect(same.version == 2, "an unchanged panel is not a change")

            let stale = await #expect(throws: InvariantsError.self) {
                try await f.client.setSessionModels(as: f.asAlice, sessionID: s, models: ["a"], expectedVersion: 1)
            }
            #expect(stale?.kind == .conflict)
            #expect(stale?.sqlState == "IV409")
            for bad in [["a", "a"], [""], [String(repeating: "m", count: 201)], (0..<65).map { "m\($0)" }] {
                let error = await #expect(throws: InvariantsError.self) {
                    try await f.client.setSessionModels(as: f.asAlice, sessionID: s, models: bad, expectedVersion: 2)
                }
                #expect(error?.kind == .invalidInput)
                #expect(error?.column == "models")
            }
            #expect(try await f.client.sessionModels(as: f.asAlice, sessionID: s) == SessionModels(version: 2, models: ["b", "c"]))
        }
    }

    @Test("per-model statistics and the own leaderboard sum every session, deleted ones included")
    func statisticsAndOwnLeaderboard() async throws {
        try await withModelWorkRecord { f in
            let s1 = try await f.makeSession(owner: f.alice, models: ["a", "b"])
            let s2 = try await f.makeSession(owner: f.alice, models: ["a"])
            for _ in 0..<3 { _ = try await f.client.recordModelResponse(sessionID: s1, modelID: "a") }
            _ = try await f.client.recordModelResponse(sessionID: s1, modelID: "b")
            _ = try await f.client.recordModelResponse(sessionID: s2, modelID: "a")
            _ = try await f.client.addBrains(as: f.asAlice, sessionID: s1, modelID: "b", brains: 10)
            _ = try await f.client.addBrains(as: f.asAlice, sessionID: s2, modelID: "a", brains: 2)
            _ = try await f.client.dismissModel(as: f.asAlice, sessionID: s1, modelID: "a")
            try await f.run(as: f.asAlice, "DELETE FROM public.sessions WHERE id = '\(s1)'")

            let a = try #require(try await f.client.modelStatistics(as: f.asAlice, modelID: "a").first)
            #expect(a.sessionCount == 2)
            #expect(a.responseCount == 4)
            #expect(a.totalBrains == 2)
            #expect(a.dismissalCount == 1)
            #expect(a.firstUsedAt != nil && a.lastUsedAt! >= a.firstUsedAt!)
            #expect(try await f.client.modelStatistics(as: f.asAlice).map(\.modelID) == ["a", "b"])
            #expect(try await f.client.modelStatistics(as: f.asBob).isEmpty)

            let board = try await f.client.myModelLeaderboard(as: f.asAlice)
            #expect(board.map(\.modelID) == ["b", "a"])
            #expect(board.map(\.rank) == [1, 2])
            #expect(board[0].totalBrains == 10 && board[1].responseCount == 4)
            #expect(try await f.client.myModelLeaderboard(as: f.asAlice, limit: 1).count == 1)
            let badLimit = await #expect(throws: InvariantsError.self) { try await f.client.myModelLeaderboard(as: f.asAlice, limit: 0) }
            #expect(badLimit?.column == "limit")
        }
    }

    @Test("global leaderboard: sums only, only models used by at least min_users distinct users")
    func globalLeaderboard() async throws {
        try await withModelWorkRecord { f in
            let users = [f.alice, f.bob, f.carol]
            for (index, user) in users.enumerated() {
                let s = try await f.makeSession(owner: user, models: ["shared", "pair"])
                for _ in 0...index { _ = try await f.client.recordModelResponse(sessionID: s, modelID: "shared") }
                if user != f.carol { _ = try await f.client.recordModelResponse(sessionID: s, modelID: "pair") }
            }
            let board = try await f.client.globalModelLeaderboard(as: f.asBob)
            #expect(board.count == 1, "'pair' has only 2 users: hidden")
            #expect(board.first?.modelID == "shared")
            #expect(board.first?.userCount == 3)
            #expect(board.first?.responseCount == 6)
            #expect(try await f.client.globalModelLeaderboard(as: f.asBob, minUsers: 4).isEmpty)
            let tooLow = await #expect(throws: InvariantsError.self) { try await f.client.globalModelLeaderboard(as: f.asBob, minUsers: 2) }
            #expect(tooLow?.kind == .invalidInput)
            #expect(tooLow?.column == "min_users")
            let anon = await #expect(throws: InvariantsError.self) { try await f.client.globalModelLeaderboard(as: .anonymous) }
            #expect(anon?.sqlState == "42501")
        }
    }
}
