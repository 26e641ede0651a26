// Benchmark (seed 002): 16 concurrent completions of edits of one source card.
//
// Per round, on a fresh clone of the migrated database: a card, 16 pending edit jobs of it, a
// listener on `invariants_generations`; then 16 tasks complete one job each through the client at
// once. Measured: the time from the start until the 16th notification arrives, and that all 16
// images were appended with the exact token sum. Baseline, in the same run and interleaved: 16
// concurrent completions of non-edit jobs (each makes its own card: no shared row). Reported:
// medians and the ratio measured / baseline (the cost of serializing on one card's row lock).
import Foundation
import Invariants
import InvariantsTesting
import Logging
import PostgresNIO
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

struct EditAppendResult {
    var appendMedian: Double
    var baselineMedian: Double
    var allAppended: Bool
    var ratio: Double { appendMedian / baselineMedian }
}

/// One round: `edits` true appends to one card; false makes new cards. Returns seconds to the last notification.
private func editAppendRound(
    _ database: TestDatabase, edits: Bool, count: Int, logger: Logger
) async throws -> (seconds: Double, appended: Bool) {
    let client = try await InvariantsClient.connect(url: database.url, maximumConnections: count + 2, logger: logger)
    defer { client.close() }
    let user = UUID()
    try await client.execute("INSERT INTO auth.users (id, email) VALUES (\(user), \("bench-\(user)@bench.test"))")
    let first = try await client.createGenerationJob(NewGenerationJob(userID: user), as: .user(user))
    let card = try await client.completeGenerationJob(first, imageURL: "https://bench.example/0.png", tokensCost: 1).generationID!
    var jobs: [UUID] = []
    for _ in 0..<count {
        let job = edits ? NewGenerationJob.edit(of: card, for: user) : NewGenerationJob(userID: user)
        jobs.append(try await client.createGenerationJob(job, as: .user(user)))
    }
    let pending = Set(jobs)
    let listener = try await database.connect(logger: logger)
    let seconds = try await listener.listen(on: GenerationNotification.channel) { notifications in
        let start = ContinuousClock.now
        let ids = jobs
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, job) in ids.enumerated() {
                group.addTask {
                    try await client.completeGenerationJob(job, imageURL: "https://bench.example/\(n + 1).png", tokensCost: Int64(n + 1))
                }
            }
            var remaining = pending
            for try await notification in notifications {
                if let id = GenerationNotification(payload: notification.payload)?.jobID { remaining.remove(id) }
                if remaining.isEmpty { break }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
    try? await listener.close()
    let generation = try await client.generation(card, as: .user(user))
    let expected = edits ? (count + 1, Int64(1 + (1...count).reduce(0, +))) : (1, 1)
    let appended = generation.images.count == expected.0 && generation.tokensUsed == expected.1
    return (seconds, appended)
}

enum EditAppendBenchmark {
    static let benchmark = Benchmark(
        name: "edit-append",
        summary: "16 concurrent completions of edits of one card (time to the last notification) vs 16 new cards",
        options: ["edits": "concurrent edit completions per round (16)"],
        run: run)

    /// Interleaved rounds, each on a fresh clone; throws unless every edit was appended once
    /// with the exact token sum.
    static func run(_ context: BenchContext) async throws -> [ResultRow] {
        let rounds = context.settings.rounds(standard: 7)
        let count = context.settings.int("edits", default: 16, quick: 16)
        let (server, template) = try await context.servers.migratedTemplate()
        var appendTimes: [Double] = [], baselineTimes: [Double] = [], ratios: [Double] = []
        for round in 0..<rounds {
            var pair: [Bool: Double] = [:]
            // Alternate which goes first, so warm-up favours neither.
            for edits in round % 2 == 0 ? [true, false] : [false, true] {
                let database = try await server.makeDatabase(from: template)
                let (seconds, appended) = try await editAppendRound(database, edits: edits, count: count, logger: quiet)
                try? await database.drop()
                guard appended || !edits else { throw BenchError("round \(round): not every edit was appended exactly once") }
                pair[edits] = seconds
            }
            appendTimes.append(pair[true]!)
            baselineTimes.append(pair[false]!)
            ratios.append(pair[true]! / pair[false]!)
        }
        context.log("edit-append: \(rounds) rounds, all \(count) edits appended with the exact token sum in each")
        return [ResultRow(
            benchmark: "edit-append", measured: "\(count) edits of one card, all appended; time to last notification",
            measuredValue: Spread(appendTimes), unit: .seconds,
            baseline: "\(count) completions making new cards", baselineValue: Spread(baselineTimes),
            ratio: Spread(ratios), ratioMeaning: "time (cost of one card's row lock)")]
    }
}
