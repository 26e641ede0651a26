import Invariants
import InvariantsSchema
import PostgresNIO

extension Migrator {
    // MARK: Which modules

    /// The installed modules: the module ledger's, or what the linear ledger maps to.
    func installed(_ ledger: LedgerState) throws(InvariantsError) -> [String: Bool] {
        var installed = ledger.installedModules
        if ledger.needsLinearMapping {
            for (module, chosen) in try linearMapping(ledger).installed where installed[module] == nil { installed[module] = chosen }
        }
        return installed
    }

    /// The modules the database holds after `migrate`: the installed ones this catalog declares,
    /// the requested ones, and their dependencies. On a database without a ledger and without
    /// `--modules`: the default set when the database is empty, else a refusal (a forgotten flag
    /// must never adopt every app's tables into someone's database).
    func targetModules(_ ledger: LedgerState) throws(InvariantsError) -> [Module] {
        let installed = try installed(ledger).keys.filter { catalog.module(named: $0) != nil && !options.dropModules.contains($0) }
        var wanted = Set(installed)
        if let requested = options.modules {
            wanted.formUnion(requested)
        } else if installed.isEmpty {
            guard ledger.isEmptyDatabase else {
                throw InvariantsError(.invalidInput,
                    "this database has tables but no Invariants ledger: choose the modules to install with --modules (declared: \(catalog.modules.map(\.name).joined(separator: ", ")))",
                    hint: "e.g. invariants migrate --modules \(catalog.defaultModules.last ?? catalog.modules.last?.name ?? "NAME")")
            }
            wanted.formUnion(catalog.defaultModules)
        }
        do { return try catalog.closure(of: wanted) } catch { throw InvariantsError(.invalidInput, error.message) }
    }

    // MARK: The linear ledger

    struct LinearMapping {
        /// Module version → the linear migration it is mapped from.
        var versions: [ModuleVersion: LinearMigration] = [:]
        var installed: [String: Bool] = [:]
    }

    /// How this database's linear ledger (releases 0.1 and 0.2) maps onto the modules. Refuses
    /// a linear migration this catalog does not know or whose checksum differs from its file.
    func linearMapping(_ ledger: LedgerState) throws(InvariantsError) -> LinearMapping {
        var mapping = LinearMapping()
        let history = Dictionary(uniqueKeysWithValues: catalog.linearHistory.map { ($0.version, $0) })
        for (version, row) in ledger.linearMigrations.sorted(by: { $0.key < $1.key }) {
            guard let linear = history[version], linear.name == row.name else {
                throw InvariantsError(.databaseIsNewer,
                    "the database's linear ledger has migration \(MigrationFile.fileName(version: version, name: row.name)), which this build does not know",
                    hint: "upgrade the app (or the migrations directory) before migrating")
            }
            if let checksum = linear.checksum, checksum != row.checksum {
                throw InvariantsError(.checksumMismatch,
                    "applied migration linear/\(linear.fileName) was changed after it ran (its checksum differs from the ledger's); released migrations are immutable",
                    hint: "restore sql/linear/migrations/\(linear.fileName) from version control")
            }
            for equivalent in linear.equivalents { mapping.versions[equivalent] = linear }
        }
        let modules = Set(mapping.versions.keys.map(\.module))
        let dependencies = Set(catalog.modules.filter { modules.contains($0.name) }.flatMap(\.dependencies))
        for module in modules { mapping.installed[module] = !dependencies.contains(module) }
        return mapping
    }

    private func linearMappingStep(_ mapping: LinearMapping) -> MigrationPlan.Step {
        var statements = ["SET LOCAL lock_timeout = '5000ms'"]
        for (equivalent, linear) in mapping.versions.sorted(by: { $0.key < $1.key }) {
            guard let migration = catalog.module(named: equivalent.module)?.migrations[equivalent.version - 1] else { continue }
            statements.append("""
                INSERT INTO \(Ledger.moduleMigrationsTable.sql)
                    ("module", "version", "name", "checksum", "applied_at", "applied_by", "execution_ms", "linear_version")
                SELECT \(SQLText.literal(equivalent.module)), \(equivalent.version), \(SQLText.literal(migration.name)),
                       \(SQLText.literal(MigrationFile.checksum(of: migration))), "applied_at", "applied_by", "execution_ms", "version"
                FROM \(Ledger.migrationsTable.sql) WHERE "version" = \(linear.version)
                """)
        }
        for (module, chosen) in mapping.installed.sorted(by: { $0.key < $1.key }) {
            statements.append("INSERT INTO \(Ledger.installedModulesTable.sql) (\"module\", \"chosen\") VALUES (\(SQLText.literal(module)), \(chosen)) ON CONFLICT (\"module\") DO NOTHING")
        }
        return .init(kind: .ledger, title: "map the linear ledger (releases 0.1, 0.2) onto modules \(mapping.installed.keys.sorted().joined(separator: ", "))",
                     transactional: true, statements: statements, labels: statements.map { _ in nil })
    }

    // MARK: Status

    func compare(_ ledger: LedgerState, target: [Module]) throws(InvariantsError) -> MigrationStatus {
        let mapping = ledger.needsLinearMapping ? try linearMapping(ledger) : LinearMapping()
        let installed = try installed(ledger)
        var entries: [MigrationStatus.Migration] = []
        for module in target {
            for migration in module.migrations {
                let key = ModuleVersion(module.name, migration.version)
                if let row = ledger.moduleMigrations[key] {
                    let state: MigrationStatus.Migration.State = row.checksum == MigrationFile.checksum(of: migration) ? .applied : .checksumMismatch
                    entries.append(.init(module: module.name, version: migration.version, name: migration.name, state: state, appliedAt: row.appliedAt,
                                         appliedBy: row.appliedBy, executionMilliseconds: row.executionMilliseconds, file: migration.label))
                } else if let linear = mapping.versions[key], let row = ledger.linearMigrations[linear.version] {
                    entries.append(.init(module: module.name, version: migration.version, name: migration.name, state: .applied, appliedAt: row.appliedAt,
                                         appliedBy: row.appliedBy, executionMilliseconds: row.executionMilliseconds, file: migration.label))
                } else {
                    entries.append(.init(module: module.name, version: migration.version, name: migration.name, state: .pending, file: migration.label))
                }
            }
        }
        for (key, row) in ledger.moduleMigrations.sorted(by: { $0.key < $1.key }) {
            guard let module = catalog.module(named: key.module), target.contains(where: { $0.name == key.module }) else { continue }
            if key.version > module.migrations.count {
                entries.append(.init(module: key.module, version: key.version, name: row.name, state: .unknown, appliedAt: row.appliedAt, appliedBy: row.appliedBy,
                                     executionMilliseconds: row.executionMilliseconds, file: key.module + "/" + MigrationFile.fileName(version: key.version, name: row.name)))
            }
        }
        let restricted = try restrictedCatalog(target)
        var repeatables: [MigrationStatus.Repeatable] = []
        let declared = Set(restricted.repeatables.map(\.key))
        for object in restricted.repeatables {
            let state: MigrationStatus.Repeatable.State
            switch ledger.repeatables[object.key]?.checksum {
            case nil: state = .new
            case RepeatableSetFile.checksum(of: object): state = .current
            default: state = .changed
            }
            repeatables.append(.init(key: object.key, kind: object.kind.rawValue, state: state, module: restricted.owners[object.key]))
        }
        for (key, row) in ledger.repeatables.sorted(by: { $0.key < $1.key }) where !declared.contains(key) && isOurs(row) {
            repeatables.append(.init(key: key, kind: row.kind, state: .removed, module: row.module))
        }
        let foreign = installed.keys.filter { catalog.module(named: $0) == nil }.sorted()
        return MigrationStatus(
            modules: target.map { .init(name: $0.name, installed: installed[$0.name] != nil, chosen: installed[$0.name] ?? (options.modules?.contains($0.name) ?? true)) },
            foreignModules: foreign, migrations: entries, repeatables: repeatables,
            storedLogic: options.storedLogic.resolved(ledger).description,
            extensionChange: extensionChanges(ledger, catalog: restricted).description)
    }

    /// A ledger row this catalog manages: written before modules existed, or by one of its modules.
    func isOurs(_ row: LedgerState.RepeatableRow) -> Bool {
        row.module.map { catalog.module(named: $0) != nil } ?? true
    }

    func restrictedCatalog(_ target: [Module]) throws(InvariantsError) -> Catalog {
        do { return try catalog.restricted(to: target.map(\.name)) } catch { throw InvariantsError(.invalidInput, error.message) }
    }

    private func refuseUnsafe(_ status: MigrationStatus) throws(InvariantsError) {
        if let edited = status.migrations.first(where: { $0.state == .checksumMismatch }) {
            throw InvariantsError(.checksumMismatch,
                "applied migration \(edited.file) was changed after it ran (its checksum differs from the ledger's); released migrations are immutable",
                hint: "restore the file from version control and add a new migration for the change")
        }
        let unknown = status.migrations.filter { $0.state == .unknown }
        if !unknown.isEmpty {
            throw InvariantsError(.databaseIsNewer,
                "the database has migrations this build does not know: \(unknown.map(\.file).joined(separator: ", ")); it is newer than this app",
                hint: "upgrade the app (or the migrations directory) before migrating")
        }
    }

    // MARK: The plan

    func makePlan(_ ledger: LedgerState, session: SQLSession) async throws(InvariantsError) -> MigrationPlan {
        let target = try targetModules(ledger)
        let drops = try await dropSteps(ledger, keeping: target, session: session)
        let status = try compare(ledger, target: target)
        try refuseUnsafe(status)
        let restricted = try restrictedCatalog(target)
        let installed = try installed(ledger)
        var steps: [MigrationPlan.Step] = []
        if !ledger.hasModuleLedger {
            steps.append(.init(kind: .ledger, title: "create the module ledger", transactional: true,
                               statements: Ledger.moduleBootstrapStatements, labels: Ledger.moduleBootstrapStatements.map { _ in nil }))
        }
        if ledger.needsLinearMapping { steps.append(linearMappingStep(try linearMapping(ledger))) }
        // The choice is recorded before anything is installed, so a migrate killed halfway is
        // completed by the next plain migrate instead of leaving the set half chosen.
        let newModules = target.filter { installed[$0.name] == nil }
        if !newModules.isEmpty {
            let requested = Set(options.modules ?? catalog.defaultModules)
            let statements = newModules.map { module in
                "INSERT INTO \(Ledger.installedModulesTable.sql) (\"module\", \"chosen\") VALUES (\(SQLText.literal(module.name)), \(requested.contains(module.name))) ON CONFLICT (\"module\") DO NOTHING"
            }
            steps.append(.init(kind: .ledger, title: "record the modules to install: \(newModules.map(\.name).joined(separator: ", "))",
                               transactional: true, statements: statements, labels: statements.map { _ in nil }))
        }

        steps += drops
        let pending = Set(status.pendingMigrations.map { ModuleVersion($0.module, $0.version) })
        var afterRepeatables: [MigrationPlan.Step] = []
        var supersededTriggerDrops: [String] = []
        var adopting: [String] = []
        var accessChanges: [String] = []
        for module in target {
            let chosen = installed[module.name] ?? (options.modules?.contains(module.name) ?? true)
            // Tables the app already has: taken over in place instead of created.
            if let adoption = try await adopts(module, status: status, session: session) {
                let planned = try await adoptionSteps(module, adoption, chosen: chosen, session: session)
                steps += planned.before
                afterRepeatables += planned.after
                supersededTriggerDrops += planned.supersededTriggerDrops
                adopting.append(module.name)
                accessChanges += try await self.accessChanges(module, adoption, session: session)
                continue
            }
            for migration in module.migrations where pending.contains(ModuleVersion(module.name, migration.version)) {
                steps += try await migrationSteps(migration, chosen: chosen, session: session)
            }
        }
        let repeatable = try repeatableStep(status, ledger: ledger, catalog: restricted)
        if let step = replacingAppTriggers(supersededTriggerDrops, in: repeatable?.step) { steps.append(step) }
        // Counter backfills need the triggers in first; the ledger rows come last.
        steps += afterRepeatables
        let action = extensionChanges(ledger, catalog: restricted)
        return MigrationPlan(modules: target.map(\.name), installing: target.map(\.name).filter { installed[$0] == nil },
                             dropping: options.dropModules, adopting: adopting, accessChanges: accessChanges, steps: steps,
                             appliedRepeatables: repeatable?.applied ?? [], droppedRepeatables: repeatable?.dropped ?? [],
                             extensionChange: action.description)
    }

    /// The repeatable set's step with the app's superseded triggers dropped first, in its
    /// transaction: a row written meanwhile meets either the app's trigger or ours, never both
    /// or neither. Without a repeatable step (nothing of ours to install) the drops run alone.
    private func replacingAppTriggers(_ drops: [String], in repeatable: MigrationPlan.Step?) -> MigrationPlan.Step? {
        guard !drops.isEmpty else { return repeatable }
        let label = "the app's trigger this set replaces (found by definition)"
        guard var step = repeatable else {
            let statements = ["SET LOCAL lock_timeout = '5000ms'"] + drops
            return .init(kind: .adoption, title: "drop the app's superseded triggers: \(drops.joined(separator: "; "))", transactional: true,
                         statements: statements, labels: statements.map { _ in label })
        }
        step.statements.insert(contentsOf: drops, at: 1)
        step.labels.insert(contentsOf: drops.map { _ in label }, at: 1)
        step.title += "; replaces the app's: \(drops.joined(separator: "; "))"
        return step
    }

    private func migrationSteps(_ migration: Migration, chosen: Bool, session: SQLSession) async throws(InvariantsError) -> [MigrationPlan.Step] {
        let records = Ledger.recordStatements(for: migration, checksum: MigrationFile.checksum(of: migration), chosen: chosen)
        let count = migration.steps.count
        if migration.steps.allSatisfy(\.transactional) {
            let statements = ["SET LOCAL lock_timeout = '\(migration.lockTimeoutMilliseconds)ms'",
                              "SET LOCAL statement_timeout = '\(migration.statementTimeoutMilliseconds)ms'"]
                + migration.steps.map(\.sql) + records
            let labels: [String?] = [nil, nil] + (1...count).map { "step \($0) of \(count)" } + records.map { _ in nil }
            return [.init(kind: .migration, title: migration.label, transactional: true, statements: statements, labels: labels,
                          module: migration.module, version: migration.version)]
        }
        var statements = ["SET lock_timeout = '\(migration.lockTimeoutMilliseconds)ms'",
                          "SET statement_timeout = '\(migration.statementTimeoutMilliseconds)ms'"]
        var labels: [String?] = [nil, nil]
        var rebuilt: [String] = []
        for (number, step) in migration.steps.enumerated() {
            if let index = step.rebuildsInvalidIndex, try await isInvalidIndex(index, session: session) {
                // A failed earlier CREATE INDEX CONCURRENTLY left it INVALID; IF NOT EXISTS would skip it.
                statements.append("DROP INDEX CONCURRENTLY IF EXISTS \(index.sql)")
                rebuilt.append(index.description)
                labels.append("step \(number + 1) of \(count) (the invalid index a failed earlier run left)")
            }
            statements.append(step.sql)
            labels.append("step \(number + 1) of \(count)")
        }
        statements += ["RESET lock_timeout", "RESET statement_timeout"]
        labels += [nil, nil]
        return [
            .init(kind: .migration, title: migration.label, transactional: false, statements: statements, labels: labels,
                  module: migration.module, version: migration.version, rebuildsInvalidIndexes: rebuilt),
            .init(kind: .migration, title: migration.label + " (ledger row)", transactional: true, statements: records,
                  labels: records.map { _ in nil }, module: migration.module),
        ]
    }

    func isInvalidIndex(_ index: QualifiedName, session: SQLSession) async throws(InvariantsError) -> Bool {
        let rows = try await session.rows("SELECT NOT i.indisvalid FROM pg_catalog.pg_index i WHERE i.indexrelid = to_regclass(\(index.sql))")
        return (try? rows.first?.decode(Bool.self)) == true
    }

    private func repeatableStep(_ status: MigrationStatus, ledger: LedgerState, catalog restricted: Catalog) throws(InvariantsError)
        -> (step: MigrationPlan.Step, applied: [String], dropped: [String])?
    {
        let toApply = Set(status.repeatablesToApply.map(\.key))
        let objects = restricted.repeatables.filter { toApply.contains($0.key) }
        let dropped = status.repeatablesToDrop.map(\.key)
        let action = extensionChanges(ledger, catalog: restricted)
        try checkAvailable(action, ledger: ledger)
        let viaExtension: Bool
        if case .extension = options.storedLogic.resolved(ledger) { viaExtension = true } else { viaExtension = false }
        // Rows whose owner changed (or was never recorded) are re-keyed without re-applying.
        let rekey = restricted.repeatables.filter { object in
            guard !toApply.contains(object.key), let row = ledger.repeatables[object.key] else { return false }
            return row.module != restricted.owners[object.key]
        }
        guard !objects.isEmpty || !dropped.isEmpty || !action.isEmpty || !rekey.isEmpty else { return nil }
        let reported = (objects.map(\.key), dropped)
        var statements = ["SET LOCAL lock_timeout = '5000ms'"]
        var labels: [String?] = [nil]
        // Drop dependents first: grants, policies, views, triggers, then functions.
        let drops = dropped.sorted {
            let a = RepeatableObject.Kind(rawValue: ledger.repeatables[$0]?.kind ?? "") ?? .grant
            let b = RepeatableObject.Kind(rawValue: ledger.repeatables[$1]?.kind ?? "") ?? .grant
            return a != b ? a > b : $0 > $1
        }
        // Around extension changes a removed function goes after the extension statements: an
        // upgrade script drops it (IF EXISTS then finds nothing), or it was released from one.
        var functionDrops: [(String, String)] = []
        for key in drops {
            for statement in ledger.repeatables[key]?.dropStatements ?? [] {
                if viaExtension || !action.isEmpty, ExtensionScript.isFunction(kind: ledger.repeatables[key]?.kind ?? "") {
                    functionDrops.append((statement, key))
                } else {
                    statements.append(statement); labels.append(key)
                }
            }
            statements.append("DELETE FROM \(Ledger.repeatableTable.sql) WHERE \"key\" = \(SQLText.literal(key))")
            labels.append(key)
        }
        for (statement, label) in extensionStatements(action, ledger: ledger) {
            statements.append(statement)
            labels.append(label)
        }
        for (statement, key) in functionDrops { statements.append(statement); labels.append(key) }
        for object in objects {
            // On the extension route the extension created the functions; the ledger still
            // records them, so both routes leave the same ledger.
            if !(viaExtension && ExtensionScript.isFunction(object)) {
                for statement in object.statements { statements.append(statement); labels.append(object.key) }
            }
            statements.append(Ledger.recordStatement(for: object, module: restricted.owners[object.key] ?? ""))
            labels.append(object.key)
        }
        if viaExtension, !action.isEmpty {
            for object in ExtensionScript.functions(of: restricted.repeatables) where !objects.contains(object) {
                statements.append(Ledger.recordStatement(for: object, module: restricted.owners[object.key] ?? ""))
                labels.append(object.key)
            }
        }
        for object in rekey {
            statements.append("UPDATE \(Ledger.repeatableTable.sql) SET \"module\" = \(SQLText.literal(restricted.owners[object.key] ?? "")) WHERE \"key\" = \(SQLText.literal(object.key))")
            labels.append(object.key)
        }
        return (.init(kind: .repeatableSet, title: "repeatable set: \(reported.0.count) to apply, \(reported.1.count) to drop", transactional: true,
                      statements: statements, labels: labels), reported.0, reported.1)
    }
}

// MARK: Dropping a module

extension Migrator {
    /// One step per module in ``Options/dropModules``: its stored logic (the drop statements its
    /// ledger rows recorded), its tables with their data, its ledger rows. Refuses a module that
    /// is not installed, that another kept module needs, or that owns no tables (the framework's
    /// `core` and `auth`); names each table with its row count.
    func dropSteps(_ ledger: LedgerState, keeping target: [Module], session: SQLSession) async throws(InvariantsError) -> [MigrationPlan.Step] {
        guard !options.dropModules.isEmpty else { return [] }
        let installed = try installed(ledger)
        if case .extension = options.storedLogic.resolved(ledger) {
            throw InvariantsError(.invalidInput, "--drop-module works on the repeatable-set route only; the functions of this database come from the extension",
                                  hint: "migrate with --stored-logic repeatable first")
        }
        var steps: [MigrationPlan.Step] = []
        for name in options.dropModules {
            if options.modules?.contains(name) == true {
                throw InvariantsError(.invalidInput, "module \(name) is both in --modules and in --drop-module; choose one")
            }
            guard let module = catalog.module(named: name), installed[name] != nil else {
                throw InvariantsError(.invalidInput, "module \(name) is not installed in this database (installed: \(installed.keys.sorted().joined(separator: ", ")))")
            }
            let needing = target.filter { $0.dependencies.contains(name) }.map(\.name)
            guard needing.isEmpty else {
                throw InvariantsError(.invalidInput, "module \(name) cannot be dropped: \(needing.joined(separator: ", ")) need\(needing.count == 1 ? "s" : "") it (drop \(needing.count == 1 ? "it" : "them") too, or keep it)")
            }
            guard !module.tables.isEmpty else {
                throw InvariantsError(.invalidInput, "module \(name) owns no tables of its own (it is the framework's); it is dropped with the database, not by migrate")
            }
            // The tables that exist: a table of a later version not yet applied here (the module
            // is dropped before its pending migrations run) is not there to drop.
            var counts: [String] = []
            var present: [QualifiedName] = []
            for table in module.tables {
                let exists = try await session.rows(PostgresQuery(unsafeSQL: "SELECT pg_catalog.to_regclass(\(SQLText.literal(table.sql))) IS NOT NULL"))
                guard try exists.first?.value(Bool.self) == true else { continue }
                present.append(table)
                let rows = try await session.rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.sql)"))
                counts.append("\(table) (\(try rows.first?.value(Int64.self) ?? 0) rows)")
            }
            var statements = ["SET LOCAL lock_timeout = '5000ms'"]
            // Rows written before the ledger knew modules (a database mapped from release 0.2)
            // belong to the module that declares them.
            let objects = ledger.repeatables.filter { ($0.value.module ?? catalog.owners[$0.key]) == name }.sorted {
                let a = RepeatableObject.Kind(rawValue: $0.value.kind) ?? .grant
                let b = RepeatableObject.Kind(rawValue: $1.value.kind) ?? .grant
                return a != b ? a > b : $0.key > $1.key
            }
            // Grants, policies, views and triggers first, then the tables, then the functions (a
            // column default or check may call one of them).
            let isFunction = { (row: LedgerState.RepeatableRow) in ExtensionScript.isFunction(kind: row.kind) }
            for (key, row) in objects where !isFunction(row) {
                statements += row.dropStatements
                statements.append("DELETE FROM \(Ledger.repeatableTable.sql) WHERE \"key\" = \(SQLText.literal(key))")
            }
            if !present.isEmpty { statements.append("DROP TABLE " + present.map(\.sql).joined(separator: ", ")) }
            for (key, row) in objects where isFunction(row) {
                statements += row.dropStatements
                statements.append("DELETE FROM \(Ledger.repeatableTable.sql) WHERE \"key\" = \(SQLText.literal(key))")
            }
            statements.append("DELETE FROM \(Ledger.moduleMigrationsTable.sql) WHERE \"module\" = \(SQLText.literal(name))")
            statements.append("DELETE FROM \(Ledger.installedModulesTable.sql) WHERE \"module\" = \(SQLText.literal(name))")
            steps.append(.init(kind: .dropModule, title: "drop module \(name), deleting \(counts.joined(separator: ", "))",
                               transactional: true, statements: statements, labels: statements.map { _ in nil }, module: name))
        }
        return steps
    }
}
