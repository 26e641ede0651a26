public import PostgresNIO
public import Logging

/// The client apps link: a pooled connection to one database, calls inside transactions,
/// and every failure as an ``InvariantsError``.
///
/// ```swift
/// let db = try await InvariantsClient.connect(url: "postgres://app:secret@db:5432/app")
/// defer { db.close() }
/// let count = try await db.transaction { conn in
///     try await conn.query("SELECT count(*) FROM sessions", logger: db.logger).collect().count
/// }
/// ```
public final class InvariantsClient: Sendable {
    public let url: DatabaseURL
    public let logger: Logger
    /// The pool every call leases from.
    let pool: PostgresClient
    /// Whether hot typed calls use named prepared statements (see `connect`'s `preparedStatements`).
    let preparedStatements: Bool
    private let runner: Task<Void, Never>

    private init(url: DatabaseURL, client: PostgresClient, preparedStatements: Bool, logger: Logger) {
        self.url = url
        self.preparedStatements = preparedStatements
        self.pool = client
        self.logger = logger
        self.runner = Task { await client.run() }
    }

    /// Connects to `url`. One direct connection is tried first, so a bad URL, an unreachable
    /// server, a wrong password or a missing database fail within seconds with a typed
    /// error, instead of the pool's retry loop.
    ///
    /// - Parameters:
    ///   - maximumConnections: the pool's size limit.
    ///   - minimumConnections: connections kept open even when idle (clamped to the maximum).
    ///     0 opens them on demand; an app server usually wants a fixed pool (the maximum), as
    ///     HikariCP's default is: every call then finds a warm connection.
    ///   - keepAlive: how often an idle connection is probed with `SELECT 1`; `nil` (default)
    ///     probes none, and a connection that died idle is replaced when a call finds it dead
    ///     (that call fails with ``InvariantsError/Kind/connectionLost``). Set it behind firewalls
    ///     or poolers that cut idle connections. Off by default because the probe's timer is
    ///     rescheduled on every release: it cost a quarter of the client's throughput in
    ///     `make bench`.
    ///   - preparedStatements: whether the hottest typed calls (``counts(gig:workspace:as:)``)
    ///     use named prepared statements, prepared once per connection (the server then skips
    ///     parsing and planning them). Turn it off behind PgBouncer older than 1.21 (or with
    ///     `max_prepared_statements = 0`) in transaction mode, which cannot route a prepared
    ///     statement to the server connection that knows it — as asyncpg's `statement_cache_size=0`.
    public static func connect(
        url: String, maximumConnections: Int = 20, minimumConnections: Int = 0, keepAlive: Duration? = nil,
        preparedStatements: Bool = true, logger: Logger = Logger(label: "invariants")
    ) async throws(InvariantsError) -> InvariantsClient {
        try await connect(
            url: try DatabaseURL(url), maximumConnections: maximumConnections, minimumConnections: minimumConnections,
            keepAlive: keepAlive, preparedStatements: preparedStatements, logger: logger)
    }

    /// Connects to a parsed ``DatabaseURL``; see the `String` overload for the parameters.
    public static func connect(
        url: DatabaseURL, maximumConnections: Int = 20, minimumConnections: Int = 0, keepAlive: Duration? = nil,
        preparedStatements: Bool = true, logger: Logger = Logger(label: "invariants")
    ) async throws(InvariantsError) -> InvariantsClient {
        let probe = try await Self.openConnection(url: url, logger: logger)
        try? await probe.close()
        var configuration = try url.clientConfiguration
        configuration.options.maximumConnections = max(1, maximumConnections)
        configuration.options.minimumConnections = min(max(0, minimumConnections), configuration.options.maximumConnections)
        configuration.options.keepAliveBehavior = keepAlive.map { .init(frequency: $0) }
        return InvariantsClient(
            url: url, client: PostgresClient(configuration: configuration, backgroundLogger: logger),
            preparedStatements: preparedStatements, logger: logger)
    }

    /// One dedicated connection (not pooled), for work that needs a session: the migrator's
    /// advisory lock, LISTEN. The caller closes it.
    public static func openConnection(url: DatabaseURL, logger: Logger = Logger(label: "invariants")) async throws(InvariantsError) -> PostgresConnection {
        let config = try url.connectionConfiguration
        do {
            return try await PostgresConnection.connect(configuration: config, id: 1, logger: logger)
        } catch {
            throw InvariantsError(error, endpoint: url.endpoint)
        }
    }

    /// Runs `body` on a pooled connection (autocommit: each query is its own transaction).
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(InvariantsError) -> T {
        do {
            return try await pool.withConnection { try await body($0) }
        } catch {
            throw InvariantsError(error, endpoint: url.endpoint)
        }
    }

    /// Runs `body` inside `BEGIN … COMMIT`; any error rolls back and is rethrown mapped. A body
    /// that swallowed a failed statement gets COMMIT answered with ROLLBACK, and this throws
    /// (SQLSTATE 25P02) instead of reporting success.
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(InvariantsError) -> T {
        try await inTransaction(as: nil, body)
    }

    /// Runs one SQL statement for its effect, discarding any rows; use ``query(_:)`` to read them.
    public func execute(_ query: PostgresQuery) async throws(InvariantsError) {
        do {
            _ = try await pool.query(query, logger: logger).collect()
        } catch {
            throw InvariantsError(error, endpoint: url.endpoint)
        }
    }

    /// Runs one SQL statement and collects its rows.
    public func query(_ query: PostgresQuery) async throws(InvariantsError) -> [PostgresRow] {
        do {
            return try await pool.query(query, logger: logger).collect()
        } catch {
            throw InvariantsError(error, endpoint: url.endpoint)
        }
    }

    /// Stops the pool; in-flight calls finish or fail with ``InvariantsError/Kind/connectionLost``.
    public func close() {
        runner.cancel()
    }
}
