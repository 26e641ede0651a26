import PostgresNIO
import Synchronization

// Every client call has a timeout (issue 18). Why the call runs in a task of its own rather than
// in a task group racing a sleep:
//
// PostgresNIO 1.33.2 writes a query to its channel without a write promise and awaits a future
// that only its channel handler completes. A query written to a channel that has already closed
// is dropped before it reaches that handler, and its future never completes — closing the
// connection or cancelling the task does not help, nothing holds the promise any more
// (PostgresNIOReproductionTests shows it). A child of a task group stuck there keeps the group
// from returning, so a group racing the body against a sleep would hang with it. The body runs
// instead in an unstructured task the caller can walk away from: the caller waits for the first
// of the body's result, its timeout, or its own cancellation. On a timeout or a cancellation the
// connection the body holds is closed (the pool drops it; a closed connection is never leased
// again, so no transaction and no session state of the call can reach another call) and the
// task is cancelled; if it is stuck in such a dropped query it stays suspended, holding only
// itself (the pool forgets a leased connection that closed; its late release is a no-op).
//
// PostgresNIO 1.33.2's pool does not replace a leased connection that closes (it opens one only
// below `minimumConnections`, or for a lease request that arrives later): calls already waiting
// for a connection would wait until the next call comes. So once a call's connection has closed
// — discarded here, or lost under it — the client asks the pool for one more lease, which opens
// the replacement; the oldest waiting call gets it.

extension InvariantsClient {
    /// Runs `body` on a pooled connection within `timeout` (the client's ``callTimeout`` when
    /// nil): the one mechanism behind every call. See the comment at the top of this file.
    func bounded<T: Sendable>(
        _ operation: StaticString, timeout: Duration?,
        _ body: sending @escaping (PostgresConnection) async throws -> T
    ) async throws(InvariantsError) -> T {
        let limit = timeout ?? callTimeout
        guard !Task.isCancelled else {
            throw InvariantsError(.queryCanceled, "\(operation) was not started: its task is cancelled")
        }
        try lifecycle.enter(operation)
        defer { lifecycle.leave() }

        let call = BoundedCall<T>()
        let pool = self.pool
        let work = Task {
            do {
                try await pool.withConnection { connection in
                    // The call may be over already (a timeout while waiting for the lease): the
                    // connection goes back unused.
                    guard call.attach(connection) else { return }
                    let result: Result<T, any Error>
                    do {
                        result = .success(try await body(connection))
                    } catch {
                        result = .failure(error)
                    }
                    if call.finish(result) {
                        // Lost under the call (the server went away): have the pool replace it.
                        if connection.isClosed { connection.closeFuture.whenComplete { _ in self.replaceClosedConnection() } }
                    } else {
                        // Too late: the caller has gone and the connection is being discarded.
                        // Wait for the close, so that it is closed before the lease ends.
                        try? await connection.close()
                    }
                }
            } catch {
                _ = call.finish(.failure(error))  // no lease: the pool is closed, or cannot connect
            }
        }
        let timer = PostgresConnection.defaultEventLoopGroup.any().scheduleTask(in: .nanoseconds(limit.nanoseconds)) {
            if let connection = call.end(.timedOut) { self.discard(connection) }
        }
        let outcome = await withTaskCancellationHandler {
            await call.wait()
        } onCancel: {
            if let connection = call.end(.cancelled) { self.discard(connection) }
        }
        timer.cancel()
        switch outcome {
        case .finished(.success(let value)):
            return value
        case .finished(.failure(let error)):
            throw InvariantsError(error, endpoint: url.endpoint)
        case .timedOut, .cancelled:
            work.cancel()
            // Return once the pool has forgotten the discarded connection, so that the caller's
            // next call is not queued behind it.
            if let connection = call.discarded { await Self.closed(connection, within: .seconds(1)) }
            if case .timedOut = outcome { throw InvariantsError.timeout(operation, after: limit) }
            throw InvariantsError(.queryCanceled, "\(operation) was cancelled (its task was cancelled); its connection was closed")
        }
    }

    /// Closes a call's connection (past its timeout, or cancelled), then has the pool replace it.
    func discard(_ connection: PostgresConnection) {
        let _: EventLoopFuture<Void> = connection.close()
        // The pool's own close callback was registered first: it has forgotten the connection
        // by the time this runs.
        connection.closeFuture.whenComplete { _ in self.replaceClosedConnection() }
    }

    /// Asks the pool for one lease, given back at once, so that it opens a connection in place
    /// of one that closed while leased (see the comment at the top of this file). Bounded by the
    /// client's timeout; skipped once the client is closed.
    func replaceClosedConnection() {
        guard !lifecycle.isStopped else { return }
        let pool = self.pool
        let lease = Task { try? await pool.withConnection { _ in } }
        PostgresConnection.defaultEventLoopGroup.any().scheduleTask(in: .nanoseconds(callTimeout.nanoseconds)) { lease.cancel() }
    }

    /// Waits until `connection` has closed, at most `limit`.
    static func closed(_ connection: PostgresConnection, within limit: TimeAmount) async {
        let done = connection.eventLoop.makePromise(of: Void.self)
        connection.closeFuture.whenComplete { _ in done.succeed() }
        let timer = connection.eventLoop.scheduleTask(in: limit) { done.succeed() }
        try? await done.futureResult.get()
        timer.cancel()
    }
}

/// One call's race between its body, its timeout and its caller's cancellation; the first to
/// arrive decides the outcome. It also holds the connection the body leased, so that a timeout
/// closes exactly that connection, and only while the body still holds it.
final class BoundedCall<T: Sendable>: Sendable {
    enum Outcome: Sendable {
        case finished(Result<T, any Error>)
        case timedOut
        case cancelled
    }

    private struct State {
        var outcome: Outcome?
        var waiter: CheckedContinuation<Outcome, Never>?
        var connection: PostgresConnection?
        var discarded: PostgresConnection?
    }

    private let state = Mutex(State())

    /// The body leased `connection`. False when the call is already over: the body must not run.
    func attach(_ connection: PostgresConnection) -> Bool {
        state.withLock {
            guard $0.outcome == nil else { return false }
            $0.connection = connection
            return true
        }
    }

    /// The body's result, before its lease ends. True when it is the call's outcome (the
    /// connection is then detached and goes back to the pool); false when a timeout or a
    /// cancellation came first (the connection is being closed and must not go back open).
    func finish(_ result: Result<T, any Error>) -> Bool {
        let waiter = state.withLock { s -> CheckedContinuation<Outcome, Never>?? in
            guard s.outcome == nil else { return nil }
            s.outcome = .finished(result)
            s.connection = nil
            defer { s.waiter = nil }
            return .some(s.waiter)
        }
        guard let waiter else { return false }
        waiter?.resume(returning: .finished(result))
        return true
    }

    /// A timeout or a cancellation: ends the call if nothing else has. Returns the connection
    /// the body holds, if any, for the caller to discard (close: a statement in flight on it
    /// then fails, and the server ends the session).
    func end(_ outcome: Outcome) -> PostgresConnection? {
        let (waiter, connection, decided) = state.withLock { s -> (CheckedContinuation<Outcome, Never>?, PostgresConnection?, Bool) in
            guard s.outcome == nil else { return (nil, nil, false) }
            s.outcome = outcome
            s.discarded = s.connection
            defer { s.waiter = nil }
            return (s.waiter, s.connection, true)
        }
        guard decided else { return nil }
        waiter?.resume(returning: outcome)
        return connection
    }

    /// The connection a timeout or a cancellation discarded, if the body held one.
    var discarded: PostgresConnection? { state.withLock { $0.discarded } }

    func wait() async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> Outcome? in
                if let outcome = s.outcome { return outcome }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

extension Duration {
    /// The whole duration in nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, overflowSum) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowSum ? .max : sum
    }

    /// `200 ms`, `30 s`, `1.5 s`: how an error message names a timeout.
    var readable: String {
        let ms = Double(nanoseconds) / 1_000_000
        if ms < 1000 { return ms.rounded() == ms ? "\(Int(ms)) ms" : "\(ms) ms" }
        let s = ms / 1000
        return s.rounded() == s ? "\(Int(s)) s" : "\(s) s"
    }
}
