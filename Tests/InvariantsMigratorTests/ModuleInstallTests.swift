import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import PostgresNIO
import Testing

/// Modules as the unit of installation, against a real PostgreSQL: one module alone, a second
/// one later, a plain migrate keeping the chosen set, bad input refused with nothing written.
@Suite("Modules: install one by one")
struct ModuleInstallTests {
    /// Tables each module creates (one per module is enough to tell it is there).
    static let marker: [String: String] = [
        "core": "invariants.error_codes", "auth": "auth.users", "model_work_record": "public.sessions",
        "chat_logs": "public.chat_logs", "gig_responses": "public.gigs", "generations": "public.generations",
        "support_chat": "public.chat_sessions",
    ]

    func present(_ connection: PostgresConnection) async throws -> Set<String> {
        var found = Set<String>()
        for (module, table) in Self.marker where try await connection.exists(table) { found.insert(module) }
        return found
    }

    @Test("gig_responses alone: other apps' tables absent, counters work, status and verify clean")
    func oneModule() async throws {
        try await withFreshDatabase { database, connection in
            let catalog = try committedCatalog()
            let migrator = try Migrator(catalog: catalog, options: .init(modules: ["gig_responses"]), logger: testLogger)
            let report = try await migrator.migrate(on: connection)
            #expect(report.modules == ["core", "auth", "gig_responses"])
            #expect(report.appliedMigrations == ["core/0001_invariants_core.sql", "core/0002_counter_repairs.sql",
                                                 "core/0003_invariants_private.sql", "auth/0001_auth_shim.sql",
                                                 "auth/0002_auth_uid_claim_errors.sql", "gig_responses/0001_gig_responses.sql",
                                                 "gig_responses/0002_gig_key_by_trigger.sql", "gig_responses/0003_validate_gig_key.sql"])
            #expect(try await present(connection) == ["core", "auth", "gig_responses"])
            #expect(try await connection.scalar("SELECT count(*) FROM pg_proc WHERE proname IN ('dismiss_model', 'log_chat', 'add_brains')", as: Int64.self) == 0,
                    "no other app's functions")
            #expect(try await connection.scalar("SELECT string_agg(module || '=' || chosen, ',' ORDER BY module) FROM invariants.installed_modules", as: String.self)
                    == "auth=false,core=false,gig_responses=true")

            // The counters work on their own.
            try await connection.run("INSERT INTO public.workspaces (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'w')")
            try await connection.run("INSERT INTO public.gigs (id, workspace_id, title) VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000000a', 'g')")
            try await connection.run("""
                INSERT INTO public.responses (workspace_id, entity_type, entity_id, status, candidate_name)
                SELECT '00000000-0000-0000-0000-00000000000a', 'gig', '00000000-0000-0000-0000-0000000000b1', s, 'c'
                FROM unnest(ARRAY['NEW', 'NEW', 'VIEWED']) AS s
                """)
            #expect(try await connection.scalar("SELECT responses || '/' || new_responses FROM public.gigs", as: String.self) == "3/2")

            // A plain migrate (no --modules) keeps the chosen set: nothing else is installed.
            let plain = try Migrator(catalog: catalog, logger: testLogger)
            #expect(try await plain.status(on: connection).isUpToDate)
            #expect(try await plain.plan(on: connection).isEmpty)
            #expect(!(try await plain.migrate(on: connection).changedAnything))
            #expect(try await present(connection) == ["core", "auth", "gig_responses"])

            let verify = try await Verifier(catalog: catalog, storedLogic: .keep(extensionVersions: nil), logger: testLogger).verify(url: try DatabaseURL(database.url))
            #expect(verify.isClean, "\(verify.differences.prefix(5))")
            #expect(verify.pending.isEmpty, "\(verify.pending)")
        }
    }

    @Test("a second module added later; the set is then kept by plain migrates")
    func secondModule() async throws {
        try await withFreshDatabase { database, connection in
            let catalog = try committedCatalog()
            try await Migrator(catalog: catalog, options: .init(modules: ["gig_responses"]), logger: testLogger).migrate(on: connection)
            let gigsOID = try await connection.scalar("SELECT 'public.gigs'::regclass::oid::bigint", as: Int64.self)
            let second = try await Migrator(catalog: catalog, options: .init(modules: ["chat_logs"]), logger: testLogger).migrate(on: connection)
            #expect(second.installedModules == ["chat_logs"])
            #expect(second.appliedMigrations == ["chat_logs/0001_chat_logs.sql", "chat_logs/0002_chat_logs_cost_index.sql",
                                                 "chat_logs/0003_saved_chat_length_checks.sql",
                                                 "chat_logs/0004_validate_saved_chat_length_checks.sql",
                                                 "chat_logs/0005_cost_alerts.sql", "chat_logs/0006_named_field_lengths.sql",
                                                 "chat_logs/0007_validate_named_field_lengths.sql"])
            #expect(try await present(connection) == ["core", "auth", "gig_responses", "chat_logs"])
            #expect(try await connection.scalar("SELECT 'public.gigs'::regclass::oid::bigint", as: Int64.self) == gigsOID)
            let status = try await Migrator(catalog: catalog, logger: testLogger).status(on: connection)
            #expect(status.isUpToDate)
            #expect(status.modules.map(\.name) == ["core", "auth", "chat_logs", "gig_responses"])
            let verify = try await Verifier(catalog: catalog, storedLogic: .keep(extensionVersions: nil), logger: testLogger).verify(url: try DatabaseURL(database.url))
            #expect(verify.isClean, "\(verify.differences.prefix(5))")
        }
    }

    @Test("each seed module installs alone on an empty database and is then up to date")
    func everyModuleAlone() async throws {
        let catalog = try committedCatalog()
        for module in ProjectModules.apps {
            try await withFreshDatabase { _, connection in
                let migrator = try Migrator(catalog: catalog, options: .init(modules: [module]), logger: testLogger)
                try await migrator.migrate(on: connection)
                #expect(try await present(connection) == ["core", "auth", module], "\(module)")
                #expect(try await Migrator(catalog: catalog, logger: testLogger).status(on: connection).isUpToDate, "\(module)")
            }
        }
    }

    @Test("an unknown module is refused by name, with the declared ones, and nothing is written")
    func unknownModule() async throws {
        try await withFreshDatabase { _, connection in
            let catalog = try committedCatalog()
            let error = #expect(throws: InvariantsError.self) {
                try Migrator(catalog: catalog, options: .init(modules: ["gig_responses", "gigs"]), logger: testLogger)
            }
            #expect(error?.kind == .invalidInput)
            #expect(error?.message == "unknown module 'gigs'; declared: core, auth, model_work_record, chat_logs, gig_responses, generations, support_chat")
            #expect(try await connection.exists("invariants.module_migrations") == false)
        }
    }

    @Test("a plain migrate installs the default set only on an empty database; elsewhere it asks for --modules")
    func defaultSetOnlyWhenEmpty() async throws {
        try await withFreshDatabase { _, connection in
            try await connection.run("CREATE TABLE public.their_orders (id bigint PRIMARY KEY)")
            let plain = try Migrator(catalog: try committedCatalog(), logger: testLogger)
            let error = await #expect(throws: InvariantsError.self) { try await plain.migrate(on: connection) }
            #expect(error?.kind == .invalidInput)
            #expect(error?.message.contains("choose the modules to install with --modules") == true, "\(error?.message ?? "")")
            #expect(try await connection.exists("invariants.module_migrations") == false, "nothing written")
            #expect(try await present(connection).isEmpty)
            // Asked explicitly, it installs just that.
            try await Migrator(catalog: try committedCatalog(), options: .init(modules: ["chat_logs"]), logger: testLogger).migrate(on: connection)
            #expect(try await present(connection) == ["core", "auth", "chat_logs"])
        }
        try await withFreshDatabase { _, connection in
            let report = try await Migrator(catalog: try committedCatalog(), logger: testLogger).migrate(on: connection)
            #expect(report.modules == ["core", "auth", "model_work_record", "chat_logs", "gig_responses", "generations", "support_chat"])
        }
    }

    @Test("plan is what migrate executes: the same steps, timeouts and ledger rows included")
    func planThenMigrate() async throws {
        try await withFreshDatabase { _, connection in
            let migrator = try Migrator(catalog: try committedCatalog(), options: .init(modules: ["generations"]), logger: testLogger)
            let plan = try await migrator.plan(on: connection)
            #expect(try await connection.exists("invariants.module_migrations") == false, "plan writes nothing")
            #expect(plan.steps.map(\.kind).prefix(2) == [.ledger, .ledger])
            #expect(plan.migrations == ["core/0001_invariants_core.sql", "core/0002_counter_repairs.sql",
                                        "core/0003_invariants_private.sql", "auth/0001_auth_shim.sql",
                                        "auth/0002_auth_uid_claim_errors.sql",
                                        "generations/0001_generations.sql", "generations/0002_job_input_limits.sql",
                                        "generations/0003_validate_job_input_limits.sql",
                                        "generations/0004_same_owner_source_indexes.sql", "generations/0005_same_owner_source_key.sql",
                                        "generations/0006_validate_same_owner_source_key.sql"])
            let generations = try #require(plan.steps.first { $0.title == "generations/0001_generations.sql" })
            #expect(generations.statements.first == "SET LOCAL lock_timeout = '5000ms'")
            #expect(generations.statements.last?.contains("installed_modules") == true)
            let report = try await migrator.migrate(on: connection)
            #expect(report.appliedMigrations == plan.migrations)
            #expect(report.appliedRepeatables == plan.appliedRepeatables)
            #expect(try await connection.scalar("SELECT count(*) FROM invariants.repeatable_objects", as: Int64.self) == Int64(plan.appliedRepeatables.count))
        }
    }
}

extension ModuleInstallTests {
    @Test("--drop-module: refused without confirmation or while needed, then deletes exactly that module")
    func dropModule() async throws {
        try await withFreshDatabase { database, connection in
            let catalog = try committedCatalog()
            try await Migrator(catalog: catalog, options: .init(modules: ["gig_responses", "chat_logs"]), logger: testLogger).migrate(on: connection)
            try await connection.run("INSERT INTO public.workspaces (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'w')")
            try await connection.run("INSERT INTO auth.users (id) VALUES ('00000000-0000-0000-0000-0000000000aa')")
            try await connection.run("INSERT INTO public.chat_logs (user_id, question, response) VALUES ('00000000-0000-0000-0000-0000000000aa', 'q', 'a')")

            let unconfirmed = try Migrator(catalog: catalog, options: .init(dropModules: ["gig_responses"]), logger: testLogger)
            let plan = try await unconfirmed.plan(on: connection)
            #expect(plan.dropping == ["gig_responses"])
            let drop = try #require(plan.steps.first { $0.kind == .dropModule })
            #expect(drop.title.contains("public.workspaces (1 rows)") && drop.title.contains("public.gigs (0 rows)"), "\(drop.title)")
            #expect(drop.statements.contains { $0.hasPrefix("DROP TABLE \"public\".\"responses\"") })
            let refused = await #expect(throws: InvariantsError.self) { try await unconfirmed.migrate(on: connection) }
            #expect(refused?.message.contains("nothing was changed") == true)
            #expect(refused?.hint?.contains("--confirm-data-loss") == true)
            #expect(try await present(connection) == ["core", "auth", "gig_responses", "chat_logs"], "nothing was changed")

            let needed = await #expect(throws: InvariantsError.self) {
                try await Migrator(catalog: catalog, options: .init(dropModules: ["auth"], confirmDataLoss: true), logger: testLogger).migrate(on: connection)
            }
            #expect(needed?.message.contains("chat_logs, gig_responses need it") == true, "\(needed?.message ?? "")")
            let absent = await #expect(throws: InvariantsError.self) {
                try await Migrator(catalog: catalog, options: .init(dropModules: ["generations"], confirmDataLoss: true), logger: testLogger).migrate(on: connection)
            }
            #expect(absent?.message.contains("module generations is not installed") == true)

            let report = try await Migrator(catalog: catalog, options: .init(dropModules: ["gig_responses"], confirmDataLoss: true), logger: testLogger)
                .migrate(on: connection)
            #expect(report.droppedModules == ["gig_responses"])
            #expect(try await present(connection) == ["core", "auth", "chat_logs"])
            #expect(try await connection.scalar("SELECT count(*) FROM public.chat_logs", as: Int64.self) == 1, "the other module's data stays")
            #expect(try await connection.scalar("SELECT count(*) FROM pg_proc WHERE proname IN ('create_workspace', 'count_gig_responses')", as: Int64.self) == 0,
                    "its functions are gone")
            #expect(try await connection.scalar("SELECT count(*) FROM invariants.module_migrations WHERE module = 'gig_responses'", as: Int64.self) == 0)
            #expect(try await connection.scalar("SELECT count(*) FROM invariants.repeatable_objects WHERE module = 'gig_responses'", as: Int64.self) == 0)
            let plain = try Migrator(catalog: catalog, logger: testLogger)
            #expect(try await plain.status(on: connection).isUpToDate)
            #expect(!(try await plain.migrate(on: connection).changedAnything), "a plain migrate does not bring it back")
            let verify = try await Verifier(catalog: catalog, storedLogic: .keep(extensionVersions: nil), logger: testLogger).verify(url: try DatabaseURL(database.url))
            #expect(verify.isClean, "\(verify.differences.prefix(5))")
        }
    }
}

extension ModuleInstallTests {
    @Test("a module file applied by hand refuses until its dependencies are applied through the versions it needs")
    func psqlGuardChecksDependencies() async throws {
        try await withFreshDatabase { database, connection in
            let sql = repositoryRoot + "/sql/"
            // A dependency must be applied through the version its stream had when the file was
            // rendered (gig_responses relies on core 2's repair audit; auth asks the same of core).
            let (first, stderr) = try psql(database.url, file: sql + "core/migrations/0001_invariants_core.sql")
            try #require(first == 0, "\(stderr)")
            let (refused, message) = try psql(database.url, file: sql + "auth/migrations/0001_auth_shim.sql")
            #expect(refused != 0)
            #expect(message.contains("module auth needs module core applied through version 2 first"), "\(message)")
            #expect(try await connection.exists("auth.users") == false)
            for file in ["core/migrations/0002_counter_repairs.sql", "core/migrations/0003_invariants_private.sql",
                         "auth/migrations/0001_auth_shim.sql", "auth/migrations/0002_auth_uid_claim_errors.sql"] {
                let (status, stderr) = try psql(database.url, file: sql + file)
                try #require(status == 0, "\(file): \(stderr)")
            }
            for file in ["gig_responses/migrations/0001_gig_responses.sql", "gig_responses/migrations/0002_gig_key_by_trigger.sql",
                         "gig_responses/migrations/0003_validate_gig_key.sql"] {
                let (accepted, error) = try psql(database.url, file: sql + file)
                #expect(accepted == 0, "\(file): \(error)")
            }
            #expect(try await Migrator(catalog: try committedCatalog(), logger: testLogger).status(on: connection).pendingMigrations.isEmpty)
        }
    }

    @Test("a migrate killed right after creating the ledger still installs the default set on the next run")
    func emptyWithOnlyTheLedger() async throws {
        try await withFreshDatabase { _, connection in
            for statement in Ledger.moduleBootstrapStatements { try await connection.run(statement) }
            let report = try await Migrator(catalog: try committedCatalog(), logger: testLogger).migrate(on: connection)
            #expect(report.modules.count == 7)
        }
    }
}

/// The five seed apps' module names.
enum ProjectModules {
    static let apps = ["model_work_record", "support_chat", "generations", "chat_logs", "gig_responses"]
}
