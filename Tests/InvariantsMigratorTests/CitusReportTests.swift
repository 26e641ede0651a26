import InvariantsMigrator
import InvariantsSchema
import SeedApps
import Testing

/// `invariants lint --citus` over the bundled catalog's declarations: where each table goes,
/// the findings the seed apps are known to have, and an operator script Citus would accept.
@Suite("Citus readiness report of the bundled catalog")
struct CitusReportTests {
    let catalog = ProjectCatalog.catalog

    private func report(_ modules: [String]? = nil) throws -> CitusReport {
        try CitusReport.analyze(catalog, modules: modules)
    }

    private func finding(_ report: CitusReport, _ rule: String, _ object: String) -> CitusReport.Finding? {
        report.findings.first { $0.rule == rule && $0.object == object }
    }

    @Test("each module reports on its own and its dependencies' tables, and says it is not verified", arguments: ProjectCatalog.catalog.modules.map(\.name))
    func everyModule(module: String) throws {
        let report = try report([module])
        #expect(report.modules.last == module)
        #expect(report.modules.contains("core"))
        let declared = catalog.module(named: module)!.declaredTables.map(\.qualifiedName.description)
        let placed = report.tables.map(\.table)
        for table in declared { #expect(placed.contains(table), "\(table) is placed") }
        #expect(Set(placed).count == placed.count, "each table once")
        #expect(report.verification.contains("Not verified against a real Citus"))
        #expect(report.notAnalyzed.isEmpty, "every module's tables are declared or known: \(report.notAnalyzed)")
        // Every table but the coordinator's own appears once in the script.
        for table in report.tables where table.kind != .local {
            #expect(report.operatorScript.filter { $0.contains("('\(table.table)'") }.count == 1, "\(table.table) in the script once")
        }
    }

    @Test("tables go by their tenant column, co-located with the tenant's own table; tables without a tenant are reference tables")
    func placements() throws {
        let report = try report()
        func place(_ table: String) -> CitusReport.TablePlacement? { report.tables.first { $0.table == table } }
        #expect(place("public.workspaces")?.kind == .distributed)
        #expect(place("public.workspaces")?.column == "id")
        #expect(place("public.workspaces")?.colocateWith == nil)
        #expect(place("public.gigs")?.column == "workspace_id")
        #expect(place("public.gigs")?.colocateWith == "public.workspaces")
        #expect(place("public.responses")?.colocateWith == "public.workspaces")
        #expect(place("public.workspace_members")?.column == "workspace_id", "workspace_id wins over user_id")
        #expect(place("public.sessions")?.column == "user_id")
        #expect(place("public.model_statistics")?.column == "user_id", "user_id wins over session_id")
        #expect(place("public.profiles")?.column == "id", "one row per user: its key references auth.users")
        #expect(place("public.chat_messages")?.column == "session_id")
        #expect(place("public.chat_messages")?.colocateWith == "public.chat_sessions")
        #expect(place("public.learning_records")?.kind == .reference)
        #expect(place("auth.users")?.kind == .reference)
        #expect(place("invariants.module_migrations")?.kind == .local)
    }

    @Test("the known findings appear, each with its change and who makes it")
    func knownFindings() throws {
        let report = try report()
        for (table, key) in [("gigs", "gigs_pkey"), ("responses", "responses_pkey"), ("sessions", "sessions_pkey"),
                             ("model_statistics", "model_statistics_pkey"), ("chat_logs", "chat_logs_pkey"), ("saved_chats", "saved_chats_pkey")] {
            let found = finding(report, "primary-key-without-distribution-column", "public.\(table) (\(key))")
            #expect(found?.madeBy == .project, "\(table)'s primary key on id alone")
            #expect(found?.change.contains("primary key of public.\(table) (") == true)
        }
        #expect(finding(report, "unique-without-distribution-column", "public.chat_sessions (chat_sessions_session_id_key)") == nil,
                "session_id is chat_sessions' distribution column")
        // Every trigger of a distributed or reference table needs citus.enable_unsafe_triggers.
        let triggerCount = catalog.modules.flatMap(\.repeatables).filter { $0.kind == .trigger }.count
        let unsafe = report.findings.filter { $0.rule == "trigger-needs-unsafe-triggers" }
        #expect(unsafe.count == triggerCount, "one per declared trigger")
        #expect(unsafe.allSatisfy { $0.madeBy == .operator && $0.change.contains("citus.enable_unsafe_triggers = on") })
        let notifies = report.findings.filter { $0.rule == "notify-from-trigger" }.map(\.module)
        #expect(Set(notifies) == ["generations", "chat_logs"], "\(notifies)")
        let leaderboard = finding(report, "global-aggregate", "function invariants_private.global_model_leaderboard(integer, integer)")
        #expect(leaderboard?.madeBy == .operator)
        #expect(finding(report, "global-aggregate", "function public.my_model_leaderboard(integer)") == nil, "one user's leaderboard is tenant-local")
        // generation_jobs.source_generation_id → generations(id): both by user_id, the key without it.
        let edit = report.findings.first { $0.object.hasPrefix("public.generation_jobs (") && $0.object.contains("source_generation_id") }
        #expect(edit?.rule == "cascade-across-shards")
        #expect(edit?.change.contains("(user_id, source_generation_id)") == true)
        #expect(!report.changes(by: .project).isEmpty && !report.changes(by: .operator).isEmpty)
    }

    @Test("counters: gig responses and chat messages are co-located with their parents")
    func counters() throws {
        let report = try report()
        let gig = report.counters.first { $0.counter == "gig_responses" }
        #expect(gig?.colocated == true)
        #expect(gig?.detail.contains("scope is workspace_id") == true)
        #expect(report.counters.first { $0.counter == "chat_session_messages" }?.colocated == true)
        #expect(!report.findings.contains { $0.rule == "counter-not-colocated" })
    }

    @Test("the operator script: reference tables first, then each group's first table, every foreign key's target before its table")
    func scriptOrder() throws {
        let report = try report()
        let script = report.operatorScript
        let lastReference = script.lastIndex { $0.contains("create_reference_table") }!
        let firstDistributed = script.firstIndex { $0.contains("create_distributed_table") }!
        #expect(lastReference < firstDistributed)
        func line(_ table: String) -> Int? { script.firstIndex { $0.contains("('\(table)'") } }
        for module in catalog.modules {
            for table in module.declaredTables {
                for case .foreignKey(let key) in table.constraints {
                    guard let source = line(table.qualifiedName.description), let target = line(key.referencedTable.description) else { continue }
                    #expect(target < source, "\(key.referencedTable) before \(table.qualifiedName)")
                }
            }
        }
        #expect(script.contains("SELECT create_distributed_table('public.workspaces', 'id', colocate_with => 'none');"))
        #expect(script.contains("SELECT create_distributed_table('public.gigs', 'workspace_id', colocate_with => 'public.workspaces');"))
        #expect(script.contains("SELECT create_reference_table('auth.users');"))
        for placement in report.tables where placement.colocateWith != nil {
            #expect(line(placement.colocateWith!)! < line(placement.table)!, "\(placement.colocateWith!) before \(placement.table)")
        }
    }

    @Test("an unknown module is refused by name")
    func unknownModule() {
        #expect(throws: SchemaError.self) { try CitusReport.analyze(catalog, modules: ["nope"]) }
    }
}
