import ArgumentParser
import Foundation
import Invariants
import InvariantsCatalog
import InvariantsMigrator
import InvariantsSchema

struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Freeze every declared migration under a release label (sql/RELEASED).",
        discussion: """
            From then on those migration files are the source of truth: `generate` never rewrites
            them and `generate --check` skips them, because their checksums are in the ledgers of
            the databases they ran on. Refuses when sql/ is not current (run `invariants generate`)
            or when the label was used before.

            Example:
              invariants release 0.2
            """
    )

    @Argument(help: ArgumentHelp("The release label, e.g. 0.2.", valueName: "label"))
    var label: String

    @Option(name: .customLong("sql-dir"), help: ArgumentHelp("The generated SQL directory. Default: ./sql.", valueName: "path"))
    var sqlDirectory: String?

    func run() async throws {
        try await failing {
            guard !label.isEmpty, label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
                throw InvariantsError(.invalidInput, "release label '\(label)' must be letters, digits, '.' or '-'", column: "label")
            }
            let directory = SQLDirectory.locate(sqlDirectory)
            let catalog = ProjectCatalog.catalog
            let stale = try directory.differences(from: catalog)
            guard stale.isEmpty else {
                throw InvariantsError(.conflict, "sql/ differs from the declarations (\(stale.map(\.file).joined(separator: ", "))); run `invariants generate` first")
            }
            var marker = try directory.releaseMarker()
            guard !marker.releases.contains(where: { $0.label == label }) else {
                throw InvariantsError(.conflict, "release \(label) already exists in \(ReleaseMarker.fileName)")
            }
            let last = catalog.migrations.count
            guard last > marker.frozenThrough else {
                throw InvariantsError(.conflict, "nothing to release: every migration up to \(last) is already frozen")
            }
            marker.releases.append(.init(label: label, lastMigration: last))
            do {
                try marker.render().write(toFile: directory.path + "/" + ReleaseMarker.fileName, atomically: true, encoding: .utf8)
            } catch {
                throw InvariantsError(.other, "cannot write \(directory.path)/\(ReleaseMarker.fileName): \(error.localizedDescription)")
            }
            print("released \(label): migrations 1…\(last) are frozen (\(directory.path)/\(ReleaseMarker.fileName))")
        }
    }
}
