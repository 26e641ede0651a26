public import Foundation
public import Invariants
import InvariantsMigrator
public import InvariantsSchema
public import InvariantsTesting
public import Logging
public import PostgresNIO

/// Test support for the seed apps: a database per test holding the app's module (cloned from a
/// template migrated once per test process), users, and small query helpers.

/// A logger that stays silent (tests assert on results, not on logs).
public let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// The repository's root directory.
public let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
}()

/// The committed sql/ directory, as the migrator applies it.
public func projectCatalog() throws -> Catalog {
    try SQLDirectory(path: repositoryRoot + "/sql").load()
}

/// The module an app's test target tests: its tests run on a database holding that module (and
/// its dependencies) only, which proves the module stands alone. Other test targets get every
/// module. Keyed by the test target's name, the first part of `#fileID`.
public func modules(testedBy fileID: String) -> [String]? {
    let apps = ["ModelWorkRecordTests": "model_work_record", "SupportChatTests": "support_chat", "GenerationsTests": "generations",
                "ChatLogsTests": "chat_logs", "GigResponsesTests": "gig_responses"]
    return apps[String(fileID.prefix { $0 != "/" })].map { [$0] }
}

/// A fresh database holding the modules the calling test target tests (see
/// ``modules(testedBy:)``; every module for the framework's tests), cloned from a template
/// migrated once per test process and module set.
/// `allModules`: every module, whoever calls (a test across apps).
public func catalogDatabase(allModules: Bool = false, fileID: String = #fileID) async throws -> TestDatabase {
    let server = try await ThrowawayPostgres.shared()
    let modules = allModules ? nil : modules(testedBy: fileID)
    let template = try await server.template(named: "catalog_" + (modules?.joined(separator: "_") ?? "all")) { connection in
        try await Migrator(catalog: try projectCatalog(), options: .init(modules: modules), logger: quietLogger).migrate(on: connection)
    }
    return try await server.makeDatabase(from: template)
}

/// A client on a fresh migrated database (see ``catalogDatabase(fileID:)``); closed after `body`.
public func withCatalogClient<T>(maximumConnections: Int = 20, allModules: Bool = false, fileID: String = #fileID,
                                 _ body: (InvariantsClient, TestDatabase) async throws -> T) async throws -> T {
    let database = try await catalogDatabase(allModules: allModules, fileID: fileID)
    let client = try await InvariantsClient.connect(url: database.url, maximumConnections: maximumConnections, logger: quietLogger)
    defer { client.close() }
    return try await body(client, database)
}

extension InvariantsClient {
    /// Creates a user in `auth.users` (as the connecting superuser) and returns its id.
    public func makeUser(email: String? = nil) async throws -> UUID {
        let id = UUID()
        try await execute("INSERT INTO auth.users (id, email) VALUES (\(id), \(email ?? "\(id.uuidString.lowercased())@example.com"))")
        return id
    }

    public func firstRow(_ query: PostgresQuery) async throws -> PostgresRow {
        guard let row = try await self.query(query).first else { throw InvariantsError(.notFound, "no row") }
        return row
    }

    /// The first column of the first row.
    public func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as: T.Type = T.self) async throws -> T {
        guard let row = try await self.query(query).first else { throw InvariantsError(.notFound, "no row") }
        return try row.decode(T.self)
    }
}

extension PostgresConnection {
    /// The first row (decode tuples from it: `try row.decode((UUID, String).self)`).
    public func firstRow(_ query: PostgresQuery) async throws -> PostgresRow {
        guard let row = try await self.query(query, logger: quietLogger).collect().first else { throw InvariantsError(.notFound, "no row") }
        return row
    }

    public func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as: T.Type = T.self) async throws -> T {
        guard let row = try await self.query(query, logger: quietLogger).collect().first else { throw InvariantsError(.notFound, "no row") }
        return try row.decode(T.self)
    }
}
