import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing

/// Databases migrated by releases 0.1 and 0.2 (one linear ledger, `invariants.schema_migrations`)
/// upgrade in place: their ledger rows are mapped onto the module streams, nothing re-runs, no
/// table is re-created, data and counters stay, and status and verify are clean afterwards.
/// Each database is built the way a DBA built it then: the release's files applied with `psql -f`.
@Suite("Upgrade from the linear ledger of releases 0.1 and 0.2", .serialized)
struct LinearUpgradeTests {
    static let releases = repositoryRoot + "/Tests/InvariantsMigratorTests/Releases"
    /// Module migrations added after release 0.3 (the first module release): a database of any
    /// earlier release gets these on its first migrate, after the mapping.
    static let migrationsSinceRelease03 = [
        "core/0003_invariants_private.sql", "auth/0002_auth_uid_claim_errors.sql",
        "chat_logs/0003_saved_chat_length_checks.sql", "chat_logs/0004_validate_saved_chat_length_checks.sql",
        "chat_logs/0005_cost_alerts.sql", "chat_logs/0006_named_field_lengths.sql",
        "chat_logs/0007_validate_named_field_lengths.sql",
        "gig_responses/0002_gig_key_by_trigger.sql", "gig_responses/0003_validate_gig_key.sql",
        "generations/0002_job_input_limits.sql", "generations/0003_validate_job_input_limits.sql",
        "generations/0004_same_owner_source_indexes.sql", "generations/0005_same_owner_source_key.sql",
        "generations/0006_validate_same_owner_source_key.sql",
        "support_chat/0002_same_session_key_indexes.sql",
    ]
    static let user = "00000000-0000-0000-0000-0000000000aa"

    /// Applies linear migrations 1…`through` and the release's repeatable set with psql.
    func applyRelease(_ label: String, through last: Int, to database: TestDatabase) throws {
        let directory = repositoryRoot + "/sql/linear/migrations"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }.sorted().prefix(last)
        #expect(files.count == last)
        for file in files {
            let (status, stderr) = try psql(database.url, file: directory + "/" + file)
            try #require(status == 0, "\(file): \(stderr)")
        }
        let (status, stderr) = try psql(database.url, file: Self.releases + "/\(label)/repeatable.sql")
        try #require(status == 0, "release \(label) repeatable set: \(stderr)")
    }

    func oids(_ connection: PostgresConnection, _ tables: [String]) async throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for table in tables { result[table] = try await connection.scalar("SELECT '\(table)'::regclass::oid::bigint", as: Int64.self) }
        return result
    }

    func populateChatLogs(_ connection: PostgresConnection) async throws {
        try await connection.run("INSERT INTO auth.users (id) VALUES ('\(Self.user)')")
        try await connection.run("INSERT INTO public.sessions (user_id, title) VALUES ('\(Self.user)', 'kept')")
        try await connection.run("INSERT INTO public.chat_logs (user_id, question, response) VALUES ('\(Self.user)', 'q', 'a')")
    }

    @Test("release 0.1 (linear 1–4, by psql -f): mapped in place, the missing cost index added, then a module more")
    func fromRelease01() async throws {
        try await withFreshDatabase { database, connection in
            try applyRelease("0.1", through: 4, to: database)
            try await populateChatLogs(connection)
            let tables = ["public.sessions", "public.chat_logs", "public.model_statistics", "invariants.error_codes"]
            let before = try await oids(connection, tables)

            // A module file applied by hand before the mapping is refused with the way out.
            let (status, stderr) = try psql(database.url, file: repositoryRoot + "/sql/gig_responses/migrations/0001_gig_responses.sql")
            #expect(status != 0)
            #expect(stderr.contains("linear ledger") && stderr.contains("invariants migrate"), "\(stderr)")

            let catalog = try committedCatalog()
            let migrator = try Migrator(catalog: catalog, logger: testLogger)
            let plan = try await migrator.plan(on: connection)
            #expect(plan.modules == ["core", "auth", "model_work_record", "chat_logs"], "a plain migrate keeps what the database had")
            // Only what 0.1 lacked runs: the installed modules' later versions.
            #expect(plan.migrations == ["core/0002_counter_repairs.sql", "core/0003_invariants_private.sql",
                                        "auth/0002_auth_uid_claim_errors.sql",
                                        "chat_logs/0002_chat_logs_cost_index.sql"]
                    + Self.migrationsSinceRelease03.filter { $0.hasPrefix("chat_logs/") })
            let report = try await migrator.migrate(on: connection)
            #expect(report.appliedMigrations == plan.migrations)
            #expect(try await oids(connection, tables) == before, "no table re-created")
            #expect(try await connection.scalar("SELECT count(*) FROM public.chat_logs", as: Int64.self) == 1)
            #expect(try await connection.scalar("SELECT title FROM public.sessions", as: String.self) == "kept")
            #expect(try await connection.scalar("""
                SELECT string_agg(module || ' ' || version || ' ← ' || coalesce(linear_version::text, 'new'), ', ' ORDER BY module, version)
                FROM invariants.module_migrations
                """, as: String.self) == "auth 1 ← 2, auth 2 ← new, chat_logs 1 ← 4, chat_logs 2 ← new, chat_logs 3 ← new, chat_logs 4 ← new, chat_logs 5 ← new, "
                + "chat_logs 6 ← new, chat_logs 7 ← new, "
                + "core 1 ← 1, "
                + "core 2 ← new, core 3 ← new, model_work_record 1 ← 3")
            #expect(try await migrator.status(on: connection).isUpToDate)
            let verify = try await Verifier(catalog: catalog, storedLogic: .keep(extensionVersions: nil), logger: testLogger).verify(url: try DatabaseURL(database.url))
            #expect(verify.isClean, "\(verify.differences.prefix(5))")

            // The upgraded database takes a new module like any other.
            let more = try await Migrator(catalog: catalog, options: .init(modules: ["gig_responses"]), logger: testLogger).migrate(on: connection)
            #expect(more.appliedMigrations == ["gig_responses/0001_gig_responses.sql", "gig_responses/0002_gig_key_by_trigger.sql",
                                               "gig_responses/0003_validate_gig_key.sql"])
            #expect(try await Migrator(catalog: catalog, logger: testLogger).status(on: connection).isUpToDate)
        }
    }

    @Test("release 0.2 (linear 1–8, by psql -f): mapped in place, nothing re-run or re-applied, counters kept, verify clean")
    func fromRelease02() async throws {
        try await withFreshDatabase { database, connection in
            try applyRelease("0.2", through: 8, to: database)
            try await populateChatLogs(connection)
            try await connection.run("INSERT INTO public.workspaces (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'w')")
            try await connection.run("INSERT INTO public.gigs (id, workspace_id, title) VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000000a', 'g')")
            try await connection.run("""
                INSERT INTO public.responses (workspace_id, entity_type, entity_id, status, candidate_name)
                SELECT '00000000-0000-0000-0000-00000000000a', 'gig', '00000000-0000-0000-0000-0000000000b1', s, 'c'
                FROM unnest(ARRAY['NEW', 'VIEWED', 'NEW']) AS s
                """)
            let tables = ["public.gigs", "public.responses", "public.chat_sessions", "public.generations", "invariants.counter_repairs"]
            let before = try await oids(connection, tables)
            let triggers = try await connection.scalar("SELECT string_agg(oid::text, ',' ORDER BY oid) FROM pg_trigger WHERE NOT tgisinternal", as: String.self)
            let triggersAfter = try await connection.scalar(
                "SELECT string_agg(oid::text, ',' ORDER BY oid) FROM pg_trigger WHERE NOT tgisinternal AND tgname <> 'invariants_first_response'",
                as: String.self)
            #expect(triggersAfter != triggers, "release 0.2 has the first-response trigger")

            let catalog = try committedCatalog()
            let migrator = try Migrator(catalog: catalog, logger: testLogger)
            let plan = try await migrator.plan(on: connection)
            #expect(plan.migrations == Self.migrationsSinceRelease03, "every module version is mapped, none re-runs; only newer ones run")
            // Re-applied: exactly the objects whose text changed since release 0.2, and the new ones.
            let released = try RepeatableSetFile.parse(String(contentsOfFile: Self.releases + "/0.2/repeatable.sql", encoding: .utf8))
            let current = Dictionary(uniqueKeysWithValues: catalog.repeatables.map { ($0.key, RepeatableSetFile.checksum(of: $0)) })
            let changed = released.filter { current[$0.key] != RepeatableSetFile.checksum(of: $0) }.map(\.key)
            let added = Set(current.keys).subtracting(released.map(\.key))
            let removed = Set(released.map(\.key)).subtracting(current.keys)
            #expect(Set(plan.appliedRepeatables) == Set(changed).subtracting(removed).union(added))
            #expect(Set(plan.droppedRepeatables) == removed)
            // Members delete gigs through public.delete_gig only; seed 001's first-response trigger is
            // now part of the message counter's own UPDATE (issue 17).
            #expect(removed == [
                "policy public.gigs.gigs_member_delete", "function invariants.chat_first_response()",
                "trigger public.chat_messages.invariants_first_response",
                "function invariants.touch_public_responses_updated_at()",
            ], "\(removed)")
            // Create the module ledger, map the linear one, and name each object's module.
            #expect(plan.steps.map(\.kind).filter { $0 != .migration } == [.ledger, .ledger, .repeatableSet], "\(plan.steps.map(\.title))")
            try await migrator.migrate(on: connection)

            #expect(try await oids(connection, tables) == before)
            // No trigger of release 0.2 re-created; the one declared since (the job's final-result
            // guard) is added, the first-response trigger (issue 17) dropped.
            #expect(try await connection.scalar(
                "SELECT string_agg(oid::text, ',' ORDER BY oid) FROM pg_trigger WHERE NOT tgisinternal AND tgname NOT IN ('invariants_state_status_final', 'invariants_keep_gig_id')",
                as: String.self) == triggersAfter, "no trigger re-created")
            #expect(try await connection.scalar("SELECT responses || '/' || new_responses FROM public.gigs", as: String.self) == "3/2")
            #expect(try await connection.scalar("SELECT count(*) FROM invariants.repeatable_objects WHERE module IS NULL", as: Int64.self) == 0,
                    "every object now names its module")
            let status = try await migrator.status(on: connection)
            #expect(status.isUpToDate)
            #expect(status.modules.map(\.name) == ["core", "auth", "model_work_record", "chat_logs", "gig_responses", "generations", "support_chat"])
            let verify = try await Verifier(catalog: catalog, storedLogic: .keep(extensionVersions: nil), logger: testLogger).verify(url: try DatabaseURL(database.url))
            #expect(verify.isClean, "\(verify.differences.prefix(5))")
            #expect(!(try await migrator.migrate(on: connection).changedAnything))
        }
    }

    @Test("a linear ledger row whose file was edited is refused before anything is mapped")
    func editedLinearMigration() async throws {
        try await withFreshDatabase { database, connection in
            try applyRelease("0.1", through: 4, to: database)
            try await connection.run("UPDATE invariants.schema_migrations SET checksum = 'edited' WHERE version = 3")
            let error = await #expect(throws: InvariantsError.self) {
                try await Migrator(catalog: try committedCatalog(), logger: testLogger).migrate(on: connection)
            }
            #expect(error?.kind == .checksumMismatch)
            #expect(error?.message.contains("linear/0003_model_work_record.sql") == true, "\(error?.message ?? "")")
            #expect(try await connection.exists("invariants.module_migrations") == false, "nothing mapped")
        }
    }

    @Test("a module of a freshly mapped 0.2 database can be dropped in the same migrate (its objects recorded before modules existed)")
    func dropRightAfterMapping() async throws {
        try await withFreshDatabase { database, connection in
            try applyRelease("0.2", through: 8, to: database)
            try await populateChatLogs(connection)
            let catalog = try committedCatalog()
            let report = try await Migrator(catalog: catalog, options: .init(dropModules: ["chat_logs"], confirmDataLoss: true), logger: testLogger)
                .migrate(on: connection)
            #expect(report.droppedModules == ["chat_logs"])
            #expect(try await connection.exists("public.chat_logs") == false)
            #expect(try await connection.exists("public.v_chat_daily_costs") == false, "its views went with it")
            #expect(try await connection.exists("public.sessions"), "the other modules stay")
            #expect(try await connection.scalar("SELECT count(*) FROM pg_proc WHERE proname = 'log_chat'", as: Int64.self) == 0)
            let status = try await Migrator(catalog: catalog, logger: testLogger).status(on: connection)
            #expect(status.isUpToDate)
            #expect(!status.modules.map(\.name).contains("chat_logs"))
        }
    }
}
