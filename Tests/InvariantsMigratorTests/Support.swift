import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import Logging
import PostgresNIO
import Testing

let testLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// A fresh database on the shared throwaway server (empty, or cloned from `template`), and a
/// connection to it; dropped afterwards.
func withFreshDatabase<T>(from template: String? = nil, _ body: (TestDatabase, PostgresConnection) async throws -> T) async throws -> T {
    let server = try await ThrowawayPostgres.shared()
    let database = try await server.makeDatabase(from: template)
    let connection = try await database.connect(logger: testLogger)
    do {
        let value = try await body(database, connection)
        try? await connection.close()
        try? await server.dropDatabase(database.name)
        return value
    } catch {
        try? await connection.close()
        throw error
    }
}

func openConnection(_ database: TestDatabase) async throws -> PostgresConnection {
    try await database.connect(logger: testLogger)
}

extension PostgresConnection {
    /// The first column of the first row, decoded.
    func scalar<T: PostgresDecodable>(_ sql: String, as: T.Type = T.self) async throws -> T {
        let rows = try await query(PostgresQuery(unsafeSQL: sql), logger: testLogger).collect()
        guard let row = rows.first else { throw InvariantsError(.notFound, "no row for: \(sql)") }
        return try row.decode(T.self)
    }

    func run(_ sql: String) async throws {
        _ = try await query(PostgresQuery(unsafeSQL: sql), logger: testLogger).collect()
    }

    func exists(_ regclass: String) async throws -> Bool {
        try await scalar("SELECT to_regclass('\(regclass)') IS NOT NULL")
    }

    /// `version:checksum` of every ledger row, in order.
    func ledger() async throws -> [String] {
        let rows = try await query("SELECT version, checksum FROM invariants.module_migrations ORDER BY module, version", logger: testLogger).collect()
        return try rows.map { let (v, c) = try $0.decode((Int32, String).self); return "\(v):\(c)" }
    }
}

/// A small catalog of one module, `sample`: two tables and a function in the repeatable set.
func sampleCatalog(functionResult: Int = 1, extraMigrations: [Migration] = [], repeatables extra: [RepeatableObject] = [],
                   edit: (inout [Migration]) -> Void = { _ in }) -> Catalog {
    var migrations = [
        Migration(version: 1, name: "accounts", source: "test", steps: [
                MigrationStep("CREATE TABLE public.accounts (id bigint PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)"),
                MigrationStep("CREATE INDEX accounts_balance_idx ON public.accounts (balance)"),
            ]),
            Migration(version: 2, name: "ledger_entries", source: "test", steps: [
                MigrationStep("CREATE TABLE public.entries (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES public.accounts (id), amount bigint NOT NULL)"),
            ]),
        ] + extraMigrations
    edit(&migrations)
    return try! Catalog(module: "sample", migrations: migrations, repeatables: [
        RepeatableObject(kind: .function, key: "function public.answer()", source: "test",
                         statements: ["CREATE OR REPLACE FUNCTION public.answer() RETURNS integer LANGUAGE sql AS $$ SELECT \(functionResult) $$"],
                         dropStatements: ["DROP FUNCTION IF EXISTS public.answer()"]),
    ] + extra)
}

let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
