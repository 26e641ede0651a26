public import InvariantsSchema
public import Invariants
import Foundation

/// The committed `sql/` directory: `migrations/NNNN_name.sql`, `repeatable.sql`, `RELEASED`.
///
/// The migrator applies what these files say — what a DBA reviewed is what runs — and
/// `generate --check` proves they equal what the Swift declarations render.
public struct SQLDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// `--sql-dir`, else `$INVARIANTS_SQL_DIR`, else `./sql`.
    public static func locate(_ explicit: String?) -> SQLDirectory {
        SQLDirectory(path: explicit ?? ProcessInfo.processInfo.environment["INVARIANTS_SQL_DIR"] ?? "sql")
    }

    var migrationsPath: String { path + "/migrations" }

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

    /// Reads every migration file and the repeatable set; each file's checksum is verified.
    public func load() throws(InvariantsError) -> Catalog {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: migrationsPath, isDirectory: &isDir), isDir.boolValue else {
            throw InvariantsError(.invalidMigrationFile, "no migrations directory at \(migrationsPath) (run from the project root, or pass --sql-dir)")
        }
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: migrationsPath).filter { $0.hasSuffix(".sql") }.sorted()
            let migrations = try names.map { name in
                try MigrationFile.parse(try String(contentsOfFile: migrationsPath + "/" + name, encoding: .utf8), fileName: name)
            }
            let repeatablePath = path + "/" + RepeatableSetFile.fileName
            let repeatables = FileManager.default.fileExists(atPath: repeatablePath)
                ? try RepeatableSetFile.parse(try String(contentsOfFile: repeatablePath, encoding: .utf8)) : []
            let catalog = Catalog(migrations: migrations, repeatables: repeatables)
            try catalog.validate()
            return catalog
        } catch let error as SchemaError {
            throw InvariantsError(.invalidMigrationFile, error.message)
        } catch {
            throw InvariantsError(.invalidMigrationFile, "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// One generated file that differs from what the declarations render.
    public struct Difference: Sendable, Hashable {
        public enum Change: String, Sendable { case missing, changed, unexpected }
        public var file: String
        public var change: Change
        /// A unified diff (committed → rendered), empty for `missing`/`unexpected`.
        public var diff: String
    }

    /// Compares the directory with `catalog`'s rendering. Released migrations (up to
    /// `RELEASED`) are skipped: their files are the source of truth.
    public func differences(from catalog: Catalog) throws(InvariantsError) -> [Difference] {
        let frozen = try releaseMarker().frozenThrough
        let rendered = try render(catalog, frozenThrough: frozen)
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
        let declared = Set(catalog.migrations.map { "migrations/" + MigrationFile.fileName(for: $0) })
        let onDisk = (try? FileManager.default.contentsOfDirectory(atPath: migrationsPath)) ?? []
        for name in onDisk.sorted() where name.hasSuffix(".sql") && !declared.contains("migrations/" + name) {
            result.append(Difference(file: "migrations/" + name, change: .unexpected, diff: ""))
        }
        return result
    }

    /// Writes every unreleased file that differs; never touches a released one. Returns the
    /// files written.
    @discardableResult
    public func write(_ catalog: Catalog) throws(InvariantsError) -> [String] {
        let frozen = try releaseMarker().frozenThrough
        let rendered = try render(catalog, frozenThrough: frozen)
        var written: [String] = []
        do {
            try FileManager.default.createDirectory(atPath: migrationsPath, withIntermediateDirectories: true)
            for (relative, content) in rendered.sorted(by: { $0.key < $1.key }) {
                let full = path + "/" + relative
                if (try? String(contentsOfFile: full, encoding: .utf8)) == content { continue }
                try content.write(toFile: full, atomically: true, encoding: .utf8)
                written.append(relative)
            }
        } catch {
            throw InvariantsError(.other, "cannot write to \(path): \(error.localizedDescription)")
        }
        return written
    }

    private func render(_ catalog: Catalog, frozenThrough frozen: Int) throws(InvariantsError) -> [String: String] {
        guard catalog.migrations.count >= frozen else {
            throw InvariantsError(.invalidMigrationFile, "\(ReleaseMarker.fileName) freezes migrations up to \(frozen), but only \(catalog.migrations.count) are declared: a released migration may never be removed")
        }
        var files: [String: String]
        do { files = try catalog.renderedFiles() } catch { throw InvariantsError(.invalidMigrationFile, error.message) }
        for migration in catalog.migrations where migration.version <= frozen {
            files.removeValue(forKey: "migrations/" + MigrationFile.fileName(for: migration))
            let name = MigrationFile.fileName(for: migration)
            guard FileManager.default.fileExists(atPath: migrationsPath + "/" + name) else {
                throw InvariantsError(.invalidMigrationFile, "released migration \(name) is missing from \(migrationsPath); restore it from version control")
            }
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
