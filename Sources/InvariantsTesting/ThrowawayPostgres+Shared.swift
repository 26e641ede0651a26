import Synchronization

extension ThrowawayPostgres {
    private static let sharedStart = Mutex<Task<ThrowawayPostgres, any Error>?>(nil)

    /// The process-wide server with default options, started on first use.
    ///
    /// Concurrent first callers share one start. It is stopped and its
    /// directory removed when the process exits; do not call ``stop()`` on it,
    /// other tests in the process use it too. A failed start is retried by
    /// the next call.
    public static func shared() async throws -> ThrowawayPostgres {
        let start = sharedStart.withLock { current in
            if let current { return current }
            let task = Task { try await ThrowawayPostgres.start() }
            current = task
            return task
        }
        do {
            return try await start.value
        } catch {
            sharedStart.withLock { current in
                if current == start { current = nil }
            }
            throw error
        }
    }
}
