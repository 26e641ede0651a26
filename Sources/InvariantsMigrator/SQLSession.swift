import PostgresNIO
import Logging
import Invariants

/// The few ways the migrator talks to its one connection, each error mapped once.
struct SQLSession {
    let connection: PostgresConnection
    let logger: Logger

    func run(_ sql: String) async throws(InvariantsError) {
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
        } catch {
            throw InvariantsError(error)
        }
    }

    func rows(_ query: PostgresQuery) async throws(InvariantsError) -> [PostgresRow] {
        do {
            return try await connection.query(query, logger: logger).collect()
        } catch {
            throw InvariantsError(error)
        }
    }

    /// `BEGIN`, the body, `COMMIT`; `ROLLBACK` and rethrow on any error.
    func transaction<T>(_ body: () async throws(InvariantsError) -> T) async throws(InvariantsError) -> T {
        try await run("BEGIN")
        do {
            let value = try await body()
            try await run("COMMIT")
            return value
        } catch {
            try? await run("ROLLBACK")
            throw error
        }
    }
}
