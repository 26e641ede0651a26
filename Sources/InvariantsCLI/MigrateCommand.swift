import ArgumentParser
import Invariants
import InvariantsMigrator

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Install modules and apply their pending migrations and changed stored logic.",
        discussion: """
            A database holds the modules its app chose. --modules installs the named modules and their dependencies and records the choice in invariants.installed_modules, so a later plain migrate upgrades exactly the installed set. On a database without a ledger, a plain migrate installs the catalog's default set only when the database is empty; otherwise it refuses and asks for --modules. A database on the linear ledger of release 0.2 or earlier is first mapped onto the modules in place (nothing re-runs).

            Migrate computes one plan and executes it (`invariants plan` prints it). Each migration runs in its own transaction and is recorded in invariants.module_migrations; steps marked outside-transaction, such as CREATE INDEX CONCURRENTLY, run alone. Concurrent migrators wait for one another on an advisory lock, so each migration is applied exactly once. Migrate refuses to run when an applied migration was edited, or when the database is newer than this build.

            The functions come from sql/<module>/repeatable.sql or, with --stored-logic extension, from CREATE EXTENSION invariants_<module> (the extension's files installed on the server with make -C extension install); triggers, views, policies and grants always come from the repeatable set. Without the flag a database keeps its route; with it, the database switches in one transaction.

            On a database where the app already made a module's tables (seed 004's gigs and responses, say), --modules adopts them in place and online, following sql/<module>/adopt.sql: it first checks them against the declaration and refuses, listing every mismatch, with nothing changed; it refuses on orphan rows unless --orphans says what to do with them; then it adds what is missing (columns, kept keys filled in batches, constraints NOT VALID then validated, indexes CONCURRENTLY), installs the triggers, backfills the counters in batches and records the module's versions. Every step runs under a 5 s lock timeout; a step that cannot get its lock fails cleanly and the next migrate resumes there (batches keep their cursor in invariants.adoptions).

            Needs a direct connection: the lock is per session, and a transaction-mode pooler (PgBouncer, Supabase's pooler on port 6543) hands the session to others.

            Examples:
              invariants migrate \\
                --database-url 'postgres://app:secret@db.example.com/app?sslmode=require'
              invariants migrate --modules gig_responses      # with DATABASE_URL set
              invariants migrate --drop-module generations --confirm-data-loss
              invariants migrate --modules gig_responses --orphans quarantine
              invariants migrate --stored-logic extension
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var storedLogic: StoredLogicOptions
    @OptionGroup var modules: ModuleOptions
    @OptionGroup var drop: DropModuleOptions
    @OptionGroup var orphans: OrphanOptions

    @Option(help: ArgumentHelp("Seconds to wait for another migrator's lock before giving up.", valueName: "seconds"))
    var lockTimeout: Int = 60

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        try await failing {
            guard lockTimeout > 0 else { throw InvariantsError(.invalidInput, "--lock-timeout must be a positive number of seconds") }
            let catalog = try database.directory.load()
            var options = Migrator.Options(lockWaitTimeout: .seconds(lockTimeout), storedLogic: try storedLogic.storedLogic(besides: database.directory),
                                           modules: try modules.names(), dropModules: drop.names, confirmDataLoss: drop.confirmDataLoss)
            options.orphans = try orphans.resolution()
            let migrator = try Migrator(catalog: catalog, options: options, logger: quietLogger)
            let url = try database.url()
            if Self.looksPooled(url) {
                note("warning: \(url.endpoint) looks like a connection pooler; migrate needs a direct connection (its advisory lock is per session)")
            }
            let report = try await database.withConnection { connection, _ throws(InvariantsError) in
                try await migrator.migrate(on: connection) { event in
                    guard !json else { return }
                    switch event {
                    case .waitingForLock(let holder): note("waiting for the migration lock, held by \(holder)")
                    case .acquiredLock: break
                    case .applyingMigration(let file): print("applying \(file) …", terminator: "")
                    case .appliedMigration(_, let ms): print(" done in \(ms) ms")
                    case .rebuildingInvalidIndex(let index): note("rebuilding invalid index \(index) left by a failed earlier run")
                    case .changingExtension(let change): print(change)
                    case .applyingRepeatables(let apply, let drop):
                        print("repeatable set: \(apply.count) to apply, \(drop.count) to drop")
                    case .updatingLedger(let what): print("ledger: \(what)")
                    case .adoptionStep(let what): print("adopt: \(what)")
                    case .adoptionBatch(_, let rows, let total, let cursor):
                        print("  batch: \(rows) row(s), \(total) so far\(cursor.map { ", at \($0)" } ?? ", done")")
                    }
                }
            }
            if json {
                try printJSON(report)
            } else if report.changedAnything {
                if !report.installedModules.isEmpty { print("installed modules: \(report.installedModules.joined(separator: ", "))") }
                if !report.adoptedModules.isEmpty { print("adopted the existing tables for: \(report.adoptedModules.joined(separator: ", "))") }
                if !report.droppedModules.isEmpty { print("dropped modules: \(report.droppedModules.joined(separator: ", "))") }
                print("migrated \(url) in \(report.milliseconds) ms: \(report.appliedMigrations.count) migration(s), \(report.appliedRepeatables.count) object(s) applied, \(report.droppedRepeatables.count) dropped")
            } else {
                print("\(url) is up to date (modules: \(report.modules.joined(separator: ", ")))")
            }
        }
    }

    /// Transaction-mode poolers on their usual ports or hosts (a warning, not a refusal:
    /// it cannot be detected reliably).
    static func looksPooled(_ url: DatabaseURL) -> Bool {
        url.port == 6543 || url.port == 6432 || (url.host ?? "").contains("pooler.")
    }
}
