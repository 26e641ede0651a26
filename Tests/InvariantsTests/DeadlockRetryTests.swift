import Foundation
import Invariants
import InvariantsTesting
import Logging
import PostgresNIO
import SeedAppsTesting
import Synchronization
import Testing

/// Issue 16, finding 12: a transaction PostgreSQL picks as a deadlock victim is run again by
/// the client, and the caller sees success.
@Suite("Client: deadlock victims are run again")
struct DeadlockRetryTests {
    final class Attempts: Sendable {
        let count = Atomic<Int>(0)
        /// First locks taken: each transaction waits, holding its first row, until both hold one.
        let firstLocks = Atomic<Int>(0)

        /// Returns once both transactions hold their first row (at once on the victim's retry).
        func bothHoldOne() async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while firstLocks.load(ordering: .relaxed) < 2 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    /// Two transactions taking two rows in opposite orders, each waiting after its first lock
    /// until the other holds its own: a deadlock every time, however loaded the machine.
    @Test("two opposite-order transactions: one is the victim, runs again, and both commit")
    func oppositeOrders() async throws {
        let logger: Logger = {
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            return logger
        }()
        let database = try await catalogDatabase()
        let client = try await InvariantsClient.connect(url: database.url, maximumConnections: 4, logger: logger)
        defer { client.close() }
        try await client.execute("CREATE TABLE public.deadlock_pair (id int PRIMARY KEY, hits int NOT NULL)")
        try await client.execute("INSERT INTO public.deadlock_pair VALUES (1, 0), (2, 0)")
        let deadlocksQuery: PostgresQuery = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        let before = try await client.scalar(deadlocksQuery, as: Int64.self)
        let attempts = Attempts()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (first, second) in [(1, 2), (2, 1)] {
                group.addTask {
                    try await client.transaction { conn in
                        attempts.count.add(1, ordering: .relaxed)
                        _ = try await conn.query(
                            "UPDATE public.deadlock_pair SET hits = hits + 1 WHERE id = \(first)", logger: logger).collect()
                        attempts.firstLocks.add(1, ordering: .relaxed)
                        try await attempts.bothHoldOne()
                        _ = try await conn.query(
                            "UPDATE public.deadlock_pair SET hits = hits + 1 WHERE id = \(second)", logger: logger).collect()
                    }
                }
            }
            try await group.waitForAll()
        }
        // Both committed exactly once: each row was hit by each transaction once.
        let hits = try await client.query("SELECT hits FROM public.deadlock_pair ORDER BY id").map { try $0.decode(Int32.self) }
        #expect(hits == [2, 2])
        #expect(attempts.count.load(ordering: .relaxed) == 3, "one victim, run once more")
        try await Task.sleep(for: .milliseconds(1500))  // statistics reach shared memory within a second
        #expect(try await client.scalar(deadlocksQuery, as: Int64.self) - before == 1)
    }
}
