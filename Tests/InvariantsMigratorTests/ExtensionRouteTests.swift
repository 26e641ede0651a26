import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing

/// Proofs that the two deliveries give one database: the repeatable set, the extension,
/// and the first released extension version plus every upgrade script leave identical
/// catalogs (extension membership aside) and identical ledgers; a database switches routes
/// both ways; a dump and restore changes no counter on either route.
@Suite("Extension route", .serialized)
struct ExtensionRouteTests {
    @Test("repeatable set ≡ extension ≡ first release + upgrades; switching both ways; DROP EXTENSION refuses")
    func routesAreEquivalent() async throws {
        let catalog = try committedCatalog()
        let version = try extensionVersion()
        let functionKeys = Set(ExtensionScript.functions(of: catalog.repeatables).map(\.key))
        let server = try await ThrowawayPostgres.shared()

        // Route 2: migrations, then CREATE EXTENSION for the functions.
        let (viaExtension, extensionLedger) = try await withFreshDatabase { _, connection in
            try await requireExtensionInstalled(connection)
            try await migrate(connection, .extension(version: version))
            return (try await snapshot(connection), try await repeatableLedger(connection))
        }
        #expect(viaExtension.members.count == functionKeys.count, "every declared function belongs to the extension")
        // The snapshot sees the whole schema, so equal snapshots mean something.
        #expect(viaExtension.entries.count > 200, "\(viaExtension.entries.count) entries")
        for key in ["trigger public.chat_logs.chat_logs_usage", "policy public.saved_chats.saved_chats_owner_insert", "table public.usage_daily",
                    "constraint public.usage_daily.usage_daily_pkey", "grant on function public.save_chat(p_chat_log_id bigint, p_note text) to authenticated"] {
            #expect(viaExtension.entries[key] != nil, "snapshot lacks \(key)")
        }
        #expect(viaExtension.members.allSatisfy { $0.hasPrefix("function ") }, "the extension holds functions only")

        // Route 3: the first released version, then ALTER EXTENSION UPDATE along every upgrade script.
        let releases = try sqlDirectory.releaseMarker().releases.map(\.label)
        let first = try #require(releases.first { FileManager.default.fileExists(atPath: extensionDirectory.path + "/" + ExtensionScript.scriptFileName(version: $0)) })
        let (viaUpgrades, upgradesLedger) = try await withFreshDatabase { _, connection in
            try await migrate(connection, .repeatableSet, catalog: catalog.mapModules { $0.repeatables = [] })
            try await connection.run("CREATE EXTENSION invariants VERSION '\(first)'")
            try await connection.run("ALTER EXTENSION invariants UPDATE TO '\(version)'")
            try await migrate(connection, .extension(version: version))
            return (try await snapshot(connection), try await repeatableLedger(connection))
        }
        expectSameSchema(viaUpgrades, viaExtension, "\(first) + upgrades vs CREATE EXTENSION \(version)")
        #expect(viaUpgrades.members == viaExtension.members)
        #expect(upgradesLedger == extensionLedger)

        // Route 1: the repeatable set; then switch it to the extension and back.
        try await withFreshDatabase { _, connection in
            try await migrate(connection, .repeatableSet)
            let viaRepeatable = try await snapshot(connection)
            #expect(viaRepeatable.members.isEmpty)
            expectSameSchema(viaRepeatable, viaExtension, "repeatable set vs extension")
            #expect(try await repeatableLedger(connection) == extensionLedger, "both routes leave the same ledger")

            try await migrate(connection, .extension(version: version))
            let switched = try await snapshot(connection)
            expectSameSchema(switched, viaExtension, "switched to the extension vs fresh extension install")
            #expect(switched.members == viaExtension.members)
            #expect(try await repeatableLedger(connection) == extensionLedger)

            // Logic only: DROP EXTENSION without CASCADE refuses while triggers use its functions.
            let refused = await #expect(throws: PSQLError.self) { try await connection.run("DROP EXTENSION invariants") }
            #expect(refused?.serverInfo?[.sqlState] == "2BP01")
            // Status is clean on the extension route, and `keep` keeps it.
            let status = try await Migrator(catalog: catalog, options: .init(storedLogic: .keep(extensionVersion: version)), logger: testLogger)
                .status(on: connection)
            #expect(status.isUpToDate, "\(status)")
            #expect(status.storedLogic == "extension invariants \(version)")

            try await migrate(connection, .repeatableSet)
            let back = try await snapshot(connection)
            expectSameSchema(back, viaRepeatable, "switched back to the repeatable set")
            #expect(back.members.isEmpty)
            #expect(try await connection.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'invariants'", as: Int64.self) == 0)
            #expect(try await repeatableLedger(connection) == extensionLedger)
        }
        _ = server
    }

    @Test("a switch that cannot finish changes nothing: a hand-made trigger on a declared function, a version the server lacks")
    func failedSwitchChangesNothing() async throws {
        let version = try extensionVersion()
        try await withFreshDatabase(from: try await catalogTemplate()) { _, connection in
            try await requireExtensionInstalled(connection)
            let before = try await snapshot(connection)
            // The server has no such version: refused before anything runs, with the fix.
            let missing = await #expect(throws: InvariantsError.self) { try await migrate(connection, .extension(version: "9.9.missing")) }
            #expect(missing?.message.contains("version 9.9.missing is not installed on the database server") == true, "\(String(describing: missing))")
            #expect(missing?.hint?.contains("make -C extension install") == true)

            // A trigger made by hand uses a declared function: dropping the function fails, the
            // whole switch rolls back, and the error names the dependent.
            try await connection.run("CREATE TRIGGER by_hand BEFORE UPDATE ON public.profiles FOR EACH ROW EXECUTE FUNCTION invariants.touch_updated_at()")
            let withTrigger = try await snapshot(connection)
            let blocked = await #expect(throws: InvariantsError.self) { try await migrate(connection, .extension(version: version)) }
            let explained: String = (blocked?.message ?? "") + " " + (blocked?.detail ?? "")
            #expect(explained.contains("by_hand"), "\(explained)")
            expectSameSchema(try await snapshot(connection), withTrigger, "after the failed switch")
            #expect(try await connection.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'invariants'", as: Int64.self) == 0)

            try await connection.run("DROP TRIGGER by_hand ON public.profiles")
            try await migrate(connection, .extension(version: version))
            expectSameSchema(try await snapshot(connection), before, "switched once the hand-made trigger is gone")
        }
    }

    @Test("an upgrade script takes the old functions to exactly the new ones")
    func upgradeScriptRendering() async throws {
        func function(_ name: String, _ result: Int) -> RepeatableObject {
            StoredFunction(QualifiedName("public", name), returns: "integer", language: "sql", body: "SELECT \(result)")
                .repeatableObject(source: "test", executableBy: [.serviceRole])
        }
        let old = [function("kept", 1), function("changed", 1), function("removed", 1)]
        let new = [function("kept", 1), function("changed", 2), function("added", 3)]
        let upgrade = ExtensionScript.renderUpgrade(from: "1", to: "2", old: old, new: new)
        #expect(upgrade.contains("DROP FUNCTION IF EXISTS \"public\".\"removed\"()"))
        #expect(!upgrade.contains("\"public\".\"kept\""), "unchanged functions are left alone")
        // Run as plain SQL with psql (the guard line stops psql by design: drop it).
        func body(_ script: String) -> String {
            script.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("\\echo") }.joined(separator: "\n")
        }
        let directory = NSTemporaryDirectory() + "invariants-upgrade-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(ExtensionScript.renderScript(version: "1", functions: old)).write(toFile: directory + "/old.sql", atomically: true, encoding: .utf8)
        try body(upgrade).write(toFile: directory + "/upgrade.sql", atomically: true, encoding: .utf8)
        try body(ExtensionScript.renderScript(version: "2", functions: new)).write(toFile: directory + "/new.sql", atomically: true, encoding: .utf8)
        let server = try await ThrowawayPostgres.shared()
        func psql(_ database: TestDatabase, _ file: String) throws {
            let result = try runTool([pgBin + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database.name, "-f", directory + "/" + file], server: server)
            #expect(result.status == 0, "\(file): \(result.output)")
        }
        let base = try await catalogTemplate()
        let upgraded = try await withFreshDatabase(from: base) { database, connection in
            try psql(database, "old.sql")
            try psql(database, "upgrade.sql")
            return try await snapshot(connection)
        }
        let fresh = try await withFreshDatabase(from: base) { database, connection in
            try psql(database, "new.sql")
            return try await snapshot(connection)
        }
        expectSameSchema(upgraded, fresh, "old + upgrade vs new")
        #expect(fresh.entries["function public.added()"] != nil)
        #expect(upgraded.entries["function public.removed()"] == nil)
    }

    @Test("pg_dump / pg_restore of a populated database changes no counter or card, on either route")
    func dumpAndRestore() async throws {
        let version = try extensionVersion()
        let server = try await ThrowawayPostgres.shared()
        for logic in [StoredLogic.repeatableSet, .extension(version: version)] {
            let dump = NSTemporaryDirectory() + "invariants-dump-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: dump) }
            let (before, schemaBefore) = try await withFreshDatabase { database, connection in
                if case .extension = logic { try await requireExtensionInstalled(connection) }
                try await migrate(connection, logic)
                try await populate(connection)
                let result = try runTool([pgBin + "/pg_dump", "-Fc", "-f", dump, "-d", database.name], server: server)
                #expect(result.status == 0, "pg_dump: \(result.output)")
                return (try await tableDigests(connection), try await snapshot(connection))
            }
            #expect(before["public.usage_daily"]?.hasPrefix("2 rows") == true, "populated: \(before)")
            let restored = try await server.makeDatabase()
            let result = try runTool([pgBin + "/pg_restore", "--exit-on-error", "-d", restored.name, dump], server: server)
            #expect(result.status == 0, "pg_restore (\(logic)): \(result.output)")
            let connection = try await restored.connect(logger: testLogger)
            let after = try await tableDigests(connection)
            let schemaAfter = try await snapshot(connection)
            try? await connection.close()
            try? await restored.drop()
            #expect(after == before, "\(logic): data changed by the restore (a trigger fired twice?)")
            expectSameSchema(schemaAfter, schemaBefore, "\(logic): restored schema")
            #expect(schemaAfter.members == schemaBefore.members)
        }
    }
}

/// A template with the project's migrations and repeatable set applied (repeatable route).
func catalogTemplate() async throws -> String {
    try await migratedCatalogTemplate()
}
