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
    private let client: PostgresClient
    private let runner: Task<Void, Never>

    private init(url: DatabaseURL, client: PostgresClient, logger: Logger) {
        self.url = url
        self.client = client
        self.logger = logger
        self.runner = Task { await client.run() }
    }

    /// Connects to `url`. One direct connection is tried first, so a bad URL, an unreachable
    /// server, a wrong password or a missing database fail within seconds with a typed
    /// error, instead of the pool's retry loop.
    public static func connect(
        url: String, maximumConnections: Int = 20, logger: Logger = Logger(label: "invariants")
    ) async throws(InvariantsError) -> InvariantsClient {
        try await connect(url: try DatabaseURL(url), maximumConnections: maximumConnections, logger: logger)
    }

    /// Connects to a parsed ``DatabaseURL``; see ``connect(url:logger:)-(String,_)``.
    public static func connect(
        url: DatabaseURL, maximumConnections: Int = 20, logger: Logger = Logger(label: "invariants")
    ) async throws(InvariantsError) -> InvariantsClient {
        let probe = try await Self.openConnection(url: url, logger: logger)
        try? await probe.close()
        var configuration = try url.clientConfiguration
        configuration.options.maximumConnections = max(1, maximumConnections)
        return InvariantsClient(url: url, client: PostgresClient(configuration: configuration, backgroundLogger: logger), logger: logger)
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
            return try await client.withConnection { try await body($0) }
        } catch {
            throw InvariantsError(error, endpoint: url.endpoint)
        }
    }

    /// Runs `body` inside `BEGIN … COMMIT`; any error rolls back and is rethrown mapped.
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(InvariantsError) -> T {
        do {
            return try await client.withTransaction(logger: logger) { try await body($0) }
        } catch {
            throw InvariantsError(error, endpoint: url.endpoint)
        }
    }

    /// Runs one SQL statement for its effect, discarding any rows; use ``query(_:)`` to read them.
    public func execute(_ query: PostgresQuery) async throws(InvariantsError) {
        do {
            _ = try await client.query(query, logger: logger).collect()
        } catch {
            throw InvariantsError(error, endpoint: url.endpoint)
        }
    }

    /// Runs one SQL statement and collects its rows.
    public func query(_ query: PostgresQuery) async throws(InvariantsError) -> [PostgresRow] {
        do {
            return try await client.query(query, logger: logger).collect()
        } catch {
            throw InvariantsError(error, endpoint: url.endpoint)
        }
    }

    /// Stops the pool; in-flight calls finish or fail with ``InvariantsError/Kind/connectionLost``.
    public func close() {
        runner.cancel()
    }
}
