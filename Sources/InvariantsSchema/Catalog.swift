/// Everything one application declares: its versioned migrations (frozen history) and its
/// repeatable set (living logic). The CLI's `generate` renders a catalog to `sql/`.
public struct Catalog: Sendable, Hashable {
    public var migrations: [Migration]
    public var repeatables: [RepeatableObject]

    public init(migrations: [Migration], repeatables: [RepeatableObject]) {
        self.migrations = migrations
        self.repeatables = repeatables
    }

    /// Versions must run 1, 2, 3… (the generated guard relies on it); names and steps must
    /// be writable; repeatable keys unique.
    public func validate() throws(SchemaError) {
        for (index, migration) in migrations.enumerated() {
            guard migration.version == index + 1 else {
                throw SchemaError("migration versions must be 1, 2, 3… in order; found \(migration.version) at position \(index + 1)")
            }
            try MigrationFile.validate(migration)
        }
        try RepeatableSetFile.validate(repeatables)
    }

    /// Relative path → file content for every generated file. Released migrations are
    /// included too; the caller decides whether to write them (it never rewrites a
    /// released file).
    public func renderedFiles() throws(SchemaError) -> [String: String] {
        try validate()
        var files: [String: String] = [:]
        for migration in migrations {
            files["migrations/" + MigrationFile.fileName(for: migration)] = MigrationFile.render(migration)
        }
        files[RepeatableSetFile.fileName] = RepeatableSetFile.render(repeatables)
        return files
    }
}

/// `sql/RELEASED`: one line per release, `<label> <last migration version>`. Migrations up
/// to the newest release's version are frozen.
public struct ReleaseMarker: Sendable, Hashable {
    public static let fileName = "RELEASED"

    public struct Release: Sendable, Hashable {
        public var label: String
        public var lastMigration: Int
        public init(label: String, lastMigration: Int) {
            self.label = label
            self.lastMigration = lastMigration
        }
    }

    public var releases: [Release]

    public init(releases: [Release] = []) { self.releases = releases }

    /// The highest frozen migration version; 0 when nothing is released.
    public var frozenThrough: Int { releases.map(\.lastMigration).max() ?? 0 }

    public static func parse(_ text: String) throws(SchemaError) -> ReleaseMarker {
        var releases: [Release] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.isEmpty { continue }
            guard fields.count == 2, let version = Int(fields[1]), version > 0 else {
                throw SchemaError("\(fileName), line \(number + 1): expected '<label> <last migration version>', found '\(raw)'")
            }
            if let last = releases.last, version < last.lastMigration {
                throw SchemaError("\(fileName), line \(number + 1): release \(fields[0]) goes back to migration \(version)")
            }
            releases.append(Release(label: String(fields[0]), lastMigration: version))
        }
        return ReleaseMarker(releases: releases)
    }

    public func render() -> String {
        "# Released versions: <label> <last migration>. Migrations up to the last one are frozen:\n"
            + "# their files are the source of truth and are never rendered again.\n"
            + releases.map { "\($0.label) \($0.lastMigration)\n" }.joined()
    }
}
