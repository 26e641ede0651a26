import ArgumentParser
import Invariants
import InvariantsMigrator

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare a live database with what the declarations render; name every difference.",
        discussion: """
            Builds the expected schema for real: a scratch database on the same server is migrated with sql/ (on the live database's route: repeatable set or extension), both databases are read into a normalized catalog snapshot (tables, columns, constraints, indexes, functions with their bodies and settings, triggers and whether they are enabled, policies, views with their options, sequences, grants), and every difference is printed as changed, missing or unexpected. Only the schemas the declarations use are compared; the app's own tables there (declared by no installed module) are listed apart, with everything on them, not judged. The scratch database is dropped afterwards; the role needs CREATEDB.

            Exit status: 0 when there is no drift, 1 on drift (or an error). Run it after someone may have edited a function, trigger or policy by hand in a SQL editor.

            Example:
              invariants verify \\
                --database-url postgres://postgres:secret@db.example.com:5432/app
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var storedLogic: StoredLogicOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let report = try await failing {
            let catalog = try database.directory.load()
            let verifier = Verifier(catalog: catalog, storedLogic: try storedLogic.storedLogic(besides: database.directory), logger: quietLogger)
            return try await verifier.verify(url: try database.url())
        }
        if json {
            try printJSON(report)
        } else {
            for line in report.pending { print("note: \(line) (run `invariants migrate`)") }
            for difference in report.differences { print(difference) }
            for line in report.accepted { print("accepted: \(line)") }
            if !report.appTables.isEmpty {
                print("not judged, the app's own (no installed module declares them): \(report.appTables.joined(separator: ", "))")
            }
            print(report.isClean ? "no drift: the database matches the declarations (functions from \(report.storedLogic))"
                                 : "\(report.differences.count) difference(s) from the declarations")
        }
        if !report.isClean { throw ExitCode(1) }
    }
}
