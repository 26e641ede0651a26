import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import Logging
import PostgresNIO

let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
}()

/// The committed sql/ directory, as the migrator applies it.
func projectCatalog() throws -> Catalog {
    try SQLDirectory(path: repositoryRoot + "/sql").load()
}

/// A fresh database migrated with the whole project catalog (cloned from a template that
/// is migrated once per test process).
func catalogDatabase() async throws -> TestDatabase {
    let server = try await ThrowawayPostgres.shared()
    let template = try await server.template(named: "project_catalog") { connection in
        try await Migrator(catalog: try projectCatalog(), logger: quietLogger).migrate(on: connection)
    }
    return try await server.makeDatabase(from: template)
}

/// A client on a fresh migrated database; closed after `body`.
func withCatalogClient<T>(maximumConnections: Int = 20, _ body: (InvariantsClient, TestDatabase) async throws -> T) async throws -> T {
    let database = try await catalogDatabase()
    let client = try await InvariantsClient.connect(url: database.url, maximumConnections: maximumConnections, logger: quietLogger)
    defer { client.close() }
    return try await body(client, database)
}

extension InvariantsClient {
    /// Creates a user in `auth.users` (as the connecting superuser) and returns its id.
    func makeUser(email: String? = nil) async throws -> UUID {
        let id = UUID()
        try await execute("INSERT INTO auth.users (id, email) VALUES (\(id), \(email ?? "\(id.uuidString.lowercased())@example.com"))")
        return id
    }

    func firstRow(_ query: PostgresQuery) async throws -> PostgresRow {
        guard let row = try await self.query(query).first else { throw InvariantsError(.notFound, "no row") }
        return row
    }

    /// The first column of the first row.
    func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as: T.Type = T.self) async throws -> T {
        guard let row = try await self.query(query).first else { throw InvariantsError(.notFound, "no row") }
        return try row.decode(T.self)
    }
}

extension PostgresConnection {
    /// The first row (decode tuples from it: `try row.decode((UUID, String).self)`).
    func firstRow(_ query: PostgresQuery) async throws -> PostgresRow {
        guard let row = try await self.query(query, logger: quietLogger).collect().first else { throw InvariantsError(.notFound, "no row") }
        return row
    }

    func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as: T.Type = T.self) async throws -> T {
        guard let row = try await self.query(query, logger: quietLogger).collect().first else { throw InvariantsError(.notFound, "no row") }
        return try row.decode(T.self)
    }
}
