import PostgresNIO
public import ServiceLifecycle
import Synchronization

// The client as a swift-service-lifecycle `Service` (issue 18), as PostgresNIO's `PostgresClient`
// and Hummingbird's `Application` are: an app constructs it, adds it to its `ServiceGroup`, and
// the group runs it. Graceful shutdown drains: new calls are refused at once, the calls in flight
// finish (each is bounded by its timeout, so the drain is too), then the pool stops. Cancellation
// stops the pool at once.
//
// `PostgresClient.run()` cancels its pool the moment it sees graceful shutdown
// (`cancelWhenGracefulShutdown`), which would cut off the calls in flight; and it would see ours,
// because graceful shutdown reaches every task below the service's through a task-local. So the
// pool runs in a detached task (which inherits no task-locals), owned by `run()`: `run()` waits for
// it and cancels it — on cancellation at once, on graceful shutdown when the last call has finished.

extension InvariantsClient: Service {
    /// Runs the client's connection pool until graceful shutdown or cancellation; what a
    /// `ServiceGroup` calls. Until it runs, calls wait for a connection (within their timeout).
    ///
    /// - Graceful shutdown (the group's, e.g. on SIGTERM): new calls fail at once with
    ///   ``InvariantsError/Kind/clientShutDown``; the calls in flight finish (each within its
    ///   timeout); then the pool closes its connections and `run()` returns.
    /// - Cancellation: the pool closes at once; calls in flight fail.
    ///
    /// A client made by `connect(url:)` runs itself; running it again throws.
    ///
    /// - Throws: ``InvariantsError/Kind/other`` when the client is already running or has run.
    public func run() async throws(InvariantsError) {
        let poolTask = try lifecycle.start(pool)
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await poolTask.value
            } onGracefulShutdown: {
                self.lifecycle.drain()
            }
        } onCancel: {
            self.lifecycle.stop()
        }
        lifecycle.stop()
    }
}

/// Where the client is in its life, and how many calls are in flight (the drain waits for them).
final class ClientLifecycle: Sendable {
    private enum Phase {
        /// Made, not running yet: calls are accepted and wait for the pool.
        case idle
        case running(Task<Void, Never>)
        /// Graceful shutdown: new calls are refused; the pool stops when the last call leaves.
        case draining(Task<Void, Never>)
        /// Closed or cancelled: calls are refused.
        case stopped
    }

    private struct State {
        var phase = Phase.idle
        var inFlight = 0
    }

    private let state = Mutex(State())

    /// Starts `pool` in a detached task (see the comment at the top of this file).
    func start(_ pool: PostgresClient) throws(InvariantsError) -> Task<Void, Never> {
        let started: Task<Void, Never>? = state.withLock { s in
            guard case .idle = s.phase else { return nil }
            let task = Task.detached { await pool.run() }
            s.phase = .running(task)
            return task
        }
        guard let started else {
            throw InvariantsError(.other, "InvariantsClient.run() was called on a client that is running or has run (connect(url:) runs its client itself)")
        }
        return started
    }

    /// Whether the client is closed (or its pool stopped).
    var isStopped: Bool {
        state.withLock {
            if case .stopped = $0.phase { return true }
            return false
        }
    }

    /// A call begins; refused once the client is shutting down or closed.
    func enter(_ operation: StaticString) throws(InvariantsError) {
        let refusal: String? = state.withLock { s in
            switch s.phase {
            case .idle, .running:
                s.inFlight += 1
                return nil
            case .draining:
                return "the client is shutting down gracefully"
            case .stopped:
                return "the client is closed"
            }
        }
        if let refusal { throw InvariantsError.shutDown(operation, refusal) }
    }

    /// A call has returned or thrown; the last one out during a drain stops the pool.
    func leave() {
        let stop: Task<Void, Never>? = state.withLock { s in
            s.inFlight -= 1
            guard s.inFlight == 0, case .draining(let task) = s.phase else { return nil }
            s.phase = .stopped
            return task
        }
        stop?.cancel()
    }

    /// Graceful shutdown: refuse new calls; stop the pool now if none is in flight.
    func drain() {
        let stop: Task<Void, Never>? = state.withLock { s in
            guard case .running(let task) = s.phase else { return nil }
            if s.inFlight == 0 {
                s.phase = .stopped
                return task
            }
            s.phase = .draining(task)
            return nil
        }
        stop?.cancel()
    }

    /// Stop at once: refuse new calls, close the pool (calls in flight fail).
    func stop() {
        let stop: Task<Void, Never>? = state.withLock { s in
            defer { s.phase = .stopped }
            switch s.phase {
            case .running(let task), .draining(let task): return task
            case .idle, .stopped: return nil
            }
        }
        stop?.cancel()
    }
}
