import ArgumentParser
import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema

/// `lint --citus` and its `--modules`: which modules the Citus report covers.
struct CitusLintOptions: ParsableArguments {
    @Flag(help: "Print a Citus readiness report of the declarations instead of the security lint (exit 0 when it ran).")
    var citus = false

    @Option(name: .customLong("modules"), help: ArgumentHelp(
        "With --citus: report on these modules (and their dependencies). Default: the modules the database holds when a database is given (--database-url or DATABASE_URL), else every module of the catalog.",
        valueName: "a,b"))
    var modules: String?

    func validate() throws {
        // Silently ignored by the security lint, it would look like a narrowed lint that is not.
        if modules != nil && !citus { throw ValidationError("--modules goes with --citus (the security lint covers the whole database)") }
    }
}

/// Builds and prints the Citus report (``CitusReport``).
enum CitusLint {
    static func run(_ options: CitusLintOptions, database: DatabaseOptions, json: Bool) async throws {
        let report = try await failing {
            let names = try await modules(options, database: database)
            do throws(SchemaError) {
                return try CitusReport.analyze(InvariantsCommandLine.catalog, modules: names)
            } catch { throw InvariantsError(.invalidInput, error.message, column: "modules") }
        }
        if json { return try printJSON(report) }
        print(CitusReportText(report: report).text, terminator: "")
    }

    /// `--modules`, else the database's installed modules, else nil (every module).
    private static func modules(_ options: CitusLintOptions, database: DatabaseOptions) async throws(InvariantsError) -> [String]? {
        if let list = options.modules {
            let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty else { throw InvariantsError(.invalidInput, "--modules needs at least one module name", column: "modules") }
            return names
        }
        guard database.databaseURL != nil || ProcessInfo.processInfo.environment["DATABASE_URL"] != nil else { return nil }
        let installed = try await database.withConnection { connection, _ throws(InvariantsError) in
            try await Migrator(catalog: try database.directory.load(), options: .init(modules: []), logger: quietLogger)
                .installedModules(on: connection)
        }
        let known = InvariantsCommandLine.catalog.modules.map(\.name).filter { installed[$0] != nil }
        guard !known.isEmpty else {
            throw InvariantsError(.invalidInput, "the database holds none of this catalog's modules; pass --modules a,b to report on declarations alone")
        }
        return known
    }
}
