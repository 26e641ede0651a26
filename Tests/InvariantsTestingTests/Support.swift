import Foundation
import InvariantsTesting
import Logging
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

let logger = ThrowawayPostgres.quietLogger

/// Runs one single-column query and returns the first value as text.
func scalar(_ connection: PostgresConnection, _ sql: String) async throws -> String? {
    let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    for try await (value) in rows.decode(String?.self) {
        return value
    }
    return nil
}

/// Connects the way an application given only the URL would.
func connect(url: String) async throws -> PostgresConnection {
    let components = try #require(URLComponents(string: url))
    let configuration = PostgresConnection.Configuration(
        host: try #require(components.host),
        port: try #require(components.port),
        username: try #require(components.user),
        password: components.password,
        database: String(components.path.dropFirst()),
        tls: .disable)
    return OpenConnections.kept(try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger))
}

func ownerUID(_ path: String) -> UInt32? {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_uid : nil
}

func postgresUID() -> UInt32? {
    getpwnam("postgres").map { $0.pointee.pw_uid }
}

/// Checks a scalar query's result; a function rather than `#expect(try await …)`
/// because that form inside a closure confuses the closure's throws inference.
func expectScalar(
    _ connection: PostgresConnection, _ sql: String, _ expected: String,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let value = try await scalar(connection, sql)
    #expect(value == expected, sourceLocation: sourceLocation)
}

let runningAsRoot = geteuid() == 0

import Testing
