public import InvariantsSchema
public import Invariants
import Foundation

/// The committed `extension/` directory: `invariants.control`, `invariants--V.sql` per
/// version, `invariants--V1--V2.sql` upgrades, the PGXS `Makefile` and pgTAP tests.
///
/// * A **released** version's script (`invariants--<label>.sql`, label from `sql/RELEASED`)
///   is written once by `invariants release` and frozen from then on, like a released
///   migration; so is its upgrade script from the previous release.
/// * When the current functions differ from the newest release's, the directory also holds
///   the **unreleased** version `dev.<hash>` (`invariants--dev.<hash>.sql` and an upgrade
///   from the newest release), and `default_version` names it. Otherwise `default_version`
///   is the newest release and no dev files exist.
///
/// `generate` writes it, `generate --check` compares it, the migrator reads the control
/// file's `default_version` as the version matching `sql/repeatable.sql`.
public struct ExtensionDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// `--extension-dir`, else `extension` beside the SQL directory.
    public static func locate(_ explicit: String?, besides sql: SQLDirectory) -> ExtensionDirectory {
        if let explicit { return ExtensionDirectory(path: explicit) }
        let parent = URL(fileURLWithPath: sql.path).deletingLastPathComponent().path
        return ExtensionDirectory(path: parent + "/extension")
    }

    var controlPath: String { path + "/" + ExtensionScript.controlFileName }

    /// The version `CREATE EXTENSION` installs and the migrator targets.
    public func defaultVersion() throws(InvariantsError) -> String {
        guard let text = try? String(contentsOfFile: controlPath, encoding: .utf8) else {
            throw InvariantsError(.invalidMigrationFile, "no extension control file at \(controlPath) (run `invariants generate`, or pass --extension-dir)")
        }
        guard let version = ExtensionScript.defaultVersion(inControl: text) else {
            throw InvariantsError(.invalidMigrationFile, "\(controlPath) has no default_version")
        }
        return version
    }

    /// The functions of one version, read from its install script (checksums verified).
    public func functions(ofVersion version: String) throws(InvariantsError) -> [RepeatableObject] {
        let name = ExtensionScript.scriptFileName(version: version)
        guard let text = try? String(contentsOfFile: path + "/" + name, encoding: .utf8) else {
            throw InvariantsError(.invalidMigrationFile, "extension script \(path)/\(name) is missing; restore it from version control")
        }
        do { return try ExtensionScript.parseScript(text, fileName: name) } catch {
            throw InvariantsError(.invalidMigrationFile, error.message)
        }
    }

    /// Relative file name → content of every file `generate` owns here. Released scripts are
    /// not included (they are frozen); the newest release's script must exist.
    public func rendered(_ catalog: Catalog, releases: ReleaseMarker) throws(InvariantsError) -> [String: String] {
        let current = ExtensionScript.functions(of: catalog.repeatables)
        var files: [String: String] = [:]
        let defaultVersion: String
        if let last = releases.releases.last {
            let released = try functions(ofVersion: last.label)
            if ExtensionScript.fingerprint(released) == ExtensionScript.fingerprint(current) {
                defaultVersion = last.label
            } else {
                defaultVersion = ExtensionScript.devVersion(for: current)
                files[ExtensionScript.upgradeFileName(from: last.label, to: defaultVersion)] =
                    ExtensionScript.renderUpgrade(from: last.label, to: defaultVersion, old: released, new: current)
            }
        } else {
            defaultVersion = ExtensionScript.devVersion(for: current)
        }
        if defaultVersion.hasPrefix(ExtensionScript.devPrefix) {
            files[ExtensionScript.scriptFileName(version: defaultVersion)] = ExtensionScript.renderScript(version: defaultVersion, functions: current)
        }
        files[ExtensionScript.controlFileName] = ExtensionScript.renderControl(defaultVersion: defaultVersion)
        return files
    }

    /// Generated dev files on disk that the current declarations no longer produce.
    func staleDevFiles(keeping expected: Set<String>) -> [String] {
        let onDisk = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return onDisk.filter {
            $0.hasPrefix(ExtensionScript.extensionName + "--") && $0.hasSuffix(".sql")
                && $0.contains("--" + ExtensionScript.devPrefix) && !expected.contains($0)
        }.sorted()
    }

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

    /// Freezes the current functions as release `label`: its install script and the upgrade
    /// from the previous release (when that release has a script). Called by
    /// `invariants release` after it appended the label; then `write` drops the dev files.
    public func freeze(_ catalog: Catalog, label: String, previous: String?) throws(InvariantsError) -> [String] {
        do { try ExtensionScript.validate(version: label) } catch { throw InvariantsError(.invalidInput, error.message, column: "label") }
        let current = ExtensionScript.functions(of: catalog.repeatables)
        var files = [ExtensionScript.scriptFileName(version: label): ExtensionScript.renderScript(version: label, functions: current)]
        if let previous, FileManager.default.fileExists(atPath: path + "/" + ExtensionScript.scriptFileName(version: previous)) {
            let old = try functions(ofVersion: previous)
            files[ExtensionScript.upgradeFileName(from: previous, to: label)] =
                ExtensionScript.renderUpgrade(from: previous, to: label, old: old, new: current)
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
