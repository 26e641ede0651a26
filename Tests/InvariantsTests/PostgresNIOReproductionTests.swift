import Foundation
import Invariants
import InvariantsTesting
import Logging
import PostgresNIO
import Synchronization
import Testing

// An upstream-ready reproduction of the PostgresNIO behaviour behind the torture tests' hung
// operations (issue 18), with nothing of this project in the raw part: PostgresNIO and a server.
//
// What it shows: on PostgresNIO 1.33.2, a query issued on a `PostgresConnection` whose server
// has gone (here: the backend terminated with `pg_terminate_backend`, as after a SIGKILLed
// backend or a restarted server) never completes — neither a result nor an error, and
// cancelling the task does not end it. `PostgresConnection.query(_:logger:)` (and
// `execute(_:)`, `PostgresClient.query`) write a `HandlerTask` to the channel with
// `promise: nil`; once the channel has closed, NIO has removed `PostgresChannelHandler` from the
// pipeline, the head handler drops the write, and the `ExtendedQueryContext`'s promise is never
// completed. Expected: the query fails at once, e.g. with `PSQLError.clientClosedConnection`
// (what the handler's state machine does for a query it receives after the close).
//
// To file it (https://github.com/vapor/postgres-nio/issues): the title "A query on a closed
// PostgresConnection never completes (the write is dropped with promise: nil)", the raw test
// below without the `withKnownIssue` (any PostgreSQL; `server.connect` is
// `PostgresConnection.connect` to it), the versions (PostgresNIO 1.33.2, swift-nio 2.101.3,
// Swift 6.3, Linux), and the suggested fix: write with a promise and fail the query's promise
// when the write fails — or check `channel.isActive` on the event loop before writing.
//
// The raw expectation is wrapped in `withKnownIssue` (not intermittent: it has reproduced every
// time here), so once PostgresNIO completes such a query this test reports the known issue as
// missing — time to drop the workarounds (`queryFailingIfClosed`, the note in the torture
// tests). The second test is the same scenario through InvariantsClient: bounded by its timeout.

private let quiet: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// How a query ended within a wait: its result, its error, or nothing yet.
enum QueryEnd: Equatable {
    case rows(Int)
    case failed(String)
    case stillWaiting
}

final class QueryEndBox: Sendable {
    let value = Mutex<QueryEnd?>(nil)
}

/// Runs `query` on `connection` in a task of its own and waits at most `limit` for it (a query
/// that never completes is left behind, suspended).
func end(of query: PostgresQuery, on connection: PostgresConnection, within limit: Duration) async -> QueryEnd {
    let outcome = QueryEndBox()
    let waiter = Task {
        do {
            let rows = try await connection.query(query, logger: quiet).collect()
            outcome.value.withLock { $0 = $0 ?? .rows(rows.count) }
        } catch {
            outcome.value.withLock { $0 = $0 ?? .failed(String(describing: error)) }
        }
    }
    let clock = ContinuousClock()
    let start = clock.now
    while clock.now - start < limit {
        if let ended = outcome.value.withLock({ $0 }) { return ended }
        try? await Task.sleep(for: .milliseconds(10))
    }
    waiter.cancel()  // does not end it: nothing will complete the query's future
    return outcome.value.withLock { $0 } ?? .stillWaiting
}

@Suite("PostgresNIO 1.33.2: a query on a connection whose server went away never completes")
struct PostgresNIOReproductionTests {
    @Test("raw PostgresNIO: the backend is terminated, the connection closes, the next query never completes")
    func rawQueryOnClosedConnection() async throws {
        let server = try await ThrowawayPostgres.shared()
        let connection = try await server.connect()
        let admin = try await server.connect()
        let pid = try await connection.query("SELECT pg_backend_pid()", logger: quiet).collect().first!.decode(Int32.self)
        _ = try await admin.query("SELECT pg_terminate_backend(\(pid))", logger: quiet).collect()
        try await admin.close()
        // PostgresNIO sees the server's FATAL and closes the channel; closeFuture completes after
        // NIO has removed the pipeline's handlers.
        try await connection.closeFuture.get()
        #expect(connection.isClosed)

        let ended = await end(of: "SELECT 1", on: connection, within: .seconds(3))
        withKnownIssue("PostgresNIO 1.33.2 drops a query written to a closed channel: it never completes") {
            #expect(ended != .stillWaiting, "the query on a closed connection should fail at once")
        }
    }

    @Test("the same through InvariantsClient: the call fails with .timeout within its timeout")
    func boundedThroughTheClient() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let client = try await InvariantsClient.connect(url: database.url, logger: quiet)
        defer { client.close() }
        let admin = try await server.connect()
        _ = try await client.query("SELECT 1")  // a warm connection
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: InvariantsError.self) {
            try await client.withConnection(timeout: .milliseconds(500)) { connection in
                let pid = try await connection.query("SELECT pg_backend_pid()", logger: quiet).collect().first!.decode(Int32.self)
                _ = try await admin.query("SELECT pg_terminate_backend(\(pid))", logger: quiet).collect()
                try await connection.closeFuture.get()
                return try await connection.query("SELECT 1", logger: quiet).collect().count
            }
        }
        let elapsed = clock.now - start
        #expect(error?.kind == .timeout)
        #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(3), "ended after \(elapsed)")
        try await admin.close()
        #expect(try await client.query("SELECT 1::int").first!.decode(Int.self) == 1, "the client carries on")
    }
}
