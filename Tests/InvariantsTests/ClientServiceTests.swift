import Foundation
import Invariants
import InvariantsTesting
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

private let quiet: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

// MARK: The README's example (README.md, "For app developers: the client", copied verbatim)

/// An app's HTTP server stands in here: a Hummingbird `Application` is a `Service` too, and its
/// route handlers call the database the same way.
struct Greeter: Service {
    let db: InvariantsClient
    let greeted: @Sendable (String) -> Void

    func run() async throws {
        let rows = try await db.query("SELECT 'hello from ' || current_database()")
        for row in rows { greeted(try row.decode(String.self)) }
        try await gracefulShutdown()
    }
}

func makeServices(url: String, app: (InvariantsClient) -> any Service, logger: Logger) throws -> ServiceGroup {
    // Constructing the client starts nothing; the group runs it.
    let db = try InvariantsClient(url: url, callTimeout: .seconds(15), logger: logger)
    // A group shuts its services down in reverse order: the app first (its requests finish),
    // then the client (its calls in flight finish, then the pool closes).
    return ServiceGroup(configuration: .init(
        services: [.init(service: db), .init(service: app(db))],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
}

// MARK: Tests

@Suite("The client as a swift-service-lifecycle Service")
struct ClientServiceTests {
    /// Waits until a running statement containing `fragment` shows in pg_stat_activity.
    static func waitUntilRunning(_ fragment: String, admin: PostgresConnection) async throws -> Int32 {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < .seconds(10) {
            let rows = try await admin.query("""
                SELECT pid FROM pg_stat_activity
                WHERE state = 'active' AND query LIKE '%' || \(fragment) || '%' AND pid <> pg_backend_pid()
                """, logger: quiet).collect()
            if let pid = try rows.first?.decode(Int32.self) { return pid }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw InvariantsError(.other, "\(fragment) never showed in pg_stat_activity")
    }

    @Test("the README's example: a ServiceGroup runs the client, a service calls it, graceful shutdown stops both")
    func readmeExample() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let greetings = Greetings()
        let group = try makeServices(
            url: database.url, app: { Greeter(db: $0, greeted: { text in greetings.texts.withLock { $0.append(text) } }) },
            logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let clock = ContinuousClock()
            let start = clock.now
            while greetings.texts.withLock({ $0.isEmpty }), clock.now - start < .seconds(30) {
                try await Task.sleep(for: .milliseconds(20))
            }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        #expect(greetings.texts.withLock { $0 } == ["hello from \(database.name)"])
        try await database.drop()
    }

    @Test("graceful shutdown: a slow call in flight finishes, a call after it is refused, the group's run returns")
    func gracefulShutdownDrains() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        // Two warm connections: one for the slow call, one for the calls during the shutdown.
        let client = try InvariantsClient(url: database.url, minimumConnections: 2, logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [client], logger: quiet))
        let admin = try await server.connect(database: database.name)
        let clock = ContinuousClock()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // It serves calls.
            let one = try await client.query("SELECT 1::int")
            #expect(try one.first?.decode(Int.self) == 1)

            // A slow call, in flight when graceful shutdown begins. It waits on a lock the test
            // holds, not on a timer: on a loaded machine the group may hand the shutdown to the
            // client late, and a timed call could finish before it, when nothing is left to drain.
            _ = try await admin.query("SELECT pg_advisory_lock(4242)", logger: quiet).collect()
            let slow = Task { try await client.query("SELECT 'drained'::text FROM pg_advisory_xact_lock(4242)") }
            _ = try await Self.waitUntilRunning("pg_advisory_xact_lock(4242)", admin: admin)
            let shutdownStarted = clock.now
            await group.triggerGracefulShutdown()

            // A call made after graceful shutdown began is refused, with its own kind. (The group
            // hands the shutdown to the client asynchronously: poll for the refusal; the first
            // poll may open a connection, slow on a loaded machine.)
            var refusal: InvariantsError?
            while refusal == nil, clock.now - shutdownStarted < .seconds(30) {
                do {
                    _ = try await client.query("SELECT 1")
                    try await Task.sleep(for: .milliseconds(5))
                } catch {
                    refusal = error as? InvariantsError
                }
            }
            #expect(refusal?.kind == .clientShutDown, "refused: \(String(describing: refusal))")
            #expect(refusal?.message.contains("shutting down") == true, "refused: \(String(describing: refusal))")

            // The slow call is still waiting; released, it finishes successfully after the refusal.
            _ = try await admin.query("SELECT pg_advisory_unlock(4242)", logger: quiet).collect()
            let rows = try await slow.value
            #expect(try rows.first?.decode(String.self) == "drained")

            // Then the pool stops and the group's run returns.
            try await tasks.next()
        }
        try await admin.close()
        let after = await #expect(throws: InvariantsError.self) { try await client.query("SELECT 1") }
        #expect(after?.kind == .clientShutDown)
        try await database.drop()
    }

    @Test("cancellation stops the client at once: the call in flight fails now, not when its statement ends")
    func cancellationStopsAtOnce() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let client = try InvariantsClient(url: database.url, logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [client], logger: quiet))
        let admin = try await server.connect(database: database.name)
        let clock = ContinuousClock()
        let running = Task { try await group.run() }
        _ = try await client.query("SELECT 1")
        let slow = Task { try await client.query("SELECT pg_sleep(10)") }
        _ = try await Self.waitUntilRunning("pg_sleep(10)", admin: admin)
        try await admin.close()
        let cancelled = clock.now
        running.cancel()
        _ = await running.result
        #expect(clock.now - cancelled < .seconds(4), "the group's run returned at once, not after the statement's 10 s")
        let result = await slow.result
        #expect(clock.now - cancelled < .seconds(5), "the call in flight ended with the pool")
        let failure = try #require(result.failure as? InvariantsError)
        #expect([.connectionLost, .clientShutDown].contains(failure.kind), "\(failure.debugDescription)")
        try await database.drop()
    }

    @Test("a client runs once: run() on a running client, or on one from connect(url:), throws")
    func runsOnce() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let connected = try await InvariantsClient.connect(url: database.url, logger: quiet)
        _ = try await connected.query("SELECT 1")
        let twice = await #expect(throws: InvariantsError.self) { try await connected.run() }
        #expect(twice?.message.contains("run()") == true)
        connected.close()
        let closed = await #expect(throws: InvariantsError.self) { try await connected.query("SELECT 1") }
        #expect(closed?.kind == .clientShutDown)
        try await database.drop()
    }
}

final class Greetings: Sendable {
    let texts = Mutex<[String]>([])
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
