import ArgumentParser
import Invariants
import InvariantsMigrator

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Render the Swift declarations to sql/ (or check that sql/ is current).",
        discussion: """
            Writes sql/<module>/migrations/NNNN_name.sql for every migration that is not yet released, sql/<module>/repeatable.sql for the stored logic, and the extensions' files in extension/: invariants_<module>.control for each module with functions, invariants_<module>--dev.<hash>.sql and the upgrade to it from the module's newest release when its functions changed since, and the frozen invariants.control and invariants--<release>--modules.sql (the way off the single extension of releases 0.1 and 0.2).

            Released migrations (up to the version in sql/RELEASED) and released extension scripts are never rewritten: their files are the source of truth.

            With --check, writes nothing and exits 1, printing a diff, when a file differs from what the declarations render (CI runs this).

            Examples:
              invariants generate
              invariants generate --check
            """
    )

    @Option(name: .customLong("sql-dir"), help: ArgumentHelp("Where to write. Default: $INVARIANTS_SQL_DIR, else ./sql.", valueName: "path"))
    var sqlDirectory: String?

    @Option(name: .customLong("extension-dir"), help: ArgumentHelp("The extension directory. Default: extension/ beside the SQL directory.", valueName: "path"))
    var extensionDirectory: String?

    @Flag(help: "Write nothing; exit 1 with a diff if anything is stale.")
    var check = false

    func run() async throws {
        try await failing {
            let directory = SQLDirectory.locate(sqlDirectory)
            let catalog = InvariantsCommandLine.catalog
            let extensionDirectory = ExtensionDirectory.locate(extensionDirectory, besides: directory)
            let releases = try directory.releaseMarker()
            if check {
                let differences = try directory.differences(from: catalog)
                    + extensionDirectory.differences(from: catalog, releases: releases)
                if differences.isEmpty { return print("sql/ and extension/ are up to date with the declarations") }
                for difference in differences {
                    print("\(difference.change.rawValue): \(directory.path)/\(difference.file)")
                    if !difference.diff.isEmpty { print(difference.diff) }
                }
                note("error: \(differences.count) generated file(s) differ from the declarations; run `invariants generate` (never edit them by hand)")
                throw ExitCode(1)
            }
            let written = try directory.write(catalog)
            for file in written { print("wrote \(directory.path)/\(file)") }
            let extensionWritten = try extensionDirectory.write(catalog, releases: releases)
            for file in extensionWritten { print("wrote \(file)") }
            if written.isEmpty && extensionWritten.isEmpty { print("sql/ and extension/ are already up to date") }
        }
    }
}
