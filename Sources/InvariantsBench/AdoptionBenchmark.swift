// Adoption online (issue 15): seed 004's database as its app left it (1,000,000 responses over
// 10,000 gigs, drifted integer counters, the app's own cascade key), taken over by
// `migrate --modules gig_responses` while 8 app connections (service_role) insert, re-status
// and delete responses. Measured per round, on a fresh copy: the time until the counters are
// exact (the migrate, backfill included); the writers' throughput during it against the same
// writers on the same tables just before (no migration); the longest app statement in each.
// Adoption is one-way, so the baseline runs first in every round (not interleaved).
import Foundation
import PostgresNIO
import InvariantsMigrator
import InvariantsTesting
import GigResponses

enum AdoptionBenchmark {
    static let benchmark = Benchmark(
        name: "adoption",
        summary: "adopting seed 004's existing tables online while 8 clients write: time to exact counters, writer throughput, longest statement",
        options: [
            "adopt-gigs": "gigs (10000; quick 1000)",
            "adopt-responses": "responses (1000000; quick 100000)",
            "adopt-writers": "app connections writing throughout (8)",
            "adopt-baseline-seconds": "how long the writers run without a migration each round (5)",
        ],
        run: run)

    /// What one writer window did.
    struct Window {
        var statements = 0
        var seconds = 0.0
        var slowest = 0.0
        var rate: Double { Double(statements) / seconds }
    }

    static func run(_ context: BenchContext) async throws -> [ResultRow] {
        let settings = context.settings
        let rounds = settings.rounds(standard: 3)
        let gigs = settings.int("adopt-gigs", default: 10_000, quick: 1000)
        let responses = settings.int("adopt-responses", default: 1_000_000, quick: 100_000)
        let writers = settings.int("adopt-writers", default: 8)
        let baselineSeconds = Double(settings.int("adopt-baseline-seconds", default: 5))
        let server = try await context.servers.server(fsync: false)
        let catalog = try SQLDirectory.locate(nil).load()

        var adoption: [Double] = [], during = Comparison(), slowest = Comparison()
        for round in 1...rounds {
            let database = try await server.makeDatabase()
            let schema = GigResponsesModule.SeedAppSchema(gigs: gigs, responses: responses)
            try await database.withConnection(logger: quiet) { connection in
                for statement in schema.statements { try await connection.run(statement) }
            }
            let (before, _) = try await writing(database, schema, writers: writers) {
                try await Task.sleep(for: .seconds(baselineSeconds))
                return baselineSeconds
            }
            let (window, adopted) = try await writing(database, schema, writers: writers) {
                try await seconds {
                    try await database.withConnection(logger: quiet) { connection in
                        _ = try await Migrator(catalog: catalog, options: .init(modules: ["gig_responses"]), logger: quiet).migrate(on: connection)
                    }
                }
            }
            try await database.withConnection(logger: quiet) { connection in
                let drifted: Int64 = try await connection.value("SELECT count(*) FROM invariants.gig_responses_drift")
                guard drifted == 0 else { throw BenchError("adoption left \(drifted) drifted counters") }
            }
            try await database.drop()
            adoption.append(adopted)
            during.measured.append(window.rate); during.baseline.append(before.rate)
            slowest.measured.append(window.slowest); slowest.baseline.append(before.slowest)
            context.log("  adoption round \(round): \(String(format: "%.2f", adopted)) s to exact counters; writers "
                + "\(Int(window.rate))/s during it, \(Int(before.rate))/s before; slowest statement "
                + "\(String(format: "%.0f", window.slowest * 1000)) ms during, \(String(format: "%.0f", before.slowest * 1000)) ms before")
        }
        let name = "adoption, \(responses.formatted()) responses over \(gigs.formatted()) gigs, \(writers) writers"
        return [
            ResultRow(benchmark: name, measured: "`migrate --modules gig_responses` until the counters are exact",
                      measuredValue: Spread(adoption), unit: .seconds),
            throughputRow(name, measured: "the app's writes during the adoption",
                          baseline: "the same writers on the same tables just before, no migration", during, noun: "statements/s"),
            costRow(name + ", longest app statement", measured: "the slowest app statement during the adoption (lock waits included)",
                    baseline: "the slowest one without a migration", slowest, goal: [.secondsAtMost(5)]),
        ]
    }

    /// `writers` connections as `service_role` writing while `work` runs; what they did.
    static func writing(_ database: TestDatabase, _ schema: GigResponsesModule.SeedAppSchema, writers: Int,
                        during work: @escaping @Sendable () async throws -> Double) async throws -> (Window, Double) {
        let stop = StopFlag()
        let started = ContinuousClock.now
        let (windows, result) = try await withThrowingTaskGroup(of: (Window?, Double?).self) { group in
            for number in 0..<writers {
                group.addTask { (try await write(database, schema, number: number, until: stop), nil) }
            }
            group.addTask {
                defer { stop.set() }
                return (nil, try await work())
            }
            var windows: [Window] = [], result = 0.0
            for try await (window, value) in group {
                if let window { windows.append(window) }
                if let value { result = value }
            }
            return (windows, result)
        }
        let elapsed = ContinuousClock.now - started
        let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (Window(statements: windows.map(\.statements).reduce(0, +), seconds: total,
                       slowest: windows.map(\.slowest).max() ?? 0), result)
    }

    /// One app connection: inserts a response, re-statuses one, deletes one of its own range, in turn.
    static func write(_ database: TestDatabase, _ schema: GigResponsesModule.SeedAppSchema, number: Int,
                      until stop: StopFlag) async throws -> Window {
        try await database.withConnection(logger: quiet) { connection in
            try await connection.run("SET ROLE service_role")
            var generator = SplitMix64(seed: UInt64(number + 1) &* 104_729)
            var window = Window()
            var deletable = number + 1
            while !stop.isSet {
                let started = ContinuousClock.now
                switch window.statements % 3 {
                case 0:
                    let gig = 1 + generator.next() % UInt64(schema.gigs)
                    try await connection.run("""
                        INSERT INTO public.responses (workspace_id, entity_type, entity_id, status)
                        VALUES ('\(schema.workspace)', 'gig', \(GigResponsesModule.SeedAppSchema.gigID(String(gig))), 'NEW')
                        """)
                case 1:
                    let response = 1 + generator.next() % UInt64(schema.responses)
                    try await connection.run("""
                        UPDATE public.responses SET status = CASE status WHEN 'NEW' THEN 'VIEWED' ELSE 'NEW' END
                        WHERE id = \(GigResponsesModule.SeedAppSchema.responseID(String(response)))
                        """)
                default:
                    try await connection.run("DELETE FROM public.responses WHERE id = \(GigResponsesModule.SeedAppSchema.responseID(String(deletable)))")
                    deletable += 64
                }
                let elapsed = ContinuousClock.now - started
                window.slowest = max(window.slowest, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                window.statements += 1
            }
            return window
        }
    }
}

/// Set once by the task that finished its work; read by the writers.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
