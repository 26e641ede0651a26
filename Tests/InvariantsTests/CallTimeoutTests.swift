import Foundation
import Invariants
import InvariantsTesting
import Logging
import PostgresNIO
import SeedAppsTesting
import Synchronization
import Testing

private let quiet: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// A client on a fresh database of the shared server, and an admin connection to watch
/// pg_stat_activity with.
private func withTimeoutClient<T>(
    callTimeout: Duration = InvariantsClient.defaultCallTimeout, maximumConnections: Int = 4,
    _ body: (InvariantsClient, Admin) async throws -> T
) async throws -> T {
    let server = try await ThrowawayPostgres.shared()
    let database = try await catalogDatabase()  // the request roles, for run(as:)
    let client = try await InvariantsClient.connect(
        url: database.url, maximumConnections: maximumConnections, callTimeout: callTimeout, logger: quiet)
    let admin = Admin(connection: try await server.connect(database: database.name), database: database.name)
    do {
        // A warm connection in the pool, so that the calls under test do not pay for opening one
        // (scram-sha-256, slow on a loaded machine) within their short timeouts.
        _ = try await client.query("SELECT 1", timeout: .seconds(60))
        let result = try await body(client, admin)
        client.close()
        try? await admin.connection.close()
        return result
    } catch {
        client.close()
        try? await admin.connection.close()
        throw error
    }
}

final class PIDBox: Sendable {
    let pid = Mutex<Int32?>(nil)
}

/// A direct connection that watches the client's backends.
private struct Admin {
    var connection: PostgresConnection
    var database: String

    /// The pid of the backend running a statement containing `fragment`, once it runs.
    func backend(running fragment: String) async throws -> Int32 {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < .seconds(10) {
            let rows = try await connection.query("""
                SELECT pid FROM pg_stat_activity
                WHERE datname = \(database) AND query LIKE '%' || \(fragment) || '%' AND pid <> pg_backend_pid()
                """, logger: quiet).collect()
            if let pid = try rows.first?.decode(Int32.self) { return pid }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw InvariantsError(.other, "no backend ran \(fragment)")
    }

    func state(of pid: Int32) async throws -> String? {
        try await connection.query("SELECT coalesce(state, '') FROM pg_stat_activity WHERE pid = \(pid)", logger: quiet)
            .collect().first?.decode(String.self)
    }

    /// Waits until backend `pid` has exited; its states on the way (never `idle`, if it was not reused).
    func waitUntilGone(_ pid: Int32, within limit: Duration) async throws -> (gone: Bool, states: Set<String>) {
        let clock = ContinuousClock()
        let start = clock.now
        var states: Set<String> = []
        while clock.now - start < limit {
            guard let state = try await state(of: pid) else { return (true, states) }
            states.insert(state)
            try await Task.sleep(for: .milliseconds(20))
        }
        return (false, states)
    }
}

@Suite("Every call has a timeout: the typed error, the connection discarded, the next call fine")
struct CallTimeoutTests {
    let clock = ContinuousClock()

    @Test("a statement past its timeout: .timeout within a bound, its backend is not reused and exits, the next call succeeds")
    func statementPastItsTimeout() async throws {
        try await withTimeoutClient { client, admin in
            async let pid = admin.backend(running: "pg_sleep(5)")
            let start = clock.now
            let error = await #expect(throws: InvariantsError.self) {
                try await client.query("SELECT pg_sleep(5)", timeout: .milliseconds(200))
            }
            let elapsed = clock.now - start
            #expect(error?.kind == .timeout)
            #expect(error?.message == "query did not finish within its timeout (200 ms); its connection was closed and is not reused")
            // (The bound allows for a loaded machine, and for the wait until the pool has let go of
            // the closed connection.)
            #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(2), "timed out after \(elapsed)")
            let backend = try await pid

            // The next call succeeds at once, on another backend.
            let next = try await client.query("SELECT pg_backend_pid()").first!.decode(Int32.self)
            #expect(next != backend)
            #expect(clock.now - start < .seconds(4), "the next call came at once, not after the statement")

            // The closed connection's backend finishes its statement and exits; it never went back
            // to the pool (it would show `idle` then).
            let (gone, states) = try await admin.waitUntilGone(backend, within: .seconds(10))
            #expect(gone, "backend \(backend) still there: \(states)")
            #expect(!states.contains("idle"), "backend \(backend) went idle: \(states)")
        }
    }

    @Test("a transaction past its timeout is rolled back: nothing of it is committed, its backend is not reused and exits")
    func transactionPastItsTimeout() async throws {
        try await withTimeoutClient(maximumConnections: 1) { client, admin in
            try await client.execute("CREATE TABLE marks (n int)")
            async let pid = admin.backend(running: "pg_sleep(5)")
            let error = await #expect(throws: InvariantsError.self) {
                // 2 s: the INSERT and set_config must be done well before it (on a loaded CI
                // machine 300 ms sometimes ran out before pg_sleep began), pg_sleep(5) never.
                try await client.transaction(timeout: .seconds(2)) { conn in
                    try await conn.query("INSERT INTO marks VALUES (1)", logger: quiet)
                    try await conn.query("SELECT set_config('request.jwt.claims', '{\"sub\": \"x\"}', true)", logger: quiet)
                    try await conn.query("SELECT pg_sleep(5)", logger: quiet)
                }
            }
            #expect(error?.kind == .timeout)
            #expect(error?.message.hasPrefix("transaction did not finish within its timeout (2 s)") == true)
            let backend = try await pid
            // One connection: the next call gets a new one (another backend), and nothing of the
            // transaction (its role, its claims) on it.
            let (role, claims, next) = try await client.query("""
                SELECT current_user::text, coalesce(current_setting('request.jwt.claims', true), ''), pg_backend_pid()
                """).first!.decode((String, String, Int32).self)
            #expect(role == "postgres" && claims.isEmpty && next != backend)
            let (gone, _) = try await admin.waitUntilGone(backend, within: .seconds(10))
            #expect(gone)
            #expect(try await client.query("SELECT count(*) FROM marks").first!.decode(Int64.self) == 0)
        }
    }

    @Test("a run(as:) closure that hangs is bounded: idle in a transaction, or stuck in a query PostgresNIO dropped")
    func hangingClosure() async throws {
        try await withTimeoutClient { client, admin in
            // Swift code that never gets on with it: the backend sits idle in transaction, and
            // exits as soon as the timeout closes its connection.
            let backend = PIDBox()
            var start = clock.now
            let idle = await #expect(throws: InvariantsError.self) {
                try await client.run(as: .service, timeout: .seconds(1)) { conn in
                    let pid = try await conn.query("SELECT pg_backend_pid()", logger: quiet).collect().first!.decode(Int32.self)
                    backend.pid.withLock { $0 = pid }
                    try await Task.sleep(for: .seconds(3600))
                }
            }
            #expect(idle?.kind == .timeout)
            #expect(clock.now - start < .seconds(3))
            let idlePID = try #require(backend.pid.withLock { $0 })
            #expect(try await admin.waitUntilGone(idlePID, within: .seconds(2)).gone)

            // The PostgresNIO hang itself (PostgresNIOReproductionTests): the connection dies under
            // the closure, whose next query is dropped and never completes.
            start = clock.now
            let dropped = await #expect(throws: InvariantsError.self) {
                try await client.run(as: .service, timeout: .seconds(2)) { conn in
                    let pid = try await conn.query("SELECT pg_backend_pid()", logger: quiet).collect().first!.decode(Int32.self)
                    _ = try await admin.connection.query("SELECT pg_terminate_backend(\(pid))", logger: quiet).collect()
                    try await conn.closeFuture.get()
                    _ = try await conn.query("SELECT 1", logger: quiet).collect()
                }
            }
            #expect(dropped?.kind == .timeout)
            #expect(dropped?.message.contains("(2 s)") == true)
            #expect(clock.now - start < .seconds(4))
            // The client carries on.
            #expect(try await client.query("SELECT 1::int").first!.decode(Int.self) == 1)
        }
    }

    @Test("the client's timeout applies to every call; a call's own timeout beats it, both ways")
    func overrides() async throws {
        try await withTimeoutClient(callTimeout: .milliseconds(300)) { client, _ in
            #expect(client.callTimeout == .milliseconds(300))
            // The client's 300 ms, for each kind of call.
            let sleep: PostgresQuery = "SELECT pg_sleep(0.8)"
            var kinds: [String: InvariantsError.Kind?] = [:]
            kinds["execute"] = await #expect(throws: InvariantsError.self) { try await client.execute(sleep) }?.kind
            kinds["query"] = await #expect(throws: InvariantsError.self) { try await client.query(sleep) }?.kind
            kinds["transaction"] = await #expect(throws: InvariantsError.self) {
                try await client.transaction { conn in try await conn.query(sleep, logger: quiet).collect().count }
            }?.kind
            kinds["withConnection"] = await #expect(throws: InvariantsError.self) {
                try await client.withConnection { conn in try await conn.query(sleep, logger: quiet).collect().count }
            }?.kind
            kinds["run(as:)"] = await #expect(throws: InvariantsError.self) {
                try await client.run(as: .service) { conn in try await conn.query(sleep, logger: quiet).collect().count }
            }?.kind
            kinds["call(as:)"] = await #expect(throws: InvariantsError.self) {
                try await client.call(as: .service, "SELECT 1 FROM pg_sleep(0.8)", returning: "x int")
            }?.kind
            for (call, kind) in kinds { #expect(kind == .timeout, "\(call): \(String(describing: kind))") }

            // A longer timeout for one call: it succeeds.
            try await client.execute(sleep, timeout: .seconds(5))
            let rows = try await client.run(as: .service, timeout: .seconds(5)) { conn in
                try await conn.query(sleep, logger: quiet).collect().count
            }
            #expect(rows == 1)
            // A shorter one than a generous client's: it fails first.
            let generous = try InvariantsClient(url: client.url, callTimeout: .seconds(60), logger: quiet)
            let running = Task { try await generous.run() }
            let start = clock.now
            let short = await #expect(throws: InvariantsError.self) {
                try await generous.query("SELECT pg_sleep(3)", timeout: .milliseconds(150))
            }
            #expect(short?.kind == .timeout)
            #expect(short?.message.contains("150 ms") == true)
            #expect(clock.now - start < .seconds(2), "long before the client's 60 s and the statement's 3 s")
            running.cancel()
            _ = await running.result
        }
    }

    @Test("waiting for a pooled connection counts: a call that gets none in time times out, and the pool is fine after")
    func leaseWait() async throws {
        try await withTimeoutClient(maximumConnections: 1) { client, admin in
            let holder = Task { try await client.query("SELECT pg_sleep(2)") }
            _ = try await admin.backend(running: "pg_sleep(2)")
            let start = clock.now
            let waited = await #expect(throws: InvariantsError.self) {
                try await client.query("SELECT 1", timeout: .milliseconds(200))
            }
            #expect(waited?.kind == .timeout)
            #expect(clock.now - start < .milliseconds(1500), "not when the holder let go")
            _ = try await holder.value
            #expect(try await client.query("SELECT 2::int").first!.decode(Int.self) == 2)
        }
    }

    @Test("a cancelled call ends at once with .queryCanceled, and its connection is discarded")
    func cancelledCall() async throws {
        try await withTimeoutClient(maximumConnections: 1) { client, admin in
            let call = Task { try await client.transaction { conn in try await conn.query("SELECT pg_sleep(5)", logger: quiet).collect().count } }
            let backend = try await admin.backend(running: "pg_sleep(5)")
            let start = clock.now
            call.cancel()
            let result = await call.result
            #expect(clock.now - start < .seconds(2), "not when the statement ends")
            let failure = try #require(result.failure as? InvariantsError)
            #expect(failure.kind == .queryCanceled)
            let next = try await client.query("SELECT pg_backend_pid()").first!.decode(Int32.self)
            #expect(next != backend)
        }
    }

    @Test("a timeout that is not positive is refused at construction")
    func invalidTimeout() async throws {
        let error = #expect(throws: InvariantsError.self) {
            try InvariantsClient(url: "postgres://u@localhost/db", callTimeout: .zero)
        }
        #expect(error?.message.contains("callTimeout") == true)
    }
}
