import Foundation
public import Logging
public import PostgresNIO

/// A database of its own for one test, made by ``ThrowawayPostgres/makeDatabase(from:)``.
public struct TestDatabase: Sendable {
    /// The database name, unique on its server.
    public let name: String
    /// The template it was cloned from, or nil for an empty database.
    public let template: String?
    /// The server it lives on.
    public let server: ThrowawayPostgres
    /// A `postgres://` URL (TCP, password, TLS off) for this database.
    public let url: String
    /// How long `CREATE DATABASE` took.
    public let creationDuration: Duration

    init(name: String, template: String?, server: ThrowawayPostgres, creationDuration: Duration) {
        self.name = name
        self.template = template
        self.server = server
        self.url = server.url(database: name)
        self.creationDuration = creationDuration
    }

    /// A TCP configuration (TLS disabled, password) for this database.
    public var configuration: PostgresConnection.Configuration {
        server.connectionConfiguration(database: name)
    }

    /// Opens a TCP connection with the password, as an application would. Close it when done.
    public func connect(logger: Logger = ThrowawayPostgres.quietLogger) async throws -> PostgresConnection {
        try await server.connect(database: name, logger: logger)
    }

    /// Runs `body` with a connection and closes it afterwards, even on error.
    @discardableResult
    public func withConnection<Result: Sendable>(
        logger: Logger = ThrowawayPostgres.quietLogger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await connect(logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Drops this database, disconnecting anyone still connected.
    public func drop() async throws {
        try await server.dropDatabase(name)
    }
}
