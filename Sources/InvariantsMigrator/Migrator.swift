public import PostgresNIO
public import Logging
public import Invariants
public import InvariantsSchema

/// Applies a ``Catalog`` to a database: pending migrations one per transaction, then the
/// changed part of the repeatable set in one transaction, all under the migration lock.
///
/// Modelled on GRDB's `DatabaseMigrator`: one ledger, migrations as values. It refuses to
/// run when an applied migration's checksum differs from its file (someone edited a
/// released migration) and when the database holds versions it does not know (the database
/// is newer than this build).
public struct Migrator: Sendable {
    public struct Options: Sendable {
        /// How long to wait for another migrator to finish before giving up.
        public var lockWaitTimeout: Duration
        public var lockPollInterval: Duration
        /// Where the stored functions come from; a database switches when this changes.
        public var storedLogic: StoredLogic
        public init(lockWaitTimeout: Duration = .seconds(60), lockPollInterval: Duration = .milliseconds(200),
                    storedLogic: StoredLogic = .repeatableSet) {
            self.lockWaitTimeout = lockWaitTimeout
            self.lockPollInterval = lockPollInterval
            self.storedLogic = storedLogic
        }
    }

    public let catalog: Catalog
    public let options: Options
    public let logger: Logger

    public init(catalog: Catalog, options: Options = Options(), logger: Logger = Logger(label: "invariants.migrator")) throws(InvariantsError) {
        do {
            try catalog.validate()
        } catch {
            throw InvariantsError(.invalidMigrationFile, error.message)
        }
        for migration in catalog.migrations where migration.steps.contains(where: { !$0.transactional }) {
            // A mixed migration that fails halfway cannot be rolled back or safely re-run.
            guard migration.steps.allSatisfy({ !$0.transactional }) else {
                throw InvariantsError(.invalidMigrationFile, "\(MigrationFile.fileName(for: migration)) mixes steps inside and outside a transaction; put the outside-transaction steps (CREATE INDEX CONCURRENTLY…) in a migration of their own")
            }
        }
        self.catalog = catalog
        self.options = options
        self.logger = logger
    }

    // MARK: Status

    /// Reads the ledger (creating nothing) and compares it with the catalog.
    public func status(on connection: PostgresConnection) async throws(InvariantsError) -> MigrationStatus {
        let session = SQLSession(connection: connection, logger: logger)
        let ledger = try await LedgerState.read(session)
        return compare(ledger)
    }

    func compare(_ ledger: LedgerState) -> MigrationStatus {
        var entries: [MigrationStatus.Migration] = []
        let known = Dictionary(uniqueKeysWithValues: catalog.migrations.map { ($0.version, $0) })
        for migration in catalog.migrations {
            let file = MigrationFile.fileName(for: migration)
            if let row = ledger.migrations[migration.version] {
                let state: MigrationStatus.Migration.State = row.checksum == MigrationFile.checksum(of: migration) ? .applied : .checksumMismatch
                entries.append(.init(version: migration.version, name: migration.name, state: state, appliedAt: row.appliedAt,
                                     appliedBy: row.appliedBy, executionMilliseconds: row.executionMilliseconds, file: file))
            } else {
                entries.append(.init(version: migration.version, name: migration.name, state: .pending, file: file))
            }
        }
        for (version, row) in ledger.migrations.sorted(by: { $0.key < $1.key }) where known[version] == nil {
            entries.append(.init(version: version, name: row.name, state: .unknown, appliedAt: row.appliedAt, appliedBy: row.appliedBy,
                                 executionMilliseconds: row.executionMilliseconds, file: MigrationFile.fileName(version: version, name: row.name)))
        }
        var repeatables: [MigrationStatus.Repeatable] = []
        let declared = Set(catalog.repeatables.map(\.key))
        for object in catalog.repeatables {
            let state: MigrationStatus.Repeatable.State
            switch ledger.repeatables[object.key]?.checksum {
            case nil: state = .new
            case RepeatableSetFile.checksum(of: object): state = .current
            default: state = .changed
            }
            repeatables.append(.init(key: object.key, kind: object.kind.rawValue, state: state))
        }
        for (key, row) in ledger.repeatables.sorted(by: { $0.key < $1.key }) where !declared.contains(key) {
            repeatables.append(.init(key: key, kind: row.kind, state: .removed))
        }
        return MigrationStatus(migrations: entries, repeatables: repeatables, storedLogic: options.storedLogic.resolved(ledger).description,
                               extensionChange: extensionAction(ledger).description)
    }

    // MARK: Plan

    /// The SQL `migrate` would run now, in order, without running it.
    public func plan(on connection: PostgresConnection) async throws(InvariantsError) -> MigrationPlan {
        let ledger = try await LedgerState.read(SQLSession(connection: connection, logger: logger))
        let status = compare(ledger)
        try refuseUnsafe(status)
        let pending = Set(status.pendingMigrations.map(\.version))
        let apply = Set(status.repeatablesToApply.map(\.key))
        let drop = status.repeatablesToDrop.map(\.key)
        let action = extensionAction(ledger)
        try checkAvailable(action, ledger: ledger)
        var extensionChange: [MigrationPlan.RepeatableChange] = action == .none ? [] : [
            .init(key: "extension \(ExtensionScript.extensionName)", kind: "extension", change: action.description ?? "",
                  statements: extensionStatements(action, ledger: ledger))
        ]
        if action.recreatesDependents {
            // Dropped before the switch and re-created after it (same transaction).
            for object in catalog.repeatables where !apply.contains(object.key) && Self.dependentKinds.contains(object.kind) && ledger.repeatables[object.key] != nil {
                extensionChange.append(.init(key: object.key, kind: object.kind.rawValue, change: "re-created around the switch",
                                             statements: (ledger.repeatables[object.key]?.dropStatements ?? []) + object.statements))
            }
        }
        return MigrationPlan(
            migrations: catalog.migrations.filter { pending.contains($0.version) }.map {
                .init(file: MigrationFile.fileName(for: $0), statements: $0.steps.map(\.sql))
            },
            repeatables: catalog.repeatables.filter { apply.contains($0.key) }.map { object in
                let change = status.repeatables.first { $0.key == object.key }?.state ?? .new
                return .init(key: object.key, kind: object.kind.rawValue, change: change.rawValue, statements: object.statements)
            } + drop.map { key in
                .init(key: key, kind: ledger.repeatables[key]?.kind ?? "", change: "removed", statements: ledger.repeatables[key]?.dropStatements ?? [])
            } + extensionChange
        )
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

    // MARK: Migrate

    /// Applies everything pending. Safe to run from several processes at once: each
    /// migration is applied exactly once.
    @discardableResult
    public func migrate(on connection: PostgresConnection, progress: (MigrationEvent) -> Void = { _ in }) async throws(InvariantsError) -> MigrationReport {
        let started = ContinuousClock.now
        let session = SQLSession(connection: connection, logger: logger)
        try? await session.run("SET application_name = 'invariants migrate'")
        let lock = MigrationLock(session: session, waitTimeout: options.lockWaitTimeout, pollInterval: options.lockPollInterval)
        try await lock.acquire { progress(.waitingForLock(holder: $0)) }
        progress(.acquiredLock)
        do {
            let report = try await migrateHoldingLock(session, progress: progress, started: started)
            await lock.release()
            return report
        } catch {
            await lock.release()
            throw error
        }
    }

    private func migrateHoldingLock(_ session: SQLSession, progress: (MigrationEvent) -> Void, started: ContinuousClock.Instant) async throws(InvariantsError) -> MigrationReport {
        try await session.transaction { () throws(InvariantsError) in
            for statement in Ledger.bootstrapStatements { try await session.run(statement) }
        }
        let ledger = try await LedgerState.read(session)
        let status = compare(ledger)
        try refuseUnsafe(status)

        var applied: [String] = []
        let pending = Set(status.pendingMigrations.map(\.version))
        for migration in catalog.migrations where pending.contains(migration.version) {
            let file = MigrationFile.fileName(for: migration)
            progress(.applyingMigration(file: file))
            let begin = ContinuousClock.now
            try await apply(migration, session: session, progress: progress)
            progress(.appliedMigration(file: file, milliseconds: Self.milliseconds(since: begin)))
            applied.append(file)
        }

        let toApply = Set(status.repeatablesToApply.map(\.key))
        let objects = catalog.repeatables.filter { toApply.contains($0.key) }
        let dropped = status.repeatablesToDrop.map(\.key)
        let action = extensionAction(ledger)
        try checkAvailable(action, ledger: ledger)
        if !objects.isEmpty || !dropped.isEmpty || action != .none {
            if let change = action.description { progress(.changingExtension(change)) }
            progress(.applyingRepeatables(apply: objects.map(\.key), drop: dropped))
            try await applyRepeatables(objects, dropping: dropped, extension: action, ledger: ledger, session: session)
        }
        return MigrationReport(appliedMigrations: applied, appliedRepeatables: objects.map(\.key), droppedRepeatables: dropped,
                               extensionChange: action.description, milliseconds: Self.milliseconds(since: started))
    }

    private func apply(_ migration: Migration, session: SQLSession, progress: (MigrationEvent) -> Void) async throws(InvariantsError) {
        let file = MigrationFile.fileName(for: migration)
        let record = Ledger.recordStatement(for: migration, checksum: MigrationFile.checksum(of: migration))
        var stepNumber = 0
        do {
            if migration.steps.allSatisfy(\.transactional) {
                try await session.transaction { () throws(InvariantsError) in
                    try await session.run("SET LOCAL lock_timeout = '\(migration.lockTimeoutMilliseconds)ms'")
                    try await session.run("SET LOCAL statement_timeout = '\(migration.statementTimeoutMilliseconds)ms'")
                    for step in migration.steps {
                        stepNumber += 1
                        try await session.run(step.sql)
                    }
                    stepNumber = 0
                    try await session.run(record)
                }
            } else {
                try await session.run("SET lock_timeout = '\(migration.lockTimeoutMilliseconds)ms'")
                try await session.run("SET statement_timeout = '\(migration.statementTimeoutMilliseconds)ms'")
                for step in migration.steps {
                    stepNumber += 1
                    if let index = step.rebuildsInvalidIndex, try await isInvalidIndex(index, session: session) {
                        progress(.rebuildingInvalidIndex(index.description))
                        try await session.run("DROP INDEX CONCURRENTLY IF EXISTS \(index.sql)")
                    }
                    try await session.run(step.sql)
                }
                stepNumber = 0
                try await resetTimeouts(session)
                try await session.transaction { () throws(InvariantsError) in try await session.run(record) }
            }
        } catch {
            if !migration.steps.allSatisfy(\.transactional) { try? await resetTimeouts(session) }
            var failure = error
            let at = stepNumber > 0 ? " at step \(stepNumber) of \(migration.steps.count)" : " while recording it in the ledger"
            failure.message = "migration \(file) failed\(at): \(error.message)"
            failure.kind = .migrationFailed
            if failure.hint == nil, error.kind == .lockTimeout {
                failure.hint = "a long transaction holds a lock this migration needs; retry when it ends, or raise the migration's lock timeout"
            }
            throw failure
        }
    }

    private func resetTimeouts(_ session: SQLSession) async throws(InvariantsError) {
        try await session.run("RESET lock_timeout")
        try await session.run("RESET statement_timeout")
    }

    private func isInvalidIndex(_ index: QualifiedName, session: SQLSession) async throws(InvariantsError) -> Bool {
        let rows = try await session.rows("SELECT NOT i.indisvalid FROM pg_catalog.pg_index i WHERE i.indexrelid = to_regclass(\(index.sql))")
        return (try? rows.first?.decode(Bool.self)) == true
    }

    /// Kinds that may use a function and are dropped and re-created around a switch of the
    /// functions' route (table security uses none and is never dropped automatically).
    static let dependentKinds: Set<RepeatableObject.Kind> = [.trigger, .view, .policy, .grant]

    private func applyRepeatables(_ objects: [RepeatableObject], dropping removed: [String], extension action: ExtensionAction,
                                  ledger: LedgerState, session: SQLSession) async throws(InvariantsError) {
        var current = ""
        let viaExtension: Bool
        if case .extension = options.storedLogic.resolved(ledger) { viaExtension = true } else { viaExtension = false }
        var dropped = removed
        var applied = objects
        if action.recreatesDependents {
            // Everything that may use a function goes first and comes back after.
            let dependents = ledger.repeatables.filter { RepeatableObject.Kind(rawValue: $0.value.kind).map(Self.dependentKinds.contains) ?? false }.keys
            dropped = Array(Set(dropped).union(dependents))
            let again = Set(dependents).subtracting(Set(objects.map(\.key)))
            applied = catalog.repeatables.filter { again.contains($0.key) || objects.contains($0) }
        }
        do {
            try await session.transaction { () throws(InvariantsError) in
                try await session.run("SET LOCAL lock_timeout = '5000ms'")
                // Drop dependents first: grants, policies, views, triggers, then functions.
                let drops = dropped.sorted {
                    let a = RepeatableObject.Kind(rawValue: ledger.repeatables[$0]?.kind ?? "") ?? .grant
                    let b = RepeatableObject.Kind(rawValue: ledger.repeatables[$1]?.kind ?? "") ?? .grant
                    return a != b ? a > b : $0 > $1
                }
                for key in drops {
                    current = key
                    let isFunction = ExtensionScript.isFunction(kind: ledger.repeatables[key]?.kind ?? "")
                    // On the extension route its upgrade script drops removed functions.
                    if !(viaExtension && isFunction) {
                        for statement in ledger.repeatables[key]?.dropStatements ?? [] { try await session.run(statement) }
                    }
                    try await session.run("DELETE FROM \(Ledger.repeatableTable.sql) WHERE \"key\" = \(SQLText.literal(key))")
                }
                current = "extension \(ExtensionScript.extensionName)"
                try await applyExtension(action, ledger: ledger, session: session)
                for object in applied {
                    current = object.key
                    // On the extension route the extension created the functions; the ledger
                    // still records them, so both routes leave the same ledger.
                    if !(viaExtension && ExtensionScript.isFunction(object)) {
                        for statement in object.statements { try await session.run(statement) }
                    }
                    try await session.run(Ledger.recordStatement(for: object))
                }
                if viaExtension, action != .none {
                    for object in ExtensionScript.functions(of: catalog.repeatables) where !applied.contains(object) {
                        try await session.run(Ledger.recordStatement(for: object))
                    }
                }
            }
        } catch {
            var failure = error
            failure.kind = .migrationFailed
            failure.message = "repeatable object '\(current)' failed: \(error.message) (nothing of the repeatable set was changed)"
            throw failure
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// The SQL `migrate` would run, for `invariants plan`.
public struct MigrationPlan: Sendable, Codable, Hashable {
    public struct PendingMigration: Sendable, Codable, Hashable {
        public var file: String
        public var statements: [String]
    }
    public struct RepeatableChange: Sendable, Codable, Hashable {
        public var key: String
        public var kind: String
        /// `new`, `changed` or `removed`
        public var change: String
        public var statements: [String]
    }
    public var migrations: [PendingMigration]
    public var repeatables: [RepeatableChange]

    public var isEmpty: Bool { migrations.isEmpty && repeatables.isEmpty }
}
