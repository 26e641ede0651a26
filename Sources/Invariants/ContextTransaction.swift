public import PostgresNIO
import Logging

// A call as a user is, done plainly, four statements: BEGIN, the context (`set_config` of the
// role and the claims), the call, COMMIT. Each is a round trip, paid again by the server (parse,
// plan) and by the driver (on this project's 2-core CI machine PostgresNIO spends 100–300 µs of
// CPU per statement, several times libpq). So:
//   - a one-statement typed call goes through `invariants.call_as` (CoreCallAs.swift): one
//     statement, one round trip, the context set inside the server before the statement is
//     planned;
//   - `run(as:)` (Swift between statements) queues BEGIN and the context together and awaits
//     once, and checks COMMIT's answer, because COMMIT of an aborted transaction answers
//     ROLLBACK without an error.
// Every call goes through `bounded` (CallTimeout.swift): its timeout, and the graceful drain.

extension InvariantsClient {
    /// Runs one statement as `context` in one round trip and returns its rows, through
    /// `invariants.call_as`: the server sets the role and the claims, then parses, plans and runs
    /// `statement` — row-level security, grants and `auth.uid()` apply as in
    /// ``run(as:timeout:_:)``. The call leases its own pooled connection, so the statement is its
    /// own transaction. (Sent by hand inside a transaction of yours, `invariants.call_as` joins
    /// it and puts the previous role and claims back after the statement.)
    ///
    /// - Parameters:
    ///   - context: who the statement runs as (the request role and its claims).
    ///   - statement: one SQL statement (trusted text from your code, never user input); `$1` is
    ///     `arguments` as `text[]`, so arguments are written `($1)[1]::uuid`, `($1)[2]::int`, ….
    ///   - arguments: the statement's arguments as text.
    ///   - columns: the result's column definition list, e.g. `total bigint, done boolean`; the
    ///     statement's columns must have exactly these types.
    ///   - timeout: how long the call may take (the client's ``callTimeout`` when nil); see
    ///     ``execute(_:timeout:)``.
    /// - Throws: the statement's error, mapped like any other; nothing of it is committed.
    public func call(
        as context: UserContext, _ statement: String, arguments: [String] = [], returning columns: String,
        timeout: Duration? = nil
    ) async throws(InvariantsError) -> [PostgresRow] {
        var binds = PostgresBindings(capacity: 4)
        binds.append(context.role.rawValue)
        binds.append(context.claimsJSON)
        binds.append(statement)
        binds.append(arguments)
        let query = PostgresQuery(unsafeSQL: Self.callAsSQL(statement: "$3", arguments: "$4", returning: columns), binds: binds)
        let logger = self.logger
        return try await bounded("call(as:)", timeout: timeout) { connection in
            try await Self.retryingDeadlocks("call(as:)", logger: logger) {
                try await connection.queryFailingIfClosed(query, logger: logger).get().rows
            }
        }
    }

    /// A hot typed call: `statement` (a prepared statement over `invariants.call_as`, see
    /// ``ContextCallStatement``) as `context`, one round trip. Prepared once per connection, so
    /// the server skips parsing and planning the outer statement from the second call on, as
    /// `pgbench -M prepared` does; sent unnamed when the client was made with
    /// `preparedStatements: false`. Within `timeout` (the client's ``callTimeout`` when nil);
    /// see ``execute(_:timeout:)``.
    public func callPrepared<Statement: ContextCallStatement>(
        _ statement: Statement, timeout: Duration? = nil
    ) async throws(InvariantsError) -> [Statement.Row] where Statement.Row: Sendable {
        let logger = self.logger
        let prepared = self.preparedStatements
        return try await bounded("callPrepared", timeout: timeout) { connection in
            try await Self.retryingDeadlocks("callPrepared", logger: logger) {
                try await Self.runPrepared(statement, prepared: prepared, on: connection, logger: logger)
            }
        }
    }

    /// One attempt of ``callPrepared(_:timeout:)``.
    static func runPrepared<Statement: ContextCallStatement>(
        _ statement: Statement, prepared: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Statement.Row] where Statement.Row: Sendable {
        guard prepared else {
            let query = PostgresQuery(unsafeSQL: Statement.sql, binds: try statement.makeBindings())
            return try await connection.queryFailingIfClosed(query, logger: logger).get().rows.map(statement.decodeRow)
        }
        // PostgresNIO drops a write to a closed channel (see queryFailingIfClosed); a
        // prepared execute cannot be guarded behind its write, so at least not before it
        // (the call's timeout bounds the rest).
        guard !connection.isClosed else { throw InvariantsError(.connectionLost, "the connection was closed") }
        var rows: [Statement.Row] = []
        for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
        return rows
    }

    /// Runs `body` in one transaction as `context`: the role and the claims are set with
    /// `set_config(…, true)` — transaction-local, through bind parameters — so nothing
    /// survives COMMIT or ROLLBACK and the same pooled connection (or a PgBouncer /
    /// Supavisor server connection in transaction mode) can serve another user next.
    ///
    /// BEGIN and the context are sent together (one await), then `body` runs, then COMMIT.
    /// When PostgreSQL chooses the transaction as a deadlock victim (40P01), it is rolled back
    /// and run again, `body` included, up to three times in all: `body` must be safe to run
    /// again (its database work is undone; Swift side effects are not).
    /// When `body` throws, the transaction is rolled back and the error rethrown mapped; when
    /// `body` swallowed a failed statement, COMMIT answers ROLLBACK and this throws
    /// ``InvariantsError/Kind/server`` (SQLSTATE 25P02) instead of reporting success.
    ///
    /// The role can only be one of `DatabaseRole` (a whitelist by type); the connecting user
    /// must be a member of it (Supabase's `authenticator` is; a superuser is).
    ///
    /// The call ends within `timeout` (the client's ``callTimeout`` when nil), `body` included,
    /// even when a statement of `body`'s never completes: past it the call throws
    /// ``InvariantsError/Kind/timeout`` and the connection is closed, so the server rolls the
    /// transaction back and no role or claim of it reaches another call (see
    /// ``transaction(timeout:_:)`` and ``withConnection(timeout:_:)``).
    @discardableResult
    public func run<T: Sendable>(
        as context: UserContext, timeout: Duration? = nil, _ body: sending @escaping (PostgresConnection) async throws -> T
    ) async throws(InvariantsError) -> T {
        try await inTransaction("run(as:)", as: context, timeout: timeout, body)
    }

    /// BEGIN (and `context`, queued with it), `body`, COMMIT with its answer checked; ROLLBACK
    /// when `body` throws; all within `timeout`. The one transaction mechanism behind
    /// ``transaction(timeout:_:)`` and ``run(as:timeout:_:)``.
    func inTransaction<T: Sendable>(
        _ operation: StaticString, as context: UserContext?, timeout: Duration?,
        _ body: sending @escaping (PostgresConnection) async throws -> T
    ) async throws(InvariantsError) -> T {
        let logger = self.logger
        return try await bounded(operation, timeout: timeout) { connection in
            try await Self.retryingDeadlocks(operation, logger: logger) {
                try await Self.begin(as: context, on: connection, logger: logger).get()
                let value: T
                do {
                    value = try await body(connection)
                } catch {
                    _ = try? await connection.queryFailingIfClosed("ROLLBACK", logger: logger).get()
                    throw error
                }
                try await Self.commit(on: connection, logger: logger).get()
                return value
            }
        }
    }

    /// Sets `context` for the current transaction of `connection` (one round trip). For code
    /// that manages its own transaction; ``run(as:timeout:_:)`` and
    /// ``call(as:_:arguments:returning:timeout:)`` do it for you.
    public static func apply(_ context: UserContext, on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.queryFailingIfClosed(contextQuery(context), logger: logger).get()
    }

    /// The role and the claims, transaction-locally — and the legacy single-claim settings
    /// blanked: Supabase's `auth.uid()` prefers `request.jwt.claim.sub` over the JSON claims,
    /// so a value left at session level on a pooled connection would make this transaction run
    /// as that user.
    static func contextQuery(_ context: UserContext) -> PostgresQuery {
        """
        SELECT pg_catalog.set_config('role', \(context.role.rawValue), true), \
        pg_catalog.set_config('request.jwt.claims', \(context.claimsJSON), true), \
        pg_catalog.set_config('request.jwt.claim', '', true), pg_catalog.set_config('request.jwt.claim.sub', '', true), \
        pg_catalog.set_config('request.jwt.claim.role', '', true), pg_catalog.set_config('request.jwt.claim.email', '', true)
        """
    }

    /// BEGIN and the context (if any), queued together. On failure the transaction (if one
    /// began) is rolled back before the error is reported.
    static func begin(as context: UserContext?, on connection: PostgresConnection, logger: Logger) -> EventLoopFuture<Void> {
        let begin = connection.queryFailingIfClosed("BEGIN", logger: logger)
        let started = context.map { begin.and(connection.queryFailingIfClosed(contextQuery($0), logger: logger)).map { _ in () } }
            ?? begin.map { _ in () }
        return started.flatMapError { error in
            connection.queryFailingIfClosed("ROLLBACK", logger: logger).flatMapThrowing { _ in throw error }
                .flatMapErrorThrowing { _ in throw error }
        }
    }

    /// COMMIT, failing when the server answered ROLLBACK (the transaction had aborted).
    static func commit(on connection: PostgresConnection, logger: Logger) -> EventLoopFuture<Void> {
        connection.queryFailingIfClosed("COMMIT", logger: logger).flatMapThrowing { result in
            guard result.metadata.command == "COMMIT" else { throw InvariantsError.transactionRolledBack }
        }
    }
}

extension InvariantsClient {
    /// `SELECT * FROM invariants.call_as($1 role, $2 claims, <statement>, <arguments>) AS
    /// result(<columns>)`, the statement and the arguments given as SQL (a parameter or a literal).
    public static func callAsSQL(statement: String, arguments: String, returning columns: String) -> String {
        "SELECT * FROM invariants.call_as($1, $2, \(statement), \(arguments)) AS result(\(columns))"
    }
}

/// A typed call's statement, prepared: `invariants.call_as` with the statement and the columns
/// fixed per type, binds role, claims, arguments.
public protocol ContextCallStatement: PostgresPreparedStatement {}

extension ContextCallStatement {
    /// The prepared SQL for `statement` returning `columns`.
    public static func callAsSQL(_ statement: String, returning columns: String) -> String {
        InvariantsClient.callAsSQL(
            statement: "'" + statement.replacingOccurrences(of: "'", with: "''") + "'", arguments: "$3", returning: columns)
    }
}

extension PostgresConnection {
    /// `query(_:logger:)` (all rows, on the event loop) that fails instead of waiting forever
    /// when the connection is closed. PostgresNIO 1.33.2 writes a query to the channel without a
    /// write promise: on a channel that has just closed the write is dropped and the query's
    /// future never completes (the torture tests saw calls hang after a backend was SIGKILLed;
    /// PostgresNIOReproductionTests shows it on its own). The check is queued on the event loop
    /// behind the write, so it sees the channel as the write did; a second completion of the
    /// promise is ignored by NIO. A statement inside a `run(as:)` closure is sent by the app, not
    /// through this: the call's timeout (CallTimeout.swift) is what bounds it.
    func queryFailingIfClosed(_ query: PostgresQuery, logger: Logger) -> EventLoopFuture<PostgresQueryResult> {
        let promise = eventLoop.makePromise(of: PostgresQueryResult.self)
        let result: EventLoopFuture<PostgresQueryResult> = self.query(query, logger: logger)
        result.cascade(to: promise)
        eventLoop.execute {
            if self.isClosed { promise.fail(InvariantsError(.connectionLost, "the connection was closed before the statement was sent")) }
        }
        return promise.futureResult
    }
}

extension InvariantsError {
    /// COMMIT answered ROLLBACK: a statement of the transaction had failed and the caller went on.
    static var transactionRolledBack: InvariantsError {
        InvariantsError(
            .server, "the transaction was rolled back: a statement in it had failed (COMMIT answered ROLLBACK)",
            sqlState: "25P02")
    }
}
