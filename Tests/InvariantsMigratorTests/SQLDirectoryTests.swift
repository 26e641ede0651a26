import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing

private func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "invariants-sql-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs psql with ON_ERROR_STOP; returns (exit status, stderr).
func psql(_ url: String, file: String) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: (ProcessInfo.processInfo.environment["INVARIANTS_PG_BIN"] ?? "/usr/lib/postgresql/15/bin") + "/psql")
    process.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", file]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let data = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite("Generated files: generate, --check, release freeze, the psql route")
struct SQLDirectoryTests {
    @Test("generate writes files that load back into the same catalog; --check catches a stale file")
    func generateAndCheck() throws {
        let dir = SQLDirectory(path: try temporaryDirectory())
        let catalog = sampleCatalog()
        #expect(try dir.differences(from: catalog).map(\.change) == [.missing, .missing, .missing, .missing])
        #expect(try dir.write(catalog).sorted() == ["MODULES", "sample/migrations/0001_accounts.sql", "sample/migrations/0002_ledger_entries.sql",
                                                    "sample/repeatable.sql"])
        #expect(try dir.write(catalog).isEmpty, "a second generate writes nothing")
        #expect(try dir.differences(from: catalog).isEmpty)
        let loaded = try dir.load()
        #expect(loaded.migrations.map { MigrationFile.checksum(of: $0) } == catalog.migrations.map { MigrationFile.checksum(of: $0) })
        #expect(loaded.repeatables.map(\.statements) == catalog.repeatables.map(\.statements))

        let changed = sampleCatalog(functionResult: 9)
        let stale = try dir.differences(from: changed)
        #expect(stale.map(\.file) == ["sample/repeatable.sql"])
        #expect(stale.first?.diff.contains("SELECT 9") == true)
    }

    @Test("a hand-edited file is refused when read, naming the file")
    func handEdit() throws {
        let dir = SQLDirectory(path: try temporaryDirectory())
        try dir.write(sampleCatalog())
        let file = dir.path + "/sample/migrations/0001_accounts.sql"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "balance bigint NOT NULL DEFAULT 0", with: "balance bigint").write(toFile: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: InvariantsError.self) { try dir.load() }
        #expect(error?.kind == .invalidMigrationFile)
        #expect(error?.message.contains("0001_accounts.sql was edited by hand") == true)
    }

    @Test("a released migration is never rewritten, and --check skips it")
    func releasedIsFrozen() throws {
        let dir = SQLDirectory(path: try temporaryDirectory())
        try dir.write(sampleCatalog())
        try ReleaseMarker(releases: [.init(label: "0.1", modules: ["sample": 1])]).render()
            .write(toFile: dir.path + "/RELEASED", atomically: true, encoding: .utf8)
        let frozen = try String(contentsOfFile: dir.path + "/sample/migrations/0001_accounts.sql", encoding: .utf8)

        let evolved = sampleCatalog { migrations in
            migrations[0].steps[1].sql = "CREATE INDEX accounts_balance_idx ON public.accounts (balance DESC)"
            migrations[1].steps[0].sql += " -- unreleased, may change"
        }
        #expect(try dir.differences(from: evolved).map(\.file) == ["sample/migrations/0002_ledger_entries.sql"])
        #expect(try dir.write(evolved) == ["sample/migrations/0002_ledger_entries.sql"])
        #expect(try String(contentsOfFile: dir.path + "/sample/migrations/0001_accounts.sql", encoding: .utf8) == frozen)

        try FileManager.default.removeItem(atPath: dir.path + "/sample/migrations/0001_accounts.sql")
        let error = #expect(throws: InvariantsError.self) { try dir.write(evolved) }
        #expect(error?.message.contains("released migration sample/migrations/0001_accounts.sql is missing") == true)
    }

    @Test("psql -f of the generated files leaves the same schema and ledger as the migrator, and refuses a second run")
    func psqlRoute() async throws {
        let dir = SQLDirectory(path: try temporaryDirectory())
        try dir.write(sampleCatalog(extraMigrations: [
            Migration(version: 3, name: "concurrent_index", source: "test", steps: [
                .outsideTransaction("CREATE INDEX CONCURRENTLY IF NOT EXISTS entries_amount_idx ON public.entries (amount)",
                                    rebuildsInvalidIndex: QualifiedName("public", "entries_amount_idx")),
            ]),
        ]))
        let server = try await ThrowawayPostgres.shared()
        let viaPsql = try await server.makeDatabase(from: nil)
        let viaMigrator = try await server.makeDatabase(from: nil)
        for file in ["sample/migrations/0001_accounts.sql", "sample/migrations/0002_ledger_entries.sql", "sample/migrations/0003_concurrent_index.sql",
                     "sample/repeatable.sql"] {
            let (status, stderr) = try psql(viaPsql.url, file: dir.path + "/" + file)
            #expect(status == 0, "\(file): \(stderr)")
        }
        let a = try await openConnection(viaPsql)
        let b = try await openConnection(viaMigrator)
        try await Migrator(catalog: try dir.load(), logger: testLogger).migrate(on: b)

        #expect(try await a.ledger() == b.ledger())
        let repeatableLedger = "SELECT string_agg(key || '=' || checksum || array_to_string(drop_statements, ';'), ',' ORDER BY key) FROM invariants.repeatable_objects"
        #expect(try await a.scalar(repeatableLedger, as: String.self) == b.scalar(repeatableLedger, as: String.self))
        let shape = "SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, column_name) FROM information_schema.columns WHERE table_schema = 'public'"
        #expect(try await a.scalar(shape, as: String.self) == b.scalar(shape, as: String.self))
        #expect(try await a.scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'", as: Int64.self) == 4)
        #expect(try await Migrator(catalog: try dir.load(), logger: testLogger).status(on: a).isUpToDate)

        let (again, message) = try psql(viaPsql.url, file: dir.path + "/sample/migrations/0002_ledger_entries.sql")
        #expect(again != 0)
        #expect(message.contains("migration sample/0002_ledger_entries.sql is already applied"))
        try await a.close()
        try await b.close()
    }
}
