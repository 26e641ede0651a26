import ArgumentParser
import Invariants
import InvariantsMigrator

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the SQL that `migrate` would run now, and apply nothing.",
        discussion: """
            Lists the pending migrations with their statements, and the repeatable objects that are
            new, changed or to be dropped.

            Example:
              DATABASE_URL=postgres://postgres:secret@localhost:5432/app invariants plan
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var storedLogic: StoredLogicOptions

    @Flag(help: "Print the plan as JSON.")
    var json = false

    func run() async throws {
        let plan = try await failing {
            let migrator = try Migrator(catalog: try database.directory.load(), options: .init(storedLogic: try storedLogic.storedLogic(besides: database.directory)), logger: quietLogger)
            return try await database.withConnection { connection, _ throws(InvariantsError) in
                try await migrator.plan(on: connection)
            }
        }
        if json { return try printJSON(plan) }
        if plan.isEmpty { return print("-- nothing to do: the database is up to date") }
        for migration in plan.migrations {
            print("-- migration \(migration.file)")
            for statement in migration.statements { print(statement + ";\n") }
        }
        for object in plan.repeatables {
            print("-- \(object.change) \(object.kind): \(object.key)")
            for statement in object.statements { print(statement + ";\n") }
        }
    }
}
