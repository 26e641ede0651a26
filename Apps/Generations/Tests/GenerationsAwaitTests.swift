import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing
import Generations
import SeedAppsTesting

@Suite("Seed 002: awaitEdit and the stream of card updates (LISTEN, polling)")
struct GenerationsAwaitTests {
    /// Starts `awaitEdit` in a task and gives it time to reach LISTEN before `action` runs.
    func awaitWhile(
        _ f: GenerationsFixture, job: UUID, delivery: GenerationDelivery = .listen, timeout: Duration = .seconds(20),
        _ action: @escaping @Sendable () async throws -> Void
    ) async throws -> Result<Generation, AwaitEditError> {
        let waiter = Task { () -> Result<Generation, AwaitEditError> in
            do throws(AwaitEditError) { return .success(try await f.client.awaitEdit(job: job, as: .user(f.alice), timeout: timeout, delivery: delivery)) }
            catch { return .failure(error) }
        }
        try await Task.sleep(for: .milliseconds(300))
        try await action()
        return await waiter.value
    }

    @Test("awaitEdit returns the source card once the edit completes (LISTEN)")
    func completion() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice, tokens: 10)
            let job = try await f.client.createGenerationJob(.edit(of: source, for: f.alice), as: .user(f.alice))
            let started = ContinuousClock.now
            let result = try await awaitWhile(f, job: job) {
                try await f.client.markGenerationJobProcessing(job)
                // Another job's notification first: it must not end the wait.
                _ = try await f.card(for: f.bob)
                try await f.client.completeGenerationJob(job, imageURL: "https://img.example/e.png", tokensCost: 5)
            }
            let card = try result.get()
            #expect(card.id == source)
            #expect(card.images.map(\.url).last == "https://img.example/e.png")
            #expect(card.tokensUsed == 15)
            #expect(ContinuousClock.now - started < .seconds(15), "woken by the notification, not the timeout")
        }
    }

    @Test("awaitEdit throws failed(reason) when the job fails, timedOut when time runs out")
    func failureAndTimeout() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice)
            let failing = try await f.client.createGenerationJob(.edit(of: source, for: f.alice), as: .user(f.alice))
            let failed = try await awaitWhile(f, job: failing) {
                try await f.client.failGenerationJob(failing, reason: "content policy")
            }
            guard case .failure(.failed(let reason)) = failed else {
                Issue.record("expected failed(reason), got \(failed)")
                return
            }
            #expect(reason == "content policy")

            let slow = try await f.client.createGenerationJob(.edit(of: source, for: f.alice), as: .user(f.alice))
            let started = ContinuousClock.now
            do throws(AwaitEditError) {
                _ = try await f.client.awaitEdit(job: slow, as: .user(f.alice), timeout: .milliseconds(400))
                Issue.record("expected timedOut")
            } catch {
                guard case .timedOut = error else { Issue.record("expected timedOut, got \(error)"); return }
            }
            #expect(ContinuousClock.now - started < .seconds(10), "the timeout is honoured (a loaded CI machine adds seconds)")
            // Another user's job is not found, not waited for.
            do throws(AwaitEditError) {
                _ = try await f.client.awaitEdit(job: slow, as: .user(f.bob), timeout: .seconds(5))
                Issue.record("bob waited on alice's job")
            } catch {
                guard case .database(let inner) = error else { Issue.record("expected database(notFound), got \(error)"); return }
                #expect(inner.kind == .notFound)
            }
        }
    }

    @Test("a completion that committed before awaitEdit starts is not missed")
    func completedBeforeListen() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice, tokens: 1)
            let edit = try await f.edit(source, for: f.alice, url: "https://img.example/early.png", tokens: 1)
            let started = ContinuousClock.now
            let card = try await f.client.awaitEdit(job: edit.id, as: .user(f.alice), timeout: .seconds(10))
            #expect(card.images.count == 2)
            #expect(ContinuousClock.now - started < .seconds(8), "returned at once, not at the 10 s timeout")
        }
    }

    @Test("polling mode: completion and failure are seen without LISTEN")
    func polling() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice, tokens: 1)
            let job = try await f.client.createGenerationJob(.edit(of: source, for: f.alice), as: .user(f.alice))
            let result = try await awaitWhile(f, job: job, delivery: .polling(every: .milliseconds(150))) {
                try await f.client.completeGenerationJob(job, imageURL: "https://img.example/p.png", tokensCost: 2)
            }
            #expect(try result.get().images.map(\.url).last == "https://img.example/p.png")
            let failing = try await f.client.createGenerationJob(.edit(of: source, for: f.alice), as: .user(f.alice))
            let failed = try await awaitWhile(f, job: failing, delivery: .polling(every: .milliseconds(150))) {
                try await f.client.failGenerationJob(failing, reason: "timeout upstream")
            }
            guard case .failure(.failed(let reason)) = failed else { Issue.record("expected failed, got \(failed)"); return }
            #expect(reason == "timeout upstream")
            #expect(GenerationDelivery.poll == .polling(every: .seconds(3)))
        }
    }

    @Test("the update stream yields the user's own cards only, re-read under RLS (LISTEN and polling)")
    func updateStream() async throws {
        try await withGenerations { f in
            let source = try await f.card(for: f.alice, tokens: 1)
            for delivery in [GenerationDelivery.listen, .polling(every: .milliseconds(150))] {
                let count = try await f.client.generation(source, as: .user(f.alice)).images.count
                let updates = try await f.client.generationUpdates(as: .user(f.alice), delivery: delivery)
                let reader = Task { () -> [Generation] in
                    var seen: [Generation] = []
                    for try await card in updates {
                        seen.append(card)
                        if card.id == source && card.images.count == count + 1 { break }
                    }
                    return seen
                }
                _ = try await f.card(for: f.bob)  // bob's: not visible to alice, never yielded
                try await f.edit(source, for: f.alice, url: "https://img.example/s\(count).png", tokens: 1)
                let seen = try await withThrowingTaskGroup(of: [Generation].self) { group in
                    group.addTask { try await reader.value }
                    group.addTask { try await Task.sleep(for: .seconds(10)); reader.cancel(); return [] }
                    let first = try await group.next()!
                    group.cancelAll()
                    return first
                }
                #expect(!seen.isEmpty, "\(delivery): no update")
                #expect(seen.allSatisfy { $0.userID == f.alice }, "\(delivery)")
                #expect(seen.last?.id == source, "\(delivery)")
                #expect(seen.last?.images.count == count + 1, "\(delivery)")
            }
        }
    }
}
