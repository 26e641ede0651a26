import ArgumentParser
import Invariants
import InvariantsMigrator

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print exactly what `migrate` would send now, and apply nothing.",
        discussion: """
            Migrate computes this same plan under its lock and executes it statement for statement: the ledger steps (creating the module ledger, mapping a linear ledger), each pending migration as a transaction with its timeouts and ledger rows, and the changed part of the repeatable set (objects applied, dropped, re-keyed) with the extension change, if any. Takes the same --modules, --stored-logic, --drop-module and --orphans as migrate. For a module adopting tables the app already has, it lists each adoption step still to do (added columns and constraints, the app's objects replaced, batched backfills with their statement, the grants and policies of the repeatable set); a mismatch or orphans refuse here as in migrate.

            Example:
              export DATABASE_URL=postgres://postgres:secret@localhost:5432/app
              invariants plan --modules gig_responses
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var storedLogic: StoredLogicOptions
    @OptionGroup var modules: ModuleOptions
    @OptionGroup var drop: DropModuleOptions
    @OptionGroup var orphans: OrphanOptions

    @Flag(help: "Print the plan as JSON.")
    var json = false

    func run() async throws {
        let plan = try await failing {
            var options = Migrator.Options(storedLogic: try storedLogic.storedLogic(besides: database.directory), modules: try modules.names(),
                                           dropModules: drop.names)
            options.orphans = try orphans.resolution()
            let migrator = try Migrator(catalog: try database.directory.load(), options: options, logger: quietLogger)
            return try await database.withConnection { connection, _ throws(InvariantsError) in
                try await migrator.plan(on: connection)
            }
        }
        if json { return try printJSON(plan) }
        if plan.isEmpty { return print("-- nothing to do: the database is up to date (modules: \(plan.modules.joined(separator: ", ")))") }
        print(plan.rendered(), terminator: "")
    }
}
