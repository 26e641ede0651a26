public import InvariantsSchema
public import Invariants
import Foundation

/// The committed `extension/` directory: per module with functions `invariants_<module>.control`,
/// `invariants_<module>--V.sql` per version and `invariants_<module>--V1--V2.sql` upgrades; the
/// frozen single extension `invariants` of releases 0.1/0.2 with its update to the empty
/// version (`invariants--V--modules.sql`); the PGXS `Makefile` and pgTAP tests.
///
/// * A **released** version's script (`invariants_<module>--<label>.sql`, label from
///   `sql/RELEASED`) is written once by `invariants release` and frozen from then on, like a
///   released migration; so is its upgrade script from the module's previous release.
/// * When a module's functions differ from its newest release's, the directory also holds
///   its **unreleased** version `dev.<hash>` (`invariants_<module>--dev.<hash>.sql` and an
///   upgrade from the newest release), and its `default_version` names it.
///
/// `generate` writes it, `generate --check` compares it, the migrator reads each control
/// file's `default_version` as the version matching `sql/<module>/repeatable.sql`.
public struct ExtensionDirectory: Sendable {
    public let path: String

    /// The extension directory at `path`.
    public init(path: String) { self.path = path }

    /// `--extension-dir`, else `extension` beside the SQL directory.
    public static func locate(_ explicit: String?, besides sql: SQLDirectory) -> ExtensionDirectory {
        if let explicit { return ExtensionDirectory(path: explicit) }
        let parent = URL(fileURLWithPath: sql.path).deletingLastPathComponent().path
        return ExtensionDirectory(path: parent + "/extension")
    }

    var controlPath: String { path + "/" + ExtensionScript.controlFileName }

    private func read(_ name: String) -> String? { try? String(contentsOfFile: path + "/" + name, encoding: .utf8) }
    private func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + name) }

    /// The default version of the single extension `invariants` (releases 0.1/0.2).
    public func defaultVersion() throws(InvariantsError) -> String {
        guard let text = read(ExtensionScript.controlFileName) else {
            throw InvariantsError(.invalidMigrationFile, "no extension control file at \(controlPath) (run `invariants generate`, or pass --extension-dir)")
        }
        guard let version = ExtensionScript.defaultVersion(inControl: text) else {
            throw InvariantsError(.invalidMigrationFile, "\(controlPath) has no default_version")
        }
        return version
    }

    /// Module → the version `CREATE EXTENSION invariants_<module>` installs and the migrator
    /// targets (each `invariants_<module>.control`'s default_version).
    public func defaultVersions() throws(InvariantsError) -> [String: String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter {
            $0.hasPrefix(ExtensionScript.modulePrefix) && $0.hasSuffix(".control")
        }
        guard !names.isEmpty else {
            throw InvariantsError(.invalidMigrationFile, "no module extension control files (invariants_<module>.control) in \(path) (run `invariants generate`, or pass --extension-dir)")
        }
        var versions: [String: String] = [:]
        for name in names {
            guard let module = ExtensionScript.module(ofExtension: String(name.dropLast(".control".count))),
                  let version = read(name).flatMap(ExtensionScript.defaultVersion(inControl:)) else {
                throw InvariantsError(.invalidMigrationFile, "\(path)/\(name) has no default_version")
            }
            versions[module] = version
        }
        return versions
    }

    /// The functions of one version of `invariants`, read from its install script.
    public func functions(ofVersion version: String) throws(InvariantsError) -> [RepeatableObject] {
        try functions(extension: ExtensionScript.legacyName, version: version)
    }

    /// The functions of one version of an extension, read from its install script (checksums verified).
    public func functions(extension name: String, version: String) throws(InvariantsError) -> [RepeatableObject] {
        let file = ExtensionScript.scriptFileName(extension: name, version: version)
        guard let text = read(file) else {
            throw InvariantsError(.invalidMigrationFile, "extension script \(path)/\(file) is missing; restore it from version control")
        }
        do { return try ExtensionScript.parseScript(text, fileName: file) } catch {
            throw InvariantsError(.invalidMigrationFile, error.message)
        }
    }

    /// The newest release label that froze a script of `name`.
    func newestRelease(extension name: String, releases: ReleaseMarker) -> String? {
        releases.releases.map(\.label).last { exists(ExtensionScript.scriptFileName(extension: name, version: $0)) }
    }

    /// Relative file name → content of every file `generate` owns here. Released scripts are
    /// not included (they are frozen).
    public func rendered(_ catalog: Catalog, releases: ReleaseMarker) throws(InvariantsError) -> [String: String] {
        var files: [String: String] = [:]
        // The single extension of releases 0.1/0.2: frozen at its newest script, and the way off it.
        let legacy = ExtensionScript.legacyName
        let legacyVersions = releases.releases.map(\.label).filter { exists(ExtensionScript.scriptFileName(extension: legacy, version: $0)) }
        if let newest = legacyVersions.last {
            files[ExtensionScript.controlFileName] = ExtensionScript.renderControl(defaultVersion: newest)
            for version in legacyVersions {
                files[ExtensionScript.upgradeFileName(extension: legacy, from: version, to: ExtensionScript.legacyFinalVersion)] =
                    ExtensionScript.renderLegacyRelease(from: version)
            }
        }
        for (module, current, requires) in ExtensionScript.moduleExtensions(catalog) {
            let name = ExtensionScript.extensionName(module: module)
            let defaultVersion: String
            if let last = newestRelease(extension: name, releases: releases) {
                let released = try functions(extension: name, version: last)
                if ExtensionScript.fingerprint(released) == ExtensionScript.fingerprint(current) {
                    defaultVersion = last
                } else {
                    defaultVersion = ExtensionScript.devVersion(for: current)
                    files[ExtensionScript.upgradeFileName(extension: name, from: last, to: defaultVersion)] =
                        ExtensionScript.renderUpgrade(extension: name, from: last, to: defaultVersion, old: released, new: current)
                }
            } else {
                defaultVersion = ExtensionScript.devVersion(for: current)
            }
            if defaultVersion.hasPrefix(ExtensionScript.devPrefix) {
                files[ExtensionScript.scriptFileName(extension: name, version: defaultVersion)] =
                    ExtensionScript.renderScript(extension: name, version: defaultVersion, functions: current)
            }
            files[ExtensionScript.controlFileName(extension: name)] = ExtensionScript.renderControl(module: module, defaultVersion: defaultVersion, requires: requires)
        }
        return files
    }

    /// Generated files on disk that the current declarations no longer produce: dev scripts,
    /// and control files of modules that no longer have functions (released scripts stay).
    func staleDevFiles(keeping expected: Set<String>) -> [String] {
        let onDisk = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return onDisk.filter { name in
            guard name.hasPrefix(ExtensionScript.legacyName + "--") || name.hasPrefix(ExtensionScript.modulePrefix), !expected.contains(name) else { return false }
            return (name.hasSuffix(".sql") && name.contains("--" + ExtensionScript.devPrefix))
                || (name.hasPrefix(ExtensionScript.modulePrefix) && name.hasSuffix(".control"))
        }.sorted()
    }

    /// Every extension file that differs from what `catalog` renders (released scripts are
    /// compared too: they must stay byte for byte as released).
    public func differences(from catalog: Catalog, releases: ReleaseMarker) throws(InvariantsError) -> [SQLDirectory.Difference] {
        let rendered = try rendered(catalog, releases: releases)
        var result: [SQLDirectory.Difference] = []
        for (name, content) in rendered.sorted(by: { $0.key < $1.key }) {
            guard let existing = try? String(contentsOfFile: path + "/" + name, encoding: .utf8) else {
                result.append(.init(file: "extension/" + name, change: .missing, diff: ""))
                continue
            }
            if existing != content {
                result.append(.init(file: "extension/" + name, change: .changed,
                                    diff: SQLDirectory.unifiedDiff(old: existing, new: content, name: "extension/" + name)))
            }
        }
        for name in staleDevFiles(keeping: Set(rendered.keys)) {
            result.append(.init(file: "extension/" + name, change: .unexpected, diff: ""))
        }
        return result
    }

    /// Writes what differs and removes stale dev files; returns what it changed.
    @discardableResult
    public func write(_ catalog: Catalog, releases: ReleaseMarker) throws(InvariantsError) -> [String] {
        let rendered = try rendered(catalog, releases: releases)
        var changed: [String] = []
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for (name, content) in rendered.sorted(by: { $0.key < $1.key }) {
                let full = path + "/" + name
                if (try? String(contentsOfFile: full, encoding: .utf8)) == content { continue }
                try content.write(toFile: full, atomically: true, encoding: .utf8)
                changed.append("extension/" + name)
            }
            for name in staleDevFiles(keeping: Set(rendered.keys)) {
                try FileManager.default.removeItem(atPath: path + "/" + name)
                changed.append("extension/" + name + " (removed)")
            }
        } catch {
            throw InvariantsError(.other, "cannot write to \(path): \(error.localizedDescription)")
        }
        return changed
    }

    /// The scripts release `label` would freeze that do not exist yet (one per module with
    /// functions): a release cut before the module extensions existed is backfilled with them.
    public func missingReleaseScripts(_ catalog: Catalog, label: String) -> [String] {
        ExtensionScript.moduleExtensions(catalog).map { ExtensionScript.scriptFileName(extension: ExtensionScript.extensionName(module: $0.module), version: label) }
            .filter { !exists($0) }
    }

    /// Freezes each module's current functions as version `label` of its extension: its
    /// install script and the upgrade from the module's previous release (when that release
    /// has a script). Called by `invariants release` after it appended the label; then
    /// `write` drops the dev files. With `onlyMissing`, writes only the scripts that are
    /// missing (backfilling a release cut before the module extensions).
    public func freeze(_ catalog: Catalog, label: String, releases: ReleaseMarker, onlyMissing: Bool = false) throws(InvariantsError) -> [String] {
        do { try ExtensionScript.validate(version: label) } catch { throw InvariantsError(.invalidInput, error.message, column: "label") }
        let earlier = ReleaseMarker(releases: Array(releases.releases.prefix { $0.label != label }))
        var files: [String: String] = [:]
        for (module, current, _) in ExtensionScript.moduleExtensions(catalog) {
            let name = ExtensionScript.extensionName(module: module)
            let script = ExtensionScript.scriptFileName(extension: name, version: label)
            if onlyMissing && exists(script) { continue }
            files[script] = ExtensionScript.renderScript(extension: name, version: label, functions: current)
            if let previous = newestRelease(extension: name, releases: earlier) {
                let old = try functions(extension: name, version: previous)
                files[ExtensionScript.upgradeFileName(extension: name, from: previous, to: label)] =
                    ExtensionScript.renderUpgrade(extension: name, from: previous, to: label, old: old, new: current)
            }
        }
        var written: [String] = []
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for (name, content) in files.sorted(by: { $0.key < $1.key }) {
                let full = path + "/" + name
                guard !FileManager.default.fileExists(atPath: full) else {
                    throw InvariantsError(.conflict, "\(full) already exists: a released extension script is frozen")
                }
                try content.write(toFile: full, atomically: true, encoding: .utf8)
                written.append("extension/" + name)
            }
        } catch let error as InvariantsError {
            throw error
        } catch {
            throw InvariantsError(.other, "cannot write to \(path): \(error.localizedDescription)")
        }
        return written
    }
}
