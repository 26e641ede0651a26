import Foundation
public import Logging
public import PostgresNIO
import Synchronization

extension ThrowawayPostgres {
    /// A `postgres://` URL for TCP with the superuser's password and TLS off.
    public nonisolated func url(database: String = "postgres") -> String {
        let name = database.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? database
        return "postgres://\(superuser):\(password)@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    /// A TCP configuration (TLS disabled) for the superuser, as an
    /// application would connect.
    public nonisolated func connectionConfiguration(database: String) -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: "127.0.0.1", port: port, username: superuser, password: password,
            database: database, tls: .disable)
    }

    /// A Unix-socket configuration for the superuser (trust, no password):
    /// cheaper to open than TCP with scram-sha-256.
    public nonisolated func socketConnectionConfiguration(database: String) -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            unixSocketPath: layout.socketPath(port: port), username: superuser, password: nil, database: database)
    }

    /// Opens a connection over TCP with the password. Close it when done (until then it is
    /// kept by ``OpenConnections``, so a test that throws first fails instead of crashing).
    public nonisolated func connect(
        database: String = "postgres", logger: Logger = ThrowawayPostgres.quietLogger
    ) async throws -> PostgresConnection {
        OpenConnections.kept(try await PostgresConnection.connect(
            configuration: connectionConfiguration(database: database), id: nextConnectionID(), logger: logger))
    }

    /// Opens a connection over the Unix socket. Close it when done.
    public nonisolated func connectOverSocket(
        database: String = "postgres", logger: Logger = ThrowawayPostgres.quietLogger
    ) async throws -> PostgresConnection {
        OpenConnections.kept(try await PostgresConnection.connect(
            configuration: socketConnectionConfiguration(database: database), id: nextConnectionID(),
            logger: logger))
    }

    /// A logger that only reports errors, so test output stays readable.
    public static var quietLogger: Logger {
        var logger = Logger(label: "invariants.testing")
        logger.logLevel = .error
        return logger
    }

    /// Runs `body` on a socket connection to `database` and always closes it.
    @discardableResult
    func withAdminConnection<Result: Sendable>(
        database: String = "postgres",
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await connectOverSocket(database: database)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

private let connectionIDs = Atomic<Int>(0)

func nextConnectionID() -> Int {
    connectionIDs.wrappingAdd(1, ordering: .relaxed).newValue
}
