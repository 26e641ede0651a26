public import PostgresNIO
public import Logging

/// The client apps link: a pooled connection to one database, calls inside transactions,
/// every call bounded by a timeout, and every failure as an ``InvariantsError``.
///
/// In a script, `connect(url:)` checks the server and starts the pool; ``close()`` stops it:
///
/// ```swift
/// let db = try await InvariantsClient.connect(url: "postgres://app:secret@db:5432/app")
/// defer { db.close() }
/// let count = try await db.transaction { conn in
///     try await conn.query("SELECT count(*) FROM sessions", logger: db.logger).collect().count
/// }
/// ```
///
/// In a server app the client is a swift-service-lifecycle `Service`: construct it with
/// `init(url:)` (nothing starts) and add it to the app's `ServiceGroup`, which runs it
/// (``run()``) and, on graceful shutdown, lets the calls in flight finish before the pool stops.
///
/// Every call — ``withConnection(timeout:_:)``, ``transaction(timeout:_:)``,
/// ``execute(_:timeout:)``, ``query(_:timeout:)``, ``call(as:_:arguments:returning:timeout:)``,
/// ``callPrepared(_:timeout:)``, ``run(as:timeout:_:)`` and the typed calls built on them — ends
/// within its timeout: the call's `timeout:` when given, else the client's ``callTimeout``
/// (``defaultCallTimeout``, 30 s, unless set at construction). Past it the call throws
/// ``InvariantsError/Kind/timeout`` and the connection it used is closed, never reused. The
/// timeout counts from the call's start, the wait for a pooled connection included, and it
/// holds even for a statement PostgresNIO never completes (a query written to a connection
/// that has just died). A call whose task is cancelled ends the same way, with
/// ``InvariantsError/Kind/queryCanceled``.
public final class InvariantsClient: Sendable {
    public let url: DatabaseURL
    public let logger: Logger
    /// The pool every call leases from.
    let pool: PostgresClient
    /// Whether hot typed calls use named prepared statements (see `connect`'s `preparedStatements`).
    let preparedStatements: Bool
    /// How long a call that passes no `timeout:` may take: ``defaultCallTimeout`` unless set at
    /// construction. See the type's documentation.
    public let callTimeout: Duration
    /// The timeout of a client made without one: 30 seconds. Long for one OLTP call (they take
    /// milliseconds), short enough that a stuck call surfaces within a request's lifetime
    /// instead of never. Pass `callTimeout:` to change it for a client, `timeout:` for one call.
    public static let defaultCallTimeout: Duration = .seconds(30)
    /// Running, draining or stopped, and the calls in flight.
    let lifecycle = ClientLifecycle()

    /// Makes a client without starting anything, for an app's `ServiceGroup`, which runs it
    /// (``run()``). No connection is tried here: a bad URL fails now, an unreachable server at
    /// the first call. Calls made before the client runs wait for a connection, within their
    /// timeout. (A script uses `connect(url:)`, which checks the server first and runs the
    /// client itself.)
    ///
    /// ```swift
    /// let db = try InvariantsClient(url: "postgres://app:secret@db:5432/app")
    /// let group = ServiceGroup(services: [db, server], gracefulShutdownSignals: [.sigterm], logger: logger)
    /// try await group.run()
    /// ```
    ///
    /// A `ServiceGroup` shuts its services down in reverse order: list the client before the
    /// services that call it, so that they stop first.
    ///
    /// - Parameters:
    ///   - url: the database, as a `postgres://` URL.
    ///   - maximumConnections: the pool's size limit (as for `connect(url:)`).
    ///   - minimumConnections: connections kept open even when idle (as for `connect(url:)`).
    ///   - keepAlive: how often an idle connection is probed (as for `connect(url:)`).
    ///   - preparedStatements: whether hot typed calls use named prepared statements (as for
    ///     `connect(url:)`).
    ///   - callTimeout: how long a call that passes no `timeout:` may take (default
    ///     ``defaultCallTimeout``, 30 s); must be positive.
    ///   - logger: where the client and its pool log.
    /// - Throws: ``InvariantsError/Kind/invalidURL`` for a URL that does not parse;
    ///   ``InvariantsError/Kind/other`` for a timeout that is not positive.
    public convenience init(
        url: String, maximumConnections: Int = 20, minimumConnections: Int = 0, keepAlive: Duration? = nil,
        preparedStatements: Bool = true, callTimeout: Duration = InvariantsClient.defaultCallTimeout,
        logger: Logger = Logger(label: "invariants")
    ) throws(InvariantsError) {
        try self.init(
            url: try DatabaseURL(url), maximumConnections: maximumConnections, minimumConnections: minimumConnections,
            keepAlive: keepAlive, preparedStatements: preparedStatements, callTimeout: callTimeout, logger: logger)
    }

    /// Makes a client for a parsed ``DatabaseURL`` without starting anything; see the `String` overload.
    public init(
        url: DatabaseURL, maximumConnections: Int = 20, minimumConnections: Int = 0, keepAlive: Duration? = nil,
        preparedStatements: Bool = true, callTimeout: Duration = InvariantsClient.defaultCallTimeout,
        logger: Logger = Logger(label: "invariants")
    ) throws(InvariantsError) {
        guard callTimeout > .zero else {
            throw InvariantsError(.other, "callTimeout must be positive, got \(callTimeout.readable)")
        }
        var configuration = try url.clientConfiguration
        configuration.options.maximumConnections = max(1, maximumConnections)
        configuration.options.minimumConnections = min(max(0, minimumConnections), configuration.options.maximumConnections)
        configuration.options.keepAliveBehavior = keepAlive.map { .init(frequency: $0) }
        self.url = url
        self.preparedStatements = preparedStatements
        self.callTimeout = callTimeout
        self.pool = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Connects to `url` and starts the client's pool: the entry point for scripts and tools (a
    /// server app adds the client to its `ServiceGroup` instead, see `init(url:)`). One direct
    /// connection is tried first, so a bad URL, an unreachable server, a wrong password or a
    /// missing database fail within seconds with a typed error, instead of the pool's retry
    /// loop. ``close()`` stops the pool.
    ///
    /// - Parameters:
    ///   - url: the database, as a `postgres://` URL (``DatabaseURL`` lists what it accepts).
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
    ///   - preparedStatements: whether the hottest typed calls (GigResponses' `counts(gig:workspace:as:)`)
    ///     use named prepared statements, prepared once per connection (the server then skips
    ///     parsing and planning them). Turn it off behind PgBouncer older than 1.21 (or with
    ///     `max_prepared_statements = 0`) in transaction mode, which cannot route a prepared
    ///     statement to the server connection that knows it — as asyncpg's `statement_cache_size=0`.
    ///   - callTimeout: how long a call that passes no `timeout:` may take (default
    ///     ``defaultCallTimeout``, 30 s); must be positive. See the type's documentation.
    ///   - logger: where the client and its pool log.
    public static func connect(
        url: String, maximumConnections: Int = 20, minimumConnections: Int = 0, keepAlive: Duration? = nil,
        preparedStatements: Bool = true, callTimeout: Duration = InvariantsClient.defaultCallTimeout,
        logger: Logger = Logger(label: "invariants")
    ) async throws(InvariantsError) -> InvariantsClient {
        try await connect(
            url: try DatabaseURL(url), maximumConnections: maximumConnections, minimumConnections: minimumConnections,
            keepAlive: keepAlive, preparedStatements: preparedStatements, callTimeout: callTimeout, logger: logger)
    }

    /// Connects to a parsed ``DatabaseURL``; see the `String` overload for the parameters.
    public static func connect(
        url: DatabaseURL, maximumConnections: Int = 20, minimumConnections: Int = 0, keepAlive: Duration? = nil,
        preparedStatements: Bool = true, callTimeout: Duration = InvariantsClient.defaultCallTimeout,
        logger: Logger = Logger(label: "invariants")
    ) async throws(InvariantsError) -> InvariantsClient {
        let probe = try await Self.openConnection(url: url, logger: logger)
        try? await probe.close()
        let client = try InvariantsClient(
            url: url, maximumConnections: maximumConnections, minimumConnections: minimumConnections, keepAlive: keepAlive,
            preparedStatements: preparedStatements, callTimeout: callTimeout, logger: logger)
        // Its own runner, outside any ServiceGroup (no graceful shutdown reaches it); close() stops it.
        Task { try? await client.run() }
        return client
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

    /// Runs `body` on a pooled connection (autocommit: each query is its own transaction),
    /// within `timeout` (the client's ``callTimeout`` when nil).
    ///
    /// `body` runs in a task of its own, so that the call can return at its timeout even when a
    /// statement never completes. Past the timeout, or when the calling task is cancelled, the
    /// call throws (``InvariantsError/Kind/timeout``, ``InvariantsError/Kind/queryCanceled``), the
    /// connection is closed and `body`'s task cancelled: its later statements fail, and whatever
    /// it does after the call has returned is lost. `body` must not keep the connection. For work
    /// that holds a session for long (LISTEN, a migration), use ``openConnection(url:logger:)``
    /// or pass a `timeout:` that fits it.
    public func withConnection<T: Sendable>(
        timeout: Duration? = nil, _ body: sending @escaping (PostgresConnection) async throws -> T
    ) async throws(InvariantsError) -> T {
        try await bounded("withConnection", timeout: timeout, body)
    }

    /// Runs `body` inside `BEGIN … COMMIT`, within `timeout` (the client's ``callTimeout`` when
    /// nil); any error rolls back and is rethrown mapped. A body that swallowed a failed
    /// statement gets COMMIT answered with ROLLBACK, and this throws (SQLSTATE 25P02) instead of
    /// reporting success. Past the timeout the connection is closed, so the server rolls the
    /// transaction back — unless COMMIT was already on its way, so a timeout's outcome is unknown,
    /// as a lost connection's is (see ``withConnection(timeout:_:)``).
    public func transaction<T: Sendable>(
        timeout: Duration? = nil, _ body: sending @escaping (PostgresConnection) async throws -> T
    ) async throws(InvariantsError) -> T {
        try await inTransaction("transaction", as: nil, timeout: timeout, body)
    }

    /// Runs one SQL statement for its effect, discarding any rows; use ``query(_:timeout:)`` to
    /// read them. Within `timeout` (the client's ``callTimeout`` when nil); past it the call
    /// throws and the connection is closed, but a statement the server is already running may
    /// still complete there (it is its own transaction; set `statement_timeout` on the role to
    /// bound the server's side too). A statement chosen as a deadlock victim (40P01) is run
    /// again, up to three times in all (it was rolled back; see ``run(as:timeout:_:)``).
    public func execute(_ query: PostgresQuery, timeout: Duration? = nil) async throws(InvariantsError) {
        let logger = self.logger
        _ = try await bounded("execute", timeout: timeout) { connection in
            try await Self.retryingDeadlocks("execute", logger: logger) {
                try await connection.queryFailingIfClosed(query, logger: logger).get().metadata.command
            }
        }
    }

    /// Runs one SQL statement and collects its rows, within `timeout` (the client's
    /// ``callTimeout`` when nil); see ``execute(_:timeout:)``.
    public func query(_ query: PostgresQuery, timeout: Duration? = nil) async throws(InvariantsError) -> [PostgresRow] {
        let logger = self.logger
        return try await bounded("query", timeout: timeout) { connection in
            try await Self.retryingDeadlocks("query", logger: logger) {
                try await connection.queryFailingIfClosed(query, logger: logger).get().rows
            }
        }
    }

    /// Stops the pool at once: new calls fail with ``InvariantsError/Kind/clientShutDown``, calls
    /// in flight fail (their connections close). A client in a `ServiceGroup` is better shut
    /// down by the group, gracefully: the calls in flight then finish.
    public func close() {
        lifecycle.stop()
    }
}
