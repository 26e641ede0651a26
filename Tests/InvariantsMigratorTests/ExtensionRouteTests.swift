import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing

/// Proofs that the two deliveries give one database: the repeatable set, the module
/// extensions (`invariants_<module>`), and each module's first released extension version plus
/// every upgrade script leave identical catalogs (extension membership aside) and identical
/// ledgers, for the full set and for a single-module database; a database switches routes both
/// ways keeping every function and trigger (same OIDs); a database on the single extension of
/// release 0.2 moves to the module extensions keeping them too; a dump and restore changes no
/// counter on either route.
@Suite("Extension route", .serialized)
struct ExtensionRouteTests {
    /// Functions declared after release 0.2, as `regprocedure` prints them: the generation
    /// job's final-result guard, public.delete_gig, and the SECURITY DEFINER helpers behind the
    /// API's entry points (issue 16).
    static let functionsSinceRelease02: Set<String> = [
        "invariants.state_public_generation_jobs_status_final()",
        "invariants.keep_public_responses_gig_id()",
        "delete_gig(uuid,uuid)",
        "invariants_private.add_brains(uuid,text,integer)",
        "invariants_private.create_workspace(text)",
        "invariants_private.delete_gig(uuid,uuid)",
        "invariants_private.delete_gig_service(uuid,uuid)",
        "invariants_private.dismiss_model(uuid,text,text)",
        "invariants_private.global_model_leaderboard(integer,integer)",
        "invariants_private.set_session_models(uuid,text[],bigint)",
        "invariants_private.sync_gig_response_counts(uuid,uuid,boolean)",
        "invariants_private.sync_gig_response_counts_service(uuid,uuid,boolean)",
        "invariants_private.sync_workspace_response_counts(uuid,boolean)",
        "invariants_private.sync_workspace_response_counts_service(uuid,boolean)",
    ]

    /// Functions and triggers of release 0.2 no longer declared (keys as `functionAndTriggerOIDs` names them):
    /// seed 001's first-response trigger, now in the message counter's own UPDATE (issue 17).
    static let removedSinceRelease02: Set<String> = [
        "function invariants.chat_first_response()", "trigger invariants_first_response on chat_messages",
        // responses' updated_at no longer copies a generated gig_id (gig_responses 2, issue 15).
        "function invariants.touch_public_responses_updated_at()",
    ]
    /// What the upgrade from 0.2 drops, in plan order.
    static let droppedSinceRelease02 = [
        "DROP TRIGGER IF EXISTS \"invariants_first_response\" ON \"public\".\"chat_messages\"",
        "DROP FUNCTION IF EXISTS \"invariants\".\"touch_public_responses_updated_at\"()",
        "DROP FUNCTION IF EXISTS \"invariants\".\"chat_first_response\"()",
        // The bridge gig_responses 2 installed, removed by the key's own trigger (issue 15).
        "DROP TRIGGER IF EXISTS \"zzz_invariants_keep_gig_id_until_installed\" ON \"public\".\"responses\"",
        "DROP FUNCTION IF EXISTS \"invariants\".\"keep_public_responses_gig_id_until_installed\"()",
    ]

    /// Functions and triggers declared after release 0.2 (a database of 0.2 gets them on upgrade).
    static let declaredSinceRelease02: Set<String> = Set(functionsSinceRelease02.map { "function " + $0 })
        .union(["trigger invariants_state_status_final on generation_jobs", "trigger invariants_keep_gig_id on responses"])

    /// nil: every module (the catalog's default set); else the modules asked for.
    static let moduleSets: [[String]?] = [nil, ["gig_responses"]]

    @Test("repeatable set ≡ extensions ≡ first release + upgrades; switching both ways keeps OIDs; DROP EXTENSION refuses",
          arguments: moduleSets)
    func routesAreEquivalent(modules: [String]?) async throws {
        let catalog = try committedCatalog()
        let target = try catalog.restricted(to: catalog.closure(of: modules ?? catalog.defaultModules).map(\.name))
        let versions = try extensionVersions()
        let route = StoredLogic.extension(versions: versions)
        let expectedExtensions = ExtensionScript.moduleExtensions(target)
        let functionKeys = Set(ExtensionScript.functions(of: target.repeatables).map(\.key))
        let server = try await ThrowawayPostgres.shared()

        // Route 2: migrations, then CREATE EXTENSION invariants_<module> for the functions.
        let (viaExtension, extensionLedger) = try await withFreshDatabase { _, connection in
            try await requireExtensionInstalled(connection)
            try await migrate(connection, route, modules: modules)
            #expect(try await installedExtensions(connection)
                    == Dictionary(uniqueKeysWithValues: expectedExtensions.map { (ExtensionScript.extensionName(module: $0.module), versions[$0.module]!) }),
                    "exactly the installed modules' extensions")
            // Each function belongs to its own module's extension.
            let membership = try await extensionMembership(connection)
            #expect(membership.count == functionKeys.count)
            let owners = try await connection.query("SELECT key, module FROM invariants.repeatable_objects WHERE kind IN ('function', 'trigger function')",
                                                    logger: testLogger).collect().map { try $0.decode((String, String).self) }
            #expect(Set(membership.values) == Set(owners.map { ExtensionScript.extensionName(module: $0.1) }))
            return (try await snapshot(connection), try await repeatableLedger(connection))
        }
        #expect(viaExtension.members.count == functionKeys.count, "every declared function belongs to an extension")
        #expect(viaExtension.members.allSatisfy { $0.hasPrefix("function ") }, "the extensions hold functions only")
        if modules == nil {
            // The snapshot sees the whole schema, so equal snapshots mean something.
            #expect(viaExtension.entries.count > 200, "\(viaExtension.entries.count) entries")
            for key in ["trigger public.chat_logs.chat_logs_usage", "policy public.saved_chats.saved_chats_owner_insert", "table public.usage_daily",
                        "constraint public.usage_daily.usage_daily_pkey", "grant on function public.save_chat(p_chat_log_id bigint, p_note text) to authenticated"] {
                #expect(viaExtension.entries[key] != nil, "snapshot lacks \(key)")
            }
        } else {
            #expect(viaExtension.entries["table public.gigs"] != nil && viaExtension.entries["table public.chat_logs"] == nil, "a single-module database")
        }

        // Route 3: each module's first released version, then ALTER EXTENSION UPDATE along every upgrade script.
        let releases = try sqlDirectory.releaseMarker().releases.map(\.label)
        let (viaUpgrades, upgradesLedger) = try await withFreshDatabase { _, connection in
            try await migrate(connection, .repeatableSet, catalog: catalog.mapModules { $0.repeatables = [] }, modules: modules)
            for entry in expectedExtensions {
                let name = ExtensionScript.extensionName(module: entry.module)
                let first = releases.first { FileManager.default.fileExists(atPath: extensionDirectory.path + "/" + ExtensionScript.scriptFileName(extension: name, version: $0)) }
                    ?? versions[entry.module]!
                try await connection.run("CREATE EXTENSION \(name) VERSION '\(first)'")
                if first != versions[entry.module]! { try await connection.run("ALTER EXTENSION \(name) UPDATE TO '\(versions[entry.module]!)'") }
            }
            try await migrate(connection, route)
            return (try await snapshot(connection), try await repeatableLedger(connection))
        }
        expectSameSchema(viaUpgrades, viaExtension, "first releases + upgrades vs CREATE EXTENSION")
        #expect(viaUpgrades.members == viaExtension.members)
        #expect(upgradesLedger == extensionLedger)

        // Route 1: the repeatable set; then switch it to the extensions and back, same OIDs throughout.
        try await withFreshDatabase { _, connection in
            try await migrate(connection, .repeatableSet, modules: modules)
            let viaRepeatable = try await snapshot(connection)
            #expect(viaRepeatable.members.isEmpty)
            expectSameSchema(viaRepeatable, viaExtension, "repeatable set vs extensions")
            #expect(try await repeatableLedger(connection) == extensionLedger, "both routes leave the same ledger")
            let oids = try await functionAndTriggerOIDs(connection)

            let plan = try await Migrator(catalog: catalog, options: .init(storedLogic: route), logger: testLogger).plan(on: connection)
            let rendered = plan.rendered()
            for entry in expectedExtensions {
                #expect(rendered.contains("CREATE EXTENSION \"\(ExtensionScript.extensionName(module: entry.module))\" VERSION '\(versions[entry.module]!)'"), "\(rendered)")
            }
            #expect(!plan.steps.flatMap(\.statements).contains { $0.hasPrefix("DROP FUNCTION") || $0.hasPrefix("DROP TRIGGER") },
                    "the extensions adopt the functions: nothing is dropped")
            try await migrate(connection, route)
            let switched = try await snapshot(connection)
            expectSameSchema(switched, viaExtension, "switched to the extensions vs fresh extension install")
            #expect(switched.members == viaExtension.members)
            #expect(try await repeatableLedger(connection) == extensionLedger)
            #expect(try await functionAndTriggerOIDs(connection) == oids, "every function and trigger kept its OID")

            // Logic only: DROP EXTENSION without CASCADE refuses while triggers use its functions.
            let refused = await #expect(throws: PSQLError.self) { try await connection.run("DROP EXTENSION invariants_gig_responses") }
            #expect(refused?.serverInfo?[.sqlState] == "2BP01")
            // Status is clean on the extension route, and `keep` keeps it.
            let status = try await Migrator(catalog: catalog, options: .init(storedLogic: .keep(extensionVersions: versions)), logger: testLogger)
                .status(on: connection)
            #expect(status.isUpToDate, "\(status)")
            #expect(status.storedLogic == route.description)

            try await migrate(connection, .repeatableSet)
            let back = try await snapshot(connection)
            expectSameSchema(back, viaRepeatable, "switched back to the repeatable set")
            #expect(back.members.isEmpty)
            #expect(try await installedExtensions(connection).isEmpty)
            #expect(try await repeatableLedger(connection) == extensionLedger)
            #expect(try await functionAndTriggerOIDs(connection) == oids, "and back, still the same OIDs")
        }
        _ = server
    }

    @Test("a switch that cannot finish changes nothing: a version the server lacks, a hand-changed function; a hand-made trigger does not block it")
    func failedSwitchChangesNothing() async throws {
        let route = try extensionRoute()
        try await withFreshDatabase(from: try await catalogTemplate()) { _, connection in
            try await requireExtensionInstalled(connection)
            let before = try await snapshot(connection)
            // The server has no such version: refused before anything runs, with the fix.
            var missing = try extensionVersions()
            missing["core"] = "9.9.missing"
            let refused = await #expect(throws: InvariantsError.self) { try await migrate(connection, .extension(versions: missing)) }
            #expect(refused?.message.contains("extension invariants_core version 9.9.missing is not installed on the database server") == true, "\(String(describing: refused))")
            #expect(refused?.hint?.contains("make -C extension install") == true)

            // A function changed by hand (another return type): the install script cannot replace
            // it, the whole switch rolls back, and the error names the extension.
            let function = "public.record_model_response(uuid, text)"
            try await connection.run("DROP FUNCTION \(function)")
            try await connection.run("CREATE FUNCTION public.record_model_response(uuid, text) RETURNS text LANGUAGE sql AS 'SELECT NULL::text'")
            let changed = try await snapshot(connection)
            let blocked = await #expect(throws: InvariantsError.self) { try await migrate(connection, route) }
            let explained: String = (blocked?.message ?? "") + " " + (blocked?.detail ?? "")
            #expect(explained.contains("invariants_model_work_record") && explained.contains("return type"), "\(explained)")
            expectSameSchema(try await snapshot(connection), changed, "after the failed switch")
            #expect(try await installedExtensions(connection).isEmpty)

            // Put the declared function back: forget it in the ledger, and the repeatable set re-creates it.
            try await connection.run("DROP FUNCTION \(function)")
            try await connection.run("DELETE FROM invariants.repeatable_objects WHERE key = 'function \(function)'")
            try await migrate(connection, .repeatableSet)
            expectSameSchema(try await snapshot(connection), before, "the declared function restored")

            // A trigger made by hand on a declared function: the extension adopts the function,
            // the trigger stays (same OID) and nothing else changes.
            try await connection.run("CREATE TRIGGER by_hand BEFORE UPDATE ON public.profiles FOR EACH ROW EXECUTE FUNCTION invariants.touch_updated_at()")
            let trigger = try await connection.scalar("SELECT oid::bigint FROM pg_trigger WHERE tgname = 'by_hand'", as: Int64.self)
            try await migrate(connection, route)
            #expect(try await connection.scalar("SELECT oid::bigint FROM pg_trigger WHERE tgname = 'by_hand'", as: Int64.self) == trigger)
            #expect(try await extensionMembership(connection)["invariants.touch_updated_at()"] == "invariants_core")
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

    @Test("pg_dump / pg_restore of a populated database changes no counter or card, on either route, full set and one module")
    func dumpAndRestore() async throws {
        let route = try extensionRoute()
        let server = try await ThrowawayPostgres.shared()
        let cases: [(StoredLogic, [String]?)] = [(.repeatableSet, nil), (route, nil), (.repeatableSet, ["gig_responses"]), (route, ["gig_responses"])]
        for (logic, modules) in cases {
            let label = "\(logic) \(modules?.joined(separator: ",") ?? "all modules")"
            let dump = NSTemporaryDirectory() + "invariants-dump-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: dump) }
            let (before, schemaBefore) = try await withFreshDatabase { database, connection in
                if case .extension = logic { try await requireExtensionInstalled(connection) }
                try await migrate(connection, logic, modules: modules)
                if modules == nil { try await populate(connection) }
                try await populateGigs(connection)
                let result = try runTool([pgBin + "/pg_dump", "-Fc", "-f", dump, "-d", database.name], server: server)
                #expect(result.status == 0, "pg_dump: \(result.output)")
                return (try await tableDigests(connection), try await snapshot(connection))
            }
            if modules == nil { #expect(before["public.usage_daily"]?.hasPrefix("2 rows") == true, "populated: \(before)") }
            let restored = try await server.makeDatabase()
            let result = try runTool([pgBin + "/pg_restore", "--exit-on-error", "-d", restored.name, dump], server: server)
            #expect(result.status == 0, "pg_restore (\(label)): \(result.output)")
            let connection = try await restored.connect(logger: testLogger)
            let after = try await tableDigests(connection)
            let schemaAfter = try await snapshot(connection)
            let counters = try await connection.scalar("SELECT responses || '/' || new_responses FROM public.gigs", as: String.self)
            try? await connection.close()
            try? await restored.drop()
            #expect(after == before, "\(label): data changed by the restore (a trigger fired twice?)")
            #expect(counters == "3/2", "\(label)")
            expectSameSchema(schemaAfter, schemaBefore, "\(label): restored schema")
            #expect(schemaAfter.members == schemaBefore.members)
        }
    }

    @Test("release 0.2's single extension moves to the module extensions: same function and trigger OIDs, verify clean, counters work")
    func moveOffTheSingleExtension() async throws {
        let catalog = try committedCatalog()
        let versions = try extensionVersions()
        let route = StoredLogic.extension(versions: versions)
        try await withFreshDatabase { database, connection in
            try await requireExtensionInstalled(connection)
            // A database on release 0.2's extension route, built as a DBA did: the linear
            // migrations, CREATE EXTENSION invariants VERSION '0.2', then the 0.2 repeatable set
            // (it replaces the member functions with identical ones and writes the ledger).
            let linear = repositoryRoot + "/sql/linear/migrations"
            for file in try FileManager.default.contentsOfDirectory(atPath: linear).filter({ $0.hasSuffix(".sql") }).sorted() {
                let (status, stderr) = try psql(database.url, file: linear + "/" + file)
                try #require(status == 0, "\(file): \(stderr)")
            }
            try await connection.run("CREATE EXTENSION invariants VERSION '0.2'")
            let (status, stderr) = try psql(database.url, file: repositoryRoot + "/Tests/InvariantsMigratorTests/Releases/0.2/repeatable.sql")
            try #require(status == 0, "release 0.2 repeatable set: \(stderr)")
            try await populate(connection)
            try await populateGigs(connection)
            let legacyMembers = try await extensionMembership(connection)
            #expect(!legacyMembers.isEmpty && legacyMembers.values.allSatisfy { $0 == "invariants" })
            let oids = try await functionAndTriggerOIDs(connection)
            // User tables (the ledger gains the module ledger in the same run).
            let digests = try await tableDigests(connection).filter { !$0.key.hasPrefix("invariants.") }

            let migrator = try Migrator(catalog: catalog, options: .init(storedLogic: route), logger: testLogger)
            let plan = try await migrator.plan(on: connection)
            let rendered = plan.rendered()
            #expect(plan.extensionChange?.contains("move the functions from extension invariants 0.2") == true, "\(plan.extensionChange ?? "nil")")
            #expect(rendered.contains("ALTER EXTENSION \"invariants\" UPDATE TO 'modules';"), "\(rendered)")
            #expect(rendered.contains("CREATE EXTENSION \"invariants_core\" VERSION '\(versions["core"]!)';"))
            #expect(rendered.contains("DROP EXTENSION \"invariants\";"))
            // Only what is no longer declared is dropped: seed 001's first-response trigger, now part
            // of the message counter's own UPDATE (issue 17).
            let drops = plan.steps.flatMap(\.statements).filter { $0.hasPrefix("DROP FUNCTION") || $0.hasPrefix("DROP TRIGGER") }
            #expect(drops == Self.droppedSinceRelease02, "\(rendered)")
            try await migrator.migrate(on: connection)

            // Every function and trigger of release 0.2 kept its OID; objects declared since then
            // (the generation job's final-result guard) are new.
            let after = try await functionAndTriggerOIDs(connection)
            let kept = oids.filter { !Self.removedSinceRelease02.contains($0.key) }
            #expect(after.filter { oids[$0.key] != nil } == kept, "every function and trigger kept its OID")
            #expect(Set(after.keys).subtracting(oids.keys) == Self.declaredSinceRelease02, "\(Set(after.keys).subtracting(oids.keys))")
            let members = try await extensionMembership(connection)
            #expect(Set(members.keys).subtracting(legacyMembers.keys) == Self.functionsSinceRelease02,
                    "the same functions, now in the module extensions, and the new ones")
            #expect(Set(members.keys).isSuperset(of: legacyMembers.keys.filter {
                $0 != "invariants.chat_first_response()" && $0 != "invariants.touch_public_responses_updated_at()"
            }))
            let owners = Dictionary(uniqueKeysWithValues: try await connection.query(
                "SELECT key, module FROM invariants.repeatable_objects WHERE kind IN ('function', 'trigger function')", logger: testLogger)
                .collect().map { try $0.decode((String, String).self) })
            #expect(Set(members.values) == Set(owners.values.map { ExtensionScript.extensionName(module: $0) }))
            #expect(try await installedExtensions(connection)["invariants"] == nil, "the single extension is gone")
            // No row changed (tables created since release 0.2 are new and empty).
            #expect(try await tableDigests(connection).filter { digests[$0.key] != nil } == digests, "no row changed")
            #expect(try await migrator.status(on: connection).isUpToDate)
            let verify = try await Verifier(catalog: catalog, storedLogic: .keep(extensionVersions: versions), logger: testLogger)
                .verify(url: try DatabaseURL(database.url))
            #expect(verify.isClean, "\(verify.differences.prefix(5).map(\.description))")
            #expect(!(try await migrator.migrate(on: connection).changedAnything))

            // The counters still work through the adopted functions.
            try await connection.run("""
                INSERT INTO public.responses (workspace_id, entity_type, entity_id, status, candidate_name)
                VALUES ('00000000-0000-0000-0000-00000000000a', 'gig', '00000000-0000-0000-0000-0000000000b1', 'NEW', 'd')
                """)
            #expect(try await connection.scalar("SELECT responses || '/' || new_responses FROM public.gigs", as: String.self) == "4/3")
            try await connection.run("SELECT public.log_chat('00000000-0000-4000-8000-00000000000a', 'q', 'r', '[]', 1, 2, 0.5, 'm1')")
            #expect(try await connection.scalar("SELECT sum(requests)::bigint FROM public.usage_daily", as: Int64.self) == 4)
        }
    }
}

/// A template with the project's migrations and repeatable set applied (repeatable route).
func catalogTemplate() async throws -> String {
    try await migratedCatalogTemplate()
}
