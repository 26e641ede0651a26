import ArgumentParser
import Invariants
import InvariantsMigrator
import InvariantsSchema

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run every invariant of the installed modules as a query; exit 1 when one is broken.",
        discussion: """
            Each invariant is a read-only query returning the rows that break it (counter drift, orphans, rows in the wrong tenant, usage that disagrees with its log…). All of them run in one READ ONLY snapshot. Exit status: 0 when all hold, 1 on a violation (or an error).

            Example:
              invariants check --database-url postgres://postgres@localhost:5432/app --json
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let (checks, violations) = try await failing {
            try await database.withConnection { connection, _ throws(InvariantsError) in
                // Only the modules the database holds: another app's invariants are not its own.
                let installed = try await Migrator(catalog: try database.directory.load(), logger: quietLogger).installedModules(on: connection)
                let checks: [InvariantCheck]
                do throws(SchemaError) {
                    checks = try InvariantsCommandLine.catalog.restricted(to: installed.keys.filter { InvariantsCommandLine.catalog.module(named: $0) != nil }).checks
                } catch { throw InvariantsError(.invalidInput, error.message) }
                return (checks, try await InvariantChecker(checks: checks, logger: quietLogger).violations(on: connection))
            }
        }
        if json {
            struct Report: Encodable { var checked: Int; var violations: [InvariantChecker.Violation] }
            try printJSON(Report(checked: checks.count, violations: violations))
        } else {
            for v in violations {
                print("BROKEN \(v.check): \(v.rows) row(s)")
                for example in v.examples { print("  \(example)") }
            }
            print(violations.isEmpty ? "all \(checks.count) invariants hold" : "\(violations.count) of \(checks.count) invariants broken")
        }
        if !violations.isEmpty { throw ExitCode(1) }
    }
}
