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
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

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
        // Each module's ledger is 1…k with no gap, and every recorded migration's table exists;
        // every unrecorded one's does not (nothing half-applied).
        let ledgerExists = try await connection.query(
            "SELECT to_regclass('invariants.module_migrations') IS NOT NULL", logger: quiet).collect().first!.decode(Bool.self)
        let recorded: [String: [Int]] = ledgerExists ? Dictionary(grouping: try await connection.query(
            "SELECT module, version FROM invariants.module_migrations ORDER BY module, version", logger: quiet)
            .collect().map { try $0.decode((String, Int).self) }, by: \.0).mapValues { $0.map(\.1) } : [:]
        for (module, versions) in recorded {
            #expect(versions == Array(1...versions.count), "\(module): ledger \(versions)")
        }
        let tables: [(String, Int, String)] = [
            ("core", 1, "invariants.error_codes"), ("core", 2, "invariants.counter_repairs"), ("auth", 1, "auth.users"),
            ("model_work_record", 1, "public.sessions"), ("chat_logs", 1, "public.chat_logs"), ("gig_responses", 1, "public.gigs"),
            ("generations", 1, "public.generations"), ("support_chat", 1, "public.chat_sessions"),
        ]
        for (module, version, table) in tables {
            let exists = try await connection.query("SELECT to_regclass(\(table)) IS NOT NULL", logger: quiet).collect().first!.decode(Bool.self)
            let isRecorded = recorded[module]?.contains(version) == true
            #expect(exists == isRecorded, "\(module) \(version) is \(isRecorded ? "" : "not ")recorded, so \(table) must \(isRecorded ? "" : "not ")exist")
        }
        // The next migrate completes, and the database is up to date.
        let migrator = try Migrator(catalog: catalog, logger: quiet)
        _ = try await migrator.migrate(on: connection)
        let status = try await migrator.status(on: connection)
        #expect(status.isUpToDate)
        #expect(status.modules.map(\.name) == catalog.modules.map(\.name), "a killed first migrate still ends with the default set")
        try await connection.close()
        try await database.drop()
    }
}
