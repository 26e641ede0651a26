import ArgumentParser
import Invariants
import InvariantsMigrator

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the installed modules, which migrations are applied or pending, and which stored logic changed.",
        discussion: """
            Reads the ledger (invariants.installed_modules, invariants.module_migrations, invariants.repeatable_objects); changes nothing. Covers the installed modules only (with --modules, also those migrate would install). Exits 0 when the database is up to date, 1 when something is pending or refused.

            Example:
              invariants status --database-url postgres://postgres:secret@localhost/app
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var storedLogic: StoredLogicOptions
    @OptionGroup var modules: ModuleOptions

    @Flag(help: "Print the status as JSON.")
    var json = false

    func run() async throws {
        let status = try await failing {
            let migrator = try Migrator(catalog: try database.directory.load(), options: .init(storedLogic: try storedLogic.storedLogic(besides: database.directory), modules: try modules.names()),
                                        logger: quietLogger)
            return try await database.withConnection { connection, _ throws(InvariantsError) in
                try await migrator.status(on: connection)
            }
        }
        if json {
            try printJSON(status)
        } else {
            print("modules:")
            for module in status.modules {
                let state = module.installed ? (module.chosen ? "installed" : "installed (dependency)") : "to install"
                print("  \(state.padding(toLength: 24, withPad: " ", startingAt: 0)) \(module.name)")
            }
            for name in status.foreignModules { print("  \("not this catalog's".padding(toLength: 24, withPad: " ", startingAt: 0)) \(name)") }
            print("migrations:")
            for m in status.migrations {
                let when = m.appliedAt.map { " at \($0) by \(m.appliedBy ?? "?") (\(m.executionMilliseconds ?? 0) ms)" } ?? ""
                print("  \(m.state.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \(m.file)\(when)")
            }
            let counts = Dictionary(grouping: status.repeatables, by: \.state).mapValues(\.count)
            print("repeatable set: \(counts[.current] ?? 0) current, \(counts[.new] ?? 0) new, \(counts[.changed] ?? 0) changed, \(counts[.removed] ?? 0) to drop")
            for r in status.repeatables where r.state != .current {
                print("  \(r.state.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \(r.key)")
            }
            if !status.adoptionProgress.isEmpty {
                print("adoption under way (run `invariants migrate` to finish it):")
                for line in status.adoptionProgress { print("  " + line) }
            }
            print("functions from: \(status.storedLogic)")
            if let change = status.extensionChange { print("  pending: \(change)") }
            print(status.isUpToDate ? "up to date" : "not up to date: run `invariants migrate`")
        }
        if !status.isUpToDate { throw ExitCode(1) }
    }
}
