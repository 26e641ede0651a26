import Logging
import PostgresNIO

// PostgreSQL resolves a deadlock by aborting one of the transactions in it (SQLSTATE 40P01) —
// after deadlock_timeout (1 s by default), with everything that transaction did rolled back.
// The API functions are written so that they take their locks in one order and cannot deadlock
// with each other (public.delete_gig locks a gig's responses before the gig); plain statements
// an app sends can still meet in opposite orders (two multi-row UPDATEs of the same rows, say).
// The victim's work is lost and nothing of it is visible, so running it again is safe: the
// client does so, a few times, after a short random pause that lets the winner finish.

extension InvariantsClient {
    /// How many times in all a call chosen as a deadlock victim runs before its error is thrown.
    static let deadlockAttempts = 3

    /// `error` is PostgreSQL's deadlock (40P01), raw or mapped.
    static func isDeadlock(_ error: any Error) -> Bool {
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] == "40P01" }
        if let error = error as? InvariantsError { return error.kind == .deadlock }
        return false
    }

    /// Runs `attempt` and, while it fails as a deadlock victim, again (up to
    /// ``deadlockAttempts`` in all), each retry logged at notice level. `attempt` must be a
    /// whole transaction or a single statement: work of it that committed would be done twice.
    static func retryingDeadlocks<T>(
        _ operation: StaticString, logger: Logger, _ attempt: () async throws -> T
    ) async throws -> T {
        var tries = 1
        while true {
            do {
                return try await attempt()
            } catch where isDeadlock(error) && tries < deadlockAttempts && !Task.isCancelled {
                logger.notice("\(operation) was a deadlock victim (40P01); running it again", metadata: [
                    "attempt": "\(tries + 1)",
                ])
                try await Task.sleep(for: .milliseconds(Int.random(in: 2...20) * tries))
                tries += 1
            }
        }
    }
}
