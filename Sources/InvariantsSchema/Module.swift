/// The unit of installation: one app's part of a database (its tables in a migration stream of
/// its own, its stored logic, its invariants as checks) and the modules it needs.
///
/// A database holds exactly the modules its app chose (`invariants migrate --modules NAME`) and
/// their dependencies; the ledger keys every row by module.
///
/// ```swift
/// let forum = Module("forum", dependsOn: ["core", "auth"], summary: "posts, comments, votes",
///                    migrations: [Migration(module: "forum", version: 1, name: "forum", …)],
///                    repeatables: UpdatedAt(posts).repeatableObjects() + …)
/// ```
public struct Module: Sendable, Hashable {
    /// Lowercase `[a-z0-9_]`, unique in a catalog: the folder `sql/<name>/` and the ledger key.
    public var name: String
    /// Names of the modules this one needs installed first (tables it references, functions it calls).
    public var dependencies: [String]
    /// One line for `invariants modules`.
    public var summary: String
    /// The module's stream, versions 1, 2, 3…; every migration's ``Migration/module`` is ``name``.
    public var migrations: [Migration]
    /// The module's stored logic. An object rendered identically by a module and by one of its
    /// dependencies belongs to the dependency (a shared trigger function, say).
    public var repeatables: [RepeatableObject]
    /// The module's invariants as queries (`invariants check`).
    public var checks: [InvariantCheck]
    /// The module's counters, for `invariants counters check|repair` (their objects are in
    /// ``repeatables`` already).
    public var counters: [CounterCache]
    /// The tables the module owns, dependents first (children before parents): what
    /// `migrate --drop-module` deletes, with their data. A module without tables (the
    /// framework's `core` and `auth`) cannot be dropped.
    public var tables: [QualifiedName]
    /// The module's tables as declared in Swift (current state), for analyses that need their
    /// columns and keys (`invariants lint --citus`). Empty for modules whose tables are written
    /// as SQL (the framework's `core` and `auth`); such a module's tables are then not analyzed.
    public var declaredTables: [Table]
    /// How the module takes over tables an app already has (`sql/<module>/adopt.sql`); nil:
    /// it only creates its tables, and refuses a database that has one of them.
    public var adoption: Adoption?

    /// A module named `name` that depends on `dependsOn`, with its migration stream, stored logic,
    /// invariant checks, counters and the tables it owns.
    public init(
        _ name: String, dependsOn dependencies: [String] = [], summary: String,
        migrations: [Migration], repeatables: [RepeatableObject] = [], checks: [InvariantCheck] = [],
        counters: [CounterCache] = [], tables: [QualifiedName] = [], declaredTables: [Table] = [],
        adoption: Adoption? = nil
    ) {
        self.adoption = adoption
        self.declaredTables = declaredTables
        self.counters = counters
        self.tables = tables
        self.name = name
        self.dependencies = dependencies
        self.summary = summary
        self.migrations = migrations
        self.repeatables = repeatables
        self.checks = checks
    }

    /// `true` for a valid module (or app) name: lowercase letters, digits and `_`, starting
    /// with a letter.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}

/// One migration of the linear history (releases 0.1 and 0.2: `sql/linear/migrations/`, one
/// ledger for every module) and the module versions it is equivalent to. A database migrated
/// with that history is mapped onto the module streams in place: nothing re-runs.
public struct LinearMigration: Sendable, Hashable {
    public var version: Int
    public var name: String
    /// The module versions that create exactly what this migration created, e.g.
    /// `0005_gig_responses` ≡ `core` 2 (the repair audit) + `gig_responses` 1.
    public var equivalents: [ModuleVersion]
    /// The committed file's checksum (what the ledgers of databases it ran on hold); filled in
    /// when the catalog is read from `sql/`, nil when it comes from Swift.
    public var checksum: String?

    /// Linear migration `version` (`name`), which created exactly what `equivalents` create.
    public init(version: Int, name: String, equivalents: [ModuleVersion], checksum: String? = nil) {
        self.version = version
        self.name = name
        self.equivalents = equivalents
        self.checksum = checksum
    }

    /// `0005_gig_responses.sql`
    public var fileName: String { MigrationFile.fileName(version: version, name: name) }
}

/// A version of one module's stream.
public struct ModuleVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var module: String
    public var version: Int

    /// Version `version` of `module`'s stream.
    public init(_ module: String, _ version: Int) {
        self.module = module
        self.version = version
    }

    public var description: String { "\(module) \(version)" }

    public static func < (lhs: ModuleVersion, rhs: ModuleVersion) -> Bool {
        (lhs.module, lhs.version) < (rhs.module, rhs.version)
    }
}
