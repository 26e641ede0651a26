import ArgumentParser
import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema

struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Freeze every module's declared migrations under a release label (sql/RELEASED).",
        discussion: """
            From then on those migration files are the source of truth: `generate` never rewrites
            them and `generate --check` skips them, because their checksums are in the ledgers of
            the databases they ran on. It also freezes the extension's functions as version <label>:
            extension/invariants--<label>.sql and the upgrade script from the previous release,
            and makes <label> the control file's default_version. Refuses when sql/ is not current
            (run `invariants generate`) or when the label was used before.

            Releases cut before the extension existed: `invariants release <label>` on the newest
            existing label writes its missing extension script from the current declarations
            (only right while the functions are unchanged since that release).

            Example:
              invariants release 0.2
            """
    )

    @Argument(help: ArgumentHelp("The release label, e.g. 0.2.", valueName: "label"))
    var label: String

    @Option(name: .customLong("sql-dir"), help: ArgumentHelp("The generated SQL directory. Default: ./sql.", valueName: "path"))
    var sqlDirectory: String?

    @Option(name: .customLong("extension-dir"), help: ArgumentHelp("The extension directory. Default: extension/ beside the SQL directory.", valueName: "path"))
    var extensionDirectory: String?

    func run() async throws {
        try await failing {
            guard !label.isEmpty, label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
                throw InvariantsError(.invalidInput, "release label '\(label)' must be letters, digits, '.' or '-'", column: "label")
            }
            let directory = SQLDirectory.locate(sqlDirectory)
            let catalog = InvariantsCommandLine.catalog
            let stale = try directory.differences(from: catalog)
            guard stale.isEmpty else {
                throw InvariantsError(.conflict, "sql/ differs from the declarations (\(stale.map(\.file).joined(separator: ", "))); run `invariants generate` first")
            }
            var marker = try directory.releaseMarker()
            let extensionDirectory = ExtensionDirectory.locate(extensionDirectory, besides: directory)
            if marker.releases.last?.label == label,
               !FileManager.default.fileExists(atPath: extensionDirectory.path + "/" + ExtensionScript.scriptFileName(version: label)) {
                let previous = marker.releases.dropLast().last?.label
                for file in try extensionDirectory.freeze(catalog, label: label, previous: previous) { print("wrote \(file)") }
                for file in try extensionDirectory.write(catalog, releases: marker) { print("wrote \(file)") }
                return print("backfilled the extension script of release \(label)")
            }
            guard !marker.releases.contains(where: { $0.label == label }) else {
                throw InvariantsError(.conflict, "release \(label) already exists in \(ReleaseMarker.fileName)")
            }
            do throws(SchemaError) { try ExtensionScript.validate(version: label) } catch { throw InvariantsError(.invalidInput, error.message, column: "label") }
            let staleExtension = try extensionDirectory.differences(from: catalog, releases: marker)
            guard staleExtension.isEmpty else {
                throw InvariantsError(.conflict, "extension/ differs from the declarations (\(staleExtension.map(\.file).joined(separator: ", "))); run `invariants generate` first")
            }
            let previous = marker.releases.last?.label
            let versions = Dictionary(uniqueKeysWithValues: catalog.modules.map { ($0.name, $0.migrations.count) })
            let newMigrations = versions.contains { $0.value > marker.frozenThrough(module: $0.key) }
            // A release freezes new migrations, or new functions (an extension version), or both.
            let functionsChanged = try extensionDirectory.defaultVersion() != marker.releases.last?.label
            guard newMigrations || functionsChanged else {
                throw InvariantsError(.conflict, "nothing to release: every module's migrations are already frozen and the functions equal release \(marker.releases.last?.label ?? "?")'s")
            }
            marker.releases.append(.init(label: label, modules: versions))
            do {
                try marker.render().write(toFile: directory.path + "/" + ReleaseMarker.fileName, atomically: true, encoding: .utf8)
            } catch {
                throw InvariantsError(.other, "cannot write \(directory.path)/\(ReleaseMarker.fileName): \(error.localizedDescription)")
            }
            for file in try extensionDirectory.freeze(catalog, label: label, previous: previous) { print("wrote \(file)") }
            for file in try extensionDirectory.write(catalog, releases: marker) { print("wrote \(file)") }
            print("released \(label): \(versions.sorted { $0.key < $1.key }.map { "\($0.key) 1…\($0.value)" }.joined(separator: ", ")) and the extension's functions are frozen (\(directory.path)/\(ReleaseMarker.fileName))")
        }
    }
}
