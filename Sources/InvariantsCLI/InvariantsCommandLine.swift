public import ArgumentParser
public import InvariantsSchema

/// An app's command line: its catalog (the Swift declarations) and the commands it adds.
///
/// Every app gets `modules`, `migrate`, `status`, `plan`, `verify`, `check`, `lint`, `generate`,
/// `release`, `dev` and `counters` for its own declarations; `migrate` and its kin apply the
/// committed `sql/` directory, which `generate` renders from ``catalog``.
///
/// ```swift
/// import InvariantsCLI
/// import ForumApp
///
/// @main enum ForumCLI {
///     static func main() async {
///         await InvariantsCommandLine.main(CommandLineApp(name: "forum", catalog: ForumCatalog.catalog))
///     }
/// }
/// ```
public struct CommandLineApp: Sendable {
    /// The executable's name, as `--help` shows it.
    public var name: String
    /// One line for `--help`.
    public var abstract: String
    /// The app's modules, as declared in Swift.
    public var catalog: Catalog
    /// Commands of the app's own (a demo, seed-specific names for the generic ones).
    public nonisolated(unsafe) var extraCommands: [any ParsableCommand.Type]

    public init(name: String, abstract: String? = nil, catalog: Catalog, extraCommands: [any ParsableCommand.Type] = []) {
        self.name = name
        self.abstract = abstract ?? "Data invariants that live in PostgreSQL: generate, review and apply them."
        self.catalog = catalog
        self.extraCommands = extraCommands
    }
}

/// The entry point of an app's command line (see ``CommandLineApp``).
public enum InvariantsCommandLine {
    /// The app being run; set once by ``main(_:)`` before the arguments are parsed.
    nonisolated(unsafe) static var app = CommandLineApp(name: "invariants", catalog: try! Catalog(modules: []))

    /// The framework's commands, in the order `--help` lists them.
    public static let commands: [any ParsableCommand.Type] = [
        ModulesCommand.self, MigrateCommand.self, StatusCommand.self, PlanCommand.self, VerifyCommand.self, CheckCommand.self,
        LintCommand.self, CountersCommand.self, GenerateCommand.self, ReleaseCommand.self, DevCommand.self,
    ]

    /// Parses the process's arguments and runs the command; exits with its status.
    public static func main(_ app: CommandLineApp) async {
        self.app = app
        await RootCommand.main()
    }

    /// The app's catalog (the Swift declarations).
    static var catalog: Catalog { app.catalog }
}

struct RootCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: InvariantsCommandLine.app.name,
            abstract: InvariantsCommandLine.app.abstract,
            discussion: """
                Declarations in Swift render to versioned SQL in sql/ (generate); the migrator installs the modules a database needs and applies their migrations (migrate), shows where a database stands (status, modules) and what it would run (plan).

                Commands that talk to a database take its URL with --database-url or from the DATABASE_URL environment variable, for example:
                  postgres://user:password@host:5432/db?sslmode=require
                """,
            subcommands: InvariantsCommandLine.commands + InvariantsCommandLine.app.extraCommands
        )
    }
}
