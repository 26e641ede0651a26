public import PostgresNIO
public import Logging
public import Invariants
public import InvariantsSchema

/// Applies a `Catalog` to a database, module by module: it computes one ``MigrationPlan``
/// from the ledger (the linear ledger mapped, pending migrations one per transaction, the
/// changed part of the repeatable set in one transaction) and executes exactly that plan, all
/// under the migration lock.
///
/// Modelled on GRDB's `DatabaseMigrator`. It refuses to run when an applied migration's
/// checksum differs from its file (someone edited a released migration), when the database
/// holds versions it does not know (the database is newer than this build), and on a
/// non-empty database without a ledger unless told which modules to install.
public struct Migrator: Sendable {
    /// How a migrator waits, where the functions come from, which modules to install or drop.
    public struct Options: Sendable {
        /// How long to wait for another migrator to finish before giving up.
        public var lockWaitTimeout: Duration
        public var lockPollInterval: Duration
        /// Where the stored functions come from; a database switches when this changes.
        public var storedLogic: StoredLogic
        /// Modules to install (with their dependencies) besides those the database holds;
        /// nil: the installed set, or the catalog's default set on an empty database.
        public var modules: [String]?
        /// Modules to remove from the database, their tables and data included. Never a side
        /// effect: only the modules named here, and only with ``confirmDataLoss``.
        public var dropModules: [String]
        /// Required by `migrate` when ``dropModules`` is not empty (`plan` shows what would go).
        public var confirmDataLoss: Bool
        /// What an adoption does with rows whose parent is gone: refuse (the default), delete
        /// them, or move them to a quarantine table.
        public var orphans: OrphanResolution = .refuse
        public init(lockWaitTimeout: Duration = .seconds(60), lockPollInterval: Duration = .milliseconds(200),
                    storedLogic: StoredLogic = .repeatableSet, modules: [String]? = nil,
                    dropModules: [String] = [], confirmDataLoss: Bool = false) {
            self.lockWaitTimeout = lockWaitTimeout
            self.lockPollInterval = lockPollInterval
            self.storedLogic = storedLogic
            self.modules = modules
            self.dropModules = dropModules
            self.confirmDataLoss = confirmDataLoss
        }
    }

    /// Every module the app declares (the database holds some of them).
    /// What `--orphans` chose.
    public enum OrphanResolution: String, Sendable, CaseIterable {
        case refuse, delete, quarantine
    }

    public let catalog: Catalog
    public let options: Options
    public let logger: Logger

    /// A migrator for `catalog`. Refuses an invalid catalog, unknown module names in `options`,
    /// and a migration that mixes steps inside and outside a transaction.
    public init(catalog: Catalog, options: Options = Options(), logger: Logger = Logger(label: "invariants.migrator")) throws(InvariantsError) {
        do {
            try catalog.validate()
            if let modules = options.modules { _ = try catalog.closure(of: modules) }
            _ = try catalog.closure(of: options.dropModules)
        } catch {
            throw InvariantsError(options.modules == nil ? .invalidMigrationFile : .invalidInput, error.message)
        }
        for migration in catalog.migrations where migration.steps.contains(where: { !$0.transactional }) {
            // A mixed migration that fails halfway cannot be rolled back or safely re-run.
            guard migration.steps.allSatisfy({ !$0.transactional }) else {
                throw InvariantsError(.invalidMigrationFile, "\(migration.label) mixes steps inside and outside a transaction; put the outside-transaction steps (CREATE INDEX CONCURRENTLY…) in a migration of their own")
            }
        }
        self.catalog = catalog
        self.options = options
        self.logger = logger
    }

    // MARK: Status

    /// Reads the ledger (creating nothing) and compares it with the modules the database holds
    /// (or would hold after `migrate` with these options).
    public func status(on connection: PostgresConnection) async throws(InvariantsError) -> MigrationStatus {
        let session = SQLSession(connection: connection, logger: logger)
        let ledger = try await LedgerState.read(session)
        var status = try compare(ledger, target: try targetModules(ledger))
        status.adoptionProgress = try await adoptionProgressLines(session: session)
        return status
    }

    /// The modules the database holds, as the ledger says (mapped from the linear ledger where
    /// needed); empty for a database without a ledger.
    public func installedModules(on connection: PostgresConnection) async throws(InvariantsError) -> [String: Bool] {
        let ledger = try await LedgerState.read(SQLSession(connection: connection, logger: logger))
        return try installed(ledger)
    }

    // MARK: Plan

    /// What `migrate` would send now, in order, without sending it.
    public func plan(on connection: PostgresConnection) async throws(InvariantsError) -> MigrationPlan {
        let ledger = try await LedgerState.read(SQLSession(connection: connection, logger: logger))
        return try await makePlan(ledger, session: SQLSession(connection: connection, logger: logger))
    }

    // MARK: Migrate

    /// Executes the plan. Safe to run from several processes at once: the plan is computed
    /// under the lock, so each migration is applied exactly once.
    @discardableResult
    public func migrate(on connection: PostgresConnection, progress: (MigrationEvent) -> Void = { _ in }) async throws(InvariantsError) -> MigrationReport {
        let started = ContinuousClock.now
        let session = SQLSession(connection: connection, logger: logger)
        try? await session.run("SET application_name = 'invariants migrate'")
        let lock = MigrationLock(session: session, waitTimeout: options.lockWaitTimeout, pollInterval: options.lockPollInterval)
        try await lock.acquire { progress(.waitingForLock(holder: $0)) }
        progress(.acquiredLock)
        do throws(InvariantsError) {
            let ledger = try await LedgerState.read(session)
            let plan = try await makePlan(ledger, session: session)
            if let drop = plan.steps.first(where: { $0.kind == .dropModule }), !options.confirmDataLoss {
                throw InvariantsError(.invalidInput, "\(drop.title): nothing was changed",
                    hint: "check with `invariants plan --drop-module …`, back the data up, then pass --confirm-data-loss")
            }
            try await execute(plan, session: session, progress: progress)
            await lock.release()
            var report = MigrationReport(modules: plan.modules, installedModules: plan.installing, droppedModules: plan.dropping,
                                   appliedMigrations: plan.migrations,
                                   appliedRepeatables: plan.appliedRepeatables, droppedRepeatables: plan.droppedRepeatables,
                                   extensionChange: plan.extensionChange, milliseconds: Self.milliseconds(since: started))
            report.adoptedModules = plan.adopting
            return report
        } catch {
            await lock.release()
            throw error
        }
    }

    /// Sends `plan`, step by step; a failing step rolls back alone and names what failed.
    func execute(_ plan: MigrationPlan, session: SQLSession, progress: (MigrationEvent) -> Void) async throws(InvariantsError) {
        for step in plan.steps {
            let begin = ContinuousClock.now
            switch step.kind {
            case .migration where step.version != nil: progress(.applyingMigration(file: step.title))
            case .repeatableSet:
                if let change = plan.extensionChange { progress(.changingExtension(change)) }
                progress(.applyingRepeatables(apply: plan.appliedRepeatables, drop: plan.droppedRepeatables))
            case .ledger, .dropModule: progress(.updatingLedger(step.title))
            case .adoption: progress(.adoptionStep(step.title))
            default: break
            }
            if let batch = step.batch {
                try await runBatches(batch, step: step, session: session, progress: progress)
                continue
            }
            for index in step.rebuildsInvalidIndexes { progress(.rebuildingInvalidIndex(index)) }
            var index = 0
            do {
                if step.transactional {
                    try await session.transaction { () throws(InvariantsError) in
                        for statement in step.statements {
                            try await session.run(statement)
                            index += 1
                        }
                    }
                } else {
                    for statement in step.statements {
                        try await session.run(statement)
                        index += 1
                    }
                }
            } catch {
                if !step.transactional { try? await session.run("RESET lock_timeout"); try? await session.run("RESET statement_timeout") }
                throw failure(error, in: step, at: index)
            }
            if step.kind == .migration, step.version != nil { progress(.appliedMigration(file: step.title, milliseconds: Self.milliseconds(since: begin))) }
        }
    }

    /// One transaction per batch: the statement, then its cursor recorded, so a run killed
    /// between two batches resumes after the last committed one.
    private func runBatches(_ batch: MigrationPlan.Step.Batch, step: MigrationPlan.Step, session: SQLSession,
                            progress: (MigrationEvent) -> Void) async throws(InvariantsError) {
        var cursor = batch.cursor
        var total: Int64 = 0
        let module = SQLText.literal(batch.module), key = SQLText.literal(batch.step)
        repeat {
            let sql = batch.statement(cursor: cursor)
            let next: String?, rows: Int64
            do throws(InvariantsError) {
                (next, rows) = try await session.transaction { () throws(InvariantsError) -> (String?, Int64) in
                    try await session.run("SET LOCAL lock_timeout = '\(batch.lockTimeoutMilliseconds)ms'")
                    let row = try await session.rows(PostgresQuery(unsafeSQL: sql)).first
                    let (next, rows) = (try? row?.decode((String?, Int64).self)) ?? (nil, Int64(0))
                    try await session.run("""
                        INSERT INTO \(Adoption.ledgerTable.sql) ("module", "step", "cursor", "rows", "finished_at")
                        VALUES (\(module), \(key), \(next.map(SQLText.literal) ?? "NULL"), \(rows), \(next == nil ? "now()" : "NULL"))
                        ON CONFLICT ("module", "step") DO UPDATE
                        SET "cursor" = EXCLUDED."cursor", "rows" = \(Adoption.ledgerTable.sql)."rows" + EXCLUDED."rows",
                            "finished_at" = EXCLUDED."finished_at"
                        """)
                    return (next, rows)
                }
            } catch {
                throw failure(error, in: step, at: 1)
            }
            total += rows
            cursor = next
            progress(.adoptionBatch(step: batch.step, rows: rows, total: total, cursor: next))
        } while cursor != nil
    }

    private func failure(_ error: InvariantsError, in step: MigrationPlan.Step, at index: Int) -> InvariantsError {
        var failure = error
        failure.kind = .migrationFailed
        let label = index < step.labels.count ? step.labels[index] : nil
        switch step.kind {
        case .migration:
            failure.message = "migration \(step.title) failed \(label.map { "at \($0)" } ?? "while recording it in the ledger"): \(error.message)"
            if failure.hint == nil, error.kind == .lockTimeout {
                failure.hint = "a long transaction holds a lock this migration needs; retry when it ends, or raise the migration's lock timeout"
            }
        case .repeatableSet:
            failure.message = "repeatable object '\(label ?? "ledger")' failed: \(error.message) (nothing of the repeatable set was changed)"
        case .ledger, .dropModule:
            failure.message = "\(step.title) failed: \(error.message)"
        case .adoption:
            failure.message = "adoption step '\(step.title)' failed: \(error.message) (the steps before it stay done; "
                + "run migrate again to go on from here)"
            if failure.hint == nil, error.kind == .lockTimeout {
                failure.hint = "a long transaction holds a lock this step needs; the next migrate retries it"
            }
        }
        return failure
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
