import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Subprocess
#if canImport(SystemPackage)
import SystemPackage
#else
import System
#endif
import Testing

private let binary = ProcessInfo.processInfo.environment["INVARIANTS_BIN"] ?? repositoryRoot + "/.build/debug/invariants"

@Suite("Torture: a migrator killed mid-migration")
struct MigratorKillTests {
    /// `invariants migrate` is killed with SIGKILL after a random delay (somewhere between
    /// connecting and the last migration). The ledger and the schema agree afterwards (every
    /// migration either fully applied and recorded, or not at all), and the next `migrate`
    /// completes to the same state as an undisturbed one.
    @Test("killed at random points, the next migrate completes; the ledger never lies", arguments: [60, 150, 250, 400, 600])
    func killed(afterMilliseconds delay: Int) async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let environment: Environment = .inherit.updating(["DATABASE_URL": database.url])
        let result = try await run(
            .path(FilePath(binary)), arguments: ["migrate"], environment: environment,
            workingDirectory: FilePath(repositoryRoot), input: .none, output: .discarded, error: .discarded
        ) { execution in
            try await Task.sleep(for: .milliseconds(delay))
            try? execution.send(signal: .kill)
        }
        if case .exited(let code) = result.terminationStatus {
            // Finished before the kill: fine, the check below still holds.
            #expect(code == 0)
        }

        let catalog = try SQLDirectory(path: repositoryRoot + "/sql").load()
        let connection = try await database.connect(logger: quiet)
        // The ledger is 1…k with no gap, and every recorded migration's tables exist.
        let ledgerExists = try await connection.query(
            "SELECT to_regclass('invariants.schema_migrations') IS NOT NULL", logger: quiet).collect().first!.decode(Bool.self)
        if ledgerExists {
            let versions = try await connection.query("SELECT version FROM invariants.schema_migrations ORDER BY version", logger: quiet)
                .collect().map { try $0.decode(Int.self) }
            #expect(versions == Array(0..<versions.count).map { $0 + 1 }, "ledger \(versions)")
            let tables = ["invariants.error_codes", "auth.users", "public.sessions", "public.chat_logs", "public.gigs", "public.generations"]
            for (index, table) in tables.enumerated() where index < versions.count {
                let exists = try await connection.query("SELECT to_regclass(\(table)) IS NOT NULL", logger: quiet).collect().first!.decode(Bool.self)
                #expect(exists, "migration \(index + 1) is recorded, so \(table) exists")
            }
            for (index, table) in tables.enumerated() where index >= versions.count {
                let exists = try await connection.query("SELECT to_regclass(\(table)) IS NOT NULL", logger: quiet).collect().first!.decode(Bool.self)
                #expect(!exists, "migration \(index + 1) is not recorded, so \(table) must not exist (half-applied)")
            }
        }
        // The next migrate completes, and the database is up to date.
        let migrator = try Migrator(catalog: catalog, logger: quiet)
        _ = try await migrator.migrate(on: connection)
        let status = try await migrator.status(on: connection)
        #expect(status.isUpToDate)
        try await connection.close()
        try await database.drop()
    }
}
