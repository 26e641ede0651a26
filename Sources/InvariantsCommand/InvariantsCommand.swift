import ArgumentParser

@main
struct InvariantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invariants",
        abstract: "Data invariants that live in PostgreSQL: generate, review and apply them.",
        discussion: """
            Declarations in Swift render to versioned SQL in sql/ (generate); the migrator applies it
            (migrate), shows where a database stands (status) and what it would run (plan).
            Connections take a URL: --database-url postgres://user:password@host:5432/db?sslmode=require
            or the DATABASE_URL environment variable.
            """,
        subcommands: [
            ModulesCommand.self, MigrateCommand.self, StatusCommand.self, PlanCommand.self, GenerateCommand.self,
            ReleaseCommand.self, DevCommand.self, DemoCommand.self, LintCommand.self, VerifyCommand.self,
            SyncCountsCommand.self, CheckCountsCommand.self, CheckCommand.self,
        ]
    )
}
