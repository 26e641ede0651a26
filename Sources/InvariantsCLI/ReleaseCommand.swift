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
            From then on those migration files are the source of truth: `generate` never rewrites them and `generate --check` skips them, because their checksums are in the ledgers of the databases they ran on. Release also freezes each module's functions as version <label> of its extension (extension/invariants_<module>--<label>.sql and the upgrade script from the module's previous release) and makes <label> each control file's default_version. Refuses when sql/ is not current (run `invariants generate`) or when the label was used before.

            For releases cut before the module extensions existed, `invariants release <label>` with the newest existing label writes their missing scripts from the current declarations; it refuses unless the functions equal that release's extension/invariants--<label>.sql.

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
            if marker.releases.last?.label == label, !extensionDirectory.missingReleaseScripts(catalog, label: label).isEmpty {
                // Only right while the functions are those of that release: checked against the
                // single extension's script of the release where it has one.
                if FileManager.default.fileExists(atPath: extensionDirectory.path + "/" + ExtensionScript.scriptFileName(version: label)) {
                    let released = try extensionDirectory.functions(ofVersion: label)
                    guard ExtensionScript.fingerprint(released) == ExtensionScript.fingerprint(ExtensionScript.functions(of: catalog.repeatables)) else {
                        throw InvariantsError(.conflict, "the functions changed since release \(label) (extension/\(ExtensionScript.scriptFileName(version: label))): its module extension scripts cannot be backfilled; release a new label")
                    }
                }
                for file in try extensionDirectory.freeze(catalog, label: label, releases: marker, onlyMissing: true) { print("wrote \(file)") }
                for file in try extensionDirectory.write(catalog, releases: marker) { print("wrote \(file)") }
                return print("backfilled the module extension scripts of release \(label)")
            }
            guard !marker.releases.contains(where: { $0.label == label }) else {
                throw InvariantsError(.conflict, "release \(label) already exists in \(ReleaseMarker.fileName)")
            }
            do throws(SchemaError) { try ExtensionScript.validate(version: label) } catch { throw InvariantsError(.invalidInput, error.message, column: "label") }
            let staleExtension = try extensionDirectory.differences(from: catalog, releases: marker)
            guard staleExtension.isEmpty else {
                throw InvariantsError(.conflict, "extension/ differs from the declarations (\(staleExtension.map(\.file).joined(separator: ", "))); run `invariants generate` first")
            }
            let versions = Dictionary(uniqueKeysWithValues: catalog.modules.map { ($0.name, $0.migrations.count) })
            let newMigrations = versions.contains { $0.value > marker.frozenThrough(module: $0.key) }
            // A release freezes new migrations, or new functions (an extension version), or both.
            let functionsChanged = try extensionDirectory.defaultVersions().values.contains { $0.hasPrefix(ExtensionScript.devPrefix) }
            guard newMigrations || functionsChanged else {
                throw InvariantsError(.conflict, "nothing to release: every module's migrations are already frozen and the functions equal release \(marker.releases.last?.label ?? "?")'s")
            }
            marker.releases.append(.init(label: label, modules: versions))
            do {
                try marker.render().write(toFile: directory.path + "/" + ReleaseMarker.fileName, atomically: true, encoding: .utf8)
            } catch {
                throw InvariantsError(.other, "cannot write \(directory.path)/\(ReleaseMarker.fileName): \(error.localizedDescription)")
            }
            for file in try extensionDirectory.freeze(catalog, label: label, releases: marker) { print("wrote \(file)") }
            for file in try extensionDirectory.write(catalog, releases: marker) { print("wrote \(file)") }
            print("released \(label): \(versions.sorted { $0.key < $1.key }.map { "\($0.key) 1…\($0.value)" }.joined(separator: ", ")) and the extension's functions are frozen (\(directory.path)/\(ReleaseMarker.fileName))")
        }
    }
}
