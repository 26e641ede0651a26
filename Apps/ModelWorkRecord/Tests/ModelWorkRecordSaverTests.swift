import Foundation
import Invariants
import PostgresNIO
import Testing
import ModelWorkRecord
import SeedAppsTesting

@Suite("Seed 000: debounced model-selection saver", .serialized)
struct ModelWorkRecordSaverTests {
    @Test("10 rapid changes become one write, holding the last selection")
    func coalesces() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a"])
            let panel = try await f.client.sessionModels(as: f.asAlice, sessionID: s)
            // A window far longer than the loop, even on a loaded CI machine: the 10 changes
            // always land inside it, and the write comes only after it.
            let saver = ModelSelectionSaver(client: f.client, user: f.asAlice, sessionID: s, panel: panel, delay: .milliseconds(1500))
            for index in 1...10 {
                await saver.select(["a"] + (1...index).map { "m\($0)" })
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await f.config(s).0 == 1, "nothing written inside the debounce window")
            let deadline = ContinuousClock.now + .seconds(15)
            while await saver.writeCount == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(await saver.writeCount == 1)
            let stored = try await f.client.sessionModels(as: f.asAlice, sessionID: s)
            #expect(stored == SessionModels(version: 2, models: ["a"] + (1...10).map { "m\($0)" }))
            #expect(await saver.panel == stored)
        }
    }

    @Test("flush writes at once, without waiting for the debounce")
    func flush() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a", "b"])
            let panel = try await f.client.sessionModels(as: f.asAlice, sessionID: s)
            let saver = ModelSelectionSaver(client: f.client, user: f.asAlice, sessionID: s, panel: panel, delay: .seconds(30))
            await saver.select(["b"])
            try await saver.flush()
            #expect(try await f.client.sessionModels(as: f.asAlice, sessionID: s) == SessionModels(version: 2, models: ["b"]))
            try await saver.flush()  // nothing pending: no write
            #expect(await saver.writeCount == 1)
        }
    }

    @Test("the last change is never lost, even when made while a write is in flight")
    func lastChangeWins() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a"])
            let panel = try await f.client.sessionModels(as: f.asAlice, sessionID: s)
            let saver = ModelSelectionSaver(client: f.client, user: f.asAlice, sessionID: s, panel: panel, delay: .milliseconds(5))
            var selection = ["a"]
            for index in 0..<30 {
                if index % 3 == 2 { selection.removeFirst() } else { selection.append("m\(index)") }
                await saver.select(selection)
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...8)))
            }
            try await saver.flush()
            #expect(try await f.client.sessionModels(as: f.asAlice, sessionID: s).models == selection)
            #expect(await saver.lastError == nil)
            #expect(await !saver.hasPendingChanges)
        }
    }

    @Test("a server-side dismiss during the debounce window is not undone by the save")
    func dismissNotUndone() async throws {
        try await withModelWorkRecord { f in
            let s = try await f.makeSession(owner: f.alice, models: ["a", "b", "c"])
            let panel = try await f.client.sessionModels(as: f.asAlice, sessionID: s)
            let saver = ModelSelectionSaver(client: f.client, user: f.asAlice, sessionID: s, panel: panel, delay: .seconds(30))
            await saver.select(["a", "b", "c", "d"])  // the UI still shows b
            let dismissal = try await f.client.dismissModel(as: f.asAlice, sessionID: s, modelID: "b")
            #expect(dismissal.panel.models == ["a", "c"])
            await saver.select(["a", "b", "c", "d", "e"])  // and keeps showing it
            try await saver.flush()
            let stored = try await f.client.sessionModels(as: f.asAlice, sessionID: s)
            #expect(stored.models == ["a", "c", "d", "e"])
            #expect(await saver.panel == stored)
            #expect(try await f.counters(user: f.alice, model: "b", session: s)!.2 == 1)
            // A later, unrelated change still does not resurrect b.
            await saver.select(["a", "b", "c", "d"])  // the user removed e; b is still on screen
            try await saver.flush()
            #expect(try await f.client.sessionModels(as: f.asAlice, sessionID: s).models == ["a", "c", "d"])
        }
    }
}
