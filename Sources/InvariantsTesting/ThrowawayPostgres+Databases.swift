import Foundation
public import PostgresNIO

extension ThrowawayPostgres {
    /// Builds the template database `name` once and returns its name.
    ///
    /// The first caller creates the database, runs `prepare` on a connection
    /// to it (migrations, seed data), closes every connection to it and marks
    /// it as a template that refuses connections — `CREATE DATABASE … TEMPLATE`
    /// fails while anyone is connected to the template. Concurrent callers wait
    /// for that one build; later callers return at once. A failed build is
    /// forgotten, so the next call tries again.
    public func template(
        named name: String,
        prepare: @escaping @Sendable (PostgresConnection) async throws -> Void
    ) async throws -> String {
        if let existing = templates[name] {
            return try await existing.value
        }
        let build = Task { try await self.buildTemplate(named: name, prepare: prepare) }
        templates[name] = build
        do {
            return try await build.value
        } catch {
            if templates[name] == build { templates[name] = nil }
            throw error
        }
    }

    private func buildTemplate(
        named name: String, prepare: @Sendable (PostgresConnection) async throws -> Void
    ) async throws -> String {
        try await admin("CREATE DATABASE \(quoteIdentifier(name))")
        do {
            try await withAdminConnection(database: name) { connection in
                try await prepare(connection)
            }
        } catch {
            // Dropped so that a retry starts from scratch instead of "already exists".
            try? await admin("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
            throw ThrowawayPostgresError(step: "preparing template \(name)", detail: String(reflecting: error))
        }
        // prepare may have opened connections of its own; they would block every clone.
        try await withAdminConnection { connection in
            _ = try await connection.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()",
                logger: ThrowawayPostgres.quietLogger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "ALTER DATABASE \(quoteIdentifier(name)) WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"),
                logger: ThrowawayPostgres.quietLogger)
        }
        return name
    }

    /// Creates a database with a fresh unique name, cloned from `template`
    /// (`STRATEGY FILE_COPY`, about twice as fast as the default for small
    /// databases), or empty when `template` is nil.
    public func makeDatabase(from template: String? = nil) async throws -> TestDatabase {
        let prefix = String((template ?? "db").prefix(40))
        let name = "\(prefix)_\(RandomToken.make(length: 12))"
        var sql = "CREATE DATABASE \(quoteIdentifier(name))"
        if let template { sql += " TEMPLATE \(quoteIdentifier(template))" }
        sql += " STRATEGY FILE_COPY"
        let clock = ContinuousClock()
        let began = clock.now
        try await admin(sql)
        return TestDatabase(name: name, template: template, server: self, creationDuration: clock.now - began)
    }

    /// Drops a database, disconnecting anyone still connected (`WITH (FORCE)`).
    public func dropDatabase(_ name: String) async throws {
        try await admin("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
    }

    /// Runs one statement on the server's shared admin session (the `postgres` database, over
    /// the socket). One session for every clone and drop: opening a connection per statement
    /// cost more than the `CREATE DATABASE` itself. A session that a fault test killed is
    /// replaced once, transparently.
    private func admin(_ sql: String) async throws {
        do {
            do {
                try await adminSession().query(PostgresQuery(unsafeSQL: sql), logger: ThrowawayPostgres.quietLogger)
            } catch let error as PSQLError where Self.sessionIsGone(error) {
                try await adminSession().query(PostgresQuery(unsafeSQL: sql), logger: ThrowawayPostgres.quietLogger)
            }
        } catch let error as ThrowawayPostgresError {
            throw error
        } catch {
            throw ThrowawayPostgresError(step: sql, detail: String(reflecting: error), logTail: readTail(layout.logFile))
        }
    }

    /// The open admin session, opened on first use and after the previous one closed.
    /// Concurrent callers share one opening (the actor is reentrant across the connect).
    private func adminSession() async throws -> PostgresConnection {
        if let opening = adminOpening {
            if let connection = try? await opening.value, !connection.isClosed { return connection }
            if adminOpening == opening {
                adminOpening = nil
                if let stale = try? await opening.value { try? await stale.close() }
            }
            return try await adminSession()
        }
        let opening = Task { try await self.connectOverSocket() }
        adminOpening = opening
        return try await opening.value
    }

    /// Closes the admin session (before the server stops).
    func closeAdminSession() async {
        guard let opening = adminOpening else { return }
        adminOpening = nil
        if let connection = try? await opening.value { try? await connection.close() }
    }

    /// The session died (a killed backend, a restarted server), as opposed to the statement failing.
    private static func sessionIsGone(_ error: PSQLError) -> Bool {
        if error.code == .server { return error.serverInfo?[.sqlState]?.hasPrefix("57P") == true }  // admin shutdown, crash
        return [.serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown].contains(error.code)
    }
}
