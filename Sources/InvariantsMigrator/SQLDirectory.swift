public import InvariantsSchema
public import Invariants
import Foundation

/// The committed `sql/` directory: `MODULES` (the modules, their dependencies, the default
/// set), `<module>/migrations/NNNN_name.sql` and `<module>/repeatable.sql` per module,
/// `linear/migrations/` (the linear history of releases 0.1 and 0.2, kept for the databases
/// that ran it) and `RELEASED`.
///
/// The migrator applies what these files say — what a DBA reviewed is what runs — and
/// `generate --check` proves they equal what the Swift declarations render.
public struct SQLDirectory: Sendable {
    public let path: String

    /// The directory at `path` (relative to the working directory, or absolute).
    public init(path: String) { self.path = path }

    /// `--sql-dir`, else `$INVARIANTS_SQL_DIR`, else `./sql`.
    public static func locate(_ explicit: String?) -> SQLDirectory {
        SQLDirectory(path: explicit ?? ProcessInfo.processInfo.environment["INVARIANTS_SQL_DIR"] ?? "sql")
    }

    var linearPath: String { path + "/linear/migrations" }

    /// `sql/RELEASED`: the releases cut so far (empty when the file does not exist).
    public func releaseMarker() throws(InvariantsError) -> ReleaseMarker {
        let file = path + "/" + ReleaseMarker.fileName
        guard FileManager.default.fileExists(atPath: file) else { return ReleaseMarker() }
        do {
            return try ReleaseMarker.parse(try String(contentsOfFile: file, encoding: .utf8))
        } catch let error as SchemaError {
            throw InvariantsError(.invalidMigrationFile, error.message)
        } catch {
            throw InvariantsError(.invalidMigrationFile, "cannot read \(file): \(error.localizedDescription)")
        }
    }

    /// Reads the manifest, every module's migrations and repeatable set, and the linear
    /// history's checksums; each file's checksum is verified.
    public func load() throws(InvariantsError) -> Catalog {
        let manifestPath = path + "/" + ModuleManifest.fileName
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw InvariantsError(.invalidMigrationFile, "no \(ModuleManifest.fileName) at \(manifestPath) (run from the project root, or pass --sql-dir)")
        }
        do {
            let manifest = try ModuleManifest.parse(try String(contentsOfFile: manifestPath, encoding: .utf8))
            var modules: [Module] = []
            for entry in manifest.modules {
                let directory = path + "/" + entry.name + "/migrations"
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".sql") }.sorted()
                let migrations = try names.map { name in
                    let migration = try MigrationFile.parse(try String(contentsOfFile: directory + "/" + name, encoding: .utf8), fileName: name)
                    guard migration.module == entry.name else {
                        throw SchemaError("\(entry.name)/migrations/\(name) says it belongs to module \(migration.module ?? "(none)")")
                    }
                    return migration
                }
                let repeatablePath = path + "/" + RepeatableSetFile.relativePath(module: entry.name)
                let repeatables = FileManager.default.fileExists(atPath: repeatablePath)
                    ? try RepeatableSetFile.parse(try String(contentsOfFile: repeatablePath, encoding: .utf8)) : []
                let adoptionPath = path + "/" + AdoptionFile.relativePath(module: entry.name)
                let adoption = FileManager.default.fileExists(atPath: adoptionPath)
                    ? try AdoptionFile.parse(try String(contentsOfFile: adoptionPath, encoding: .utf8), fileName: AdoptionFile.relativePath(module: entry.name))
                    : nil
                modules.append(Module(entry.name, dependsOn: entry.dependencies, summary: entry.summary, migrations: migrations,
                                      repeatables: repeatables, tables: entry.tables, adoption: adoption))
            }
            var history = manifest.linearHistory
            for index in history.indices {
                let file = linearPath + "/" + history[index].fileName
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw SchemaError("linear migration \(file) is missing; restore it from version control")
                }
                history[index].checksum = MigrationFile.checksum(of: try MigrationFile.parse(text, fileName: history[index].fileName))
            }
            let catalog = try Catalog(modules: modules, defaultModules: manifest.defaultModules, linearHistory: history)
            try catalog.validate()
            return catalog
        } catch let error as SchemaError {
            throw InvariantsError(.invalidMigrationFile, error.message)
        } catch let error as InvariantsError {
            throw error
        } catch {
            throw InvariantsError(.invalidMigrationFile, "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// One generated file that differs from what the declarations render.
    public struct Difference: Sendable, Hashable {
        /// The file is `missing` from disk, `changed` (its content differs), or there and
        /// `unexpected` (nothing renders it).
        public enum Change: String, Sendable { case missing, changed, unexpected }
        public var file: String
        public var change: Change
        /// A unified diff (committed → rendered), empty for `missing`/`unexpected`.
        public var diff: String
    }

    /// Compares the directory with `catalog`'s rendering. Released migrations (up to
    /// `RELEASED`) are skipped: their files are the source of truth.
    public func differences(from catalog: Catalog) throws(InvariantsError) -> [Difference] {
        let rendered = try render(catalog)
        var result: [Difference] = []
        for (relative, content) in rendered.sorted(by: { $0.key < $1.key }) {
            let full = path + "/" + relative
            guard let existing = try? String(contentsOfFile: full, encoding: .utf8) else {
                result.append(Difference(file: relative, change: .missing, diff: ""))
                continue
            }
            if existing != content {
                result.append(Difference(file: relative, change: .changed, diff: Self.unifiedDiff(old: existing, new: content, name: relative)))
            }
        }
        let declared = Set(catalog.migrations.map(MigrationFile.relativePath))
        for module in catalog.modules {
            let onDisk = (try? FileManager.default.contentsOfDirectory(atPath: path + "/" + module.name + "/migrations")) ?? []
            for name in onDisk.sorted() where name.hasSuffix(".sql") && !declared.contains(module.name + "/migrations/" + name) {
                result.append(Difference(file: module.name + "/migrations/" + name, change: .unexpected, diff: ""))
            }
        }
        let known = Set(catalog.modules.map(\.name) + ["linear"])
        for entry in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() where !known.contains(entry) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + entry, isDirectory: &isDirectory), isDirectory.boolValue {
                result.append(Difference(file: entry + "/", change: .unexpected, diff: ""))
            }
        }
        return result
    }

    /// Writes every unreleased file that differs; never touches a released one. Returns the
    /// files written.
    @discardableResult
    public func write(_ catalog: Catalog) throws(InvariantsError) -> [String] {
        let rendered = try render(catalog)
        var written: [String] = []
        do {
            for (relative, content) in rendered.sorted(by: { $0.key < $1.key }) {
                let full = path + "/" + relative
                if (try? String(contentsOfFile: full, encoding: .utf8)) == content { continue }
                try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: full).deletingLastPathComponent().path,
                                                        withIntermediateDirectories: true)
                try content.write(toFile: full, atomically: true, encoding: .utf8)
                written.append(relative)
            }
        } catch {
            throw InvariantsError(.other, "cannot write to \(path): \(error.localizedDescription)")
        }
        return written
    }

    private func render(_ catalog: Catalog) throws(InvariantsError) -> [String: String] {
        let marker = try releaseMarker()
        var files: [String: String]
        do { files = try catalog.renderedFiles() } catch { throw InvariantsError(.invalidMigrationFile, error.message) }
        for release in marker.releases {
            for (module, version) in release.modules {
                guard let declared = catalog.module(named: module) else {
                    throw InvariantsError(.invalidMigrationFile, "\(ReleaseMarker.fileName) freezes module \(module), which is not declared: a released module may never be removed")
                }
                guard declared.migrations.count >= version else {
                    throw InvariantsError(.invalidMigrationFile, "\(ReleaseMarker.fileName) freezes \(module) up to \(version), but only \(declared.migrations.count) are declared: a released migration may never be removed")
                }
            }
        }
        for migration in catalog.migrations where migration.version <= marker.frozenThrough(module: migration.module ?? "") {
            let relative = MigrationFile.relativePath(for: migration)
            files.removeValue(forKey: relative)
            guard FileManager.default.fileExists(atPath: path + "/" + relative) else {
                throw InvariantsError(.invalidMigrationFile, "released migration \(relative) is missing from \(path); restore it from version control")
            }
        }
        for linear in catalog.linearHistory where !FileManager.default.fileExists(atPath: linearPath + "/" + linear.fileName) {
            throw InvariantsError(.invalidMigrationFile, "linear migration \(linearPath)/\(linear.fileName) is missing; restore it from version control")
        }
        return files
    }

    /// A small line diff (longest common subsequence) — generated files are short.
    static func unifiedDiff(old: String, new: String, name: String) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let n = a.count, m = b.count
        var lcs = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var lines = ["--- committed/\(name)", "+++ rendered/\(name)"]
        var i = 0, j = 0, shown = 0
        while (i < n || j < m) && shown < 200 {
            if i < n, j < m, a[i] == b[j] { i += 1; j += 1; continue }
            if j < m, i == n || lcs[i][j + 1] >= lcs[i + 1][j] {
                lines.append("@@ rendered line \(j + 1) @@ +" + b[j]); j += 1
            } else {
                lines.append("@@ committed line \(i + 1) @@ -" + a[i]); i += 1
            }
            shown += 1
        }
        return lines.joined(separator: "\n")
    }
}
