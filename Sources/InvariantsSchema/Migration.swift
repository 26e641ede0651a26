/// One versioned, forward-only change: tables, columns, constraints, indexes, data moves.
///
/// Once its version is released, the committed file is the source of truth; the Swift
/// value only renders files that are not yet released (see `ReleaseMarker`).
public struct Migration: Sendable, Hashable {
    /// The module whose stream this migration belongs to (`sql/<module>/migrations/`); `nil`
    /// for the linear history of releases 0.1 and 0.2 (`sql/linear/migrations/`), which is read,
    /// never rendered again.
    public var module: String?
    /// Positive and 1, 2, 3… within its module's stream; the file is `NNNN_name.sql`.
    public var version: Int
    /// Lowercase `[a-z0-9_]`, part of the file name.
    public var name: String
    /// The Swift declaration this migration comes from, named in the file header.
    public var source: String
    public var steps: [MigrationStep]
    /// `SET LOCAL lock_timeout`, so a migration never queues forever behind a long transaction.
    public var lockTimeoutMilliseconds: Int
    /// `SET LOCAL statement_timeout`; 0 means none.
    public var statementTimeoutMilliseconds: Int

    /// Version `version` of `module`'s stream, named `name`, declared by `source`; the timeouts
    /// apply to each of its steps.
    public init(
        module: String? = nil, version: Int, name: String, source: String, steps: [MigrationStep],
        lockTimeoutMilliseconds: Int = 5_000, statementTimeoutMilliseconds: Int = 0
    ) {
        self.module = module
        self.version = version
        self.name = name
        self.source = source
        self.steps = steps
        self.lockTimeoutMilliseconds = lockTimeoutMilliseconds
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
    }

    /// `gig_responses/0001_gig_responses.sql`, or `linear/0005_gig_responses.sql` for the
    /// linear history: how status, plan and errors name a migration.
    public var label: String { (module ?? "linear") + "/" + MigrationFile.fileName(for: self) }
}

/// One SQL statement of a migration. PostgresNIO sends one statement per query, so a
/// migration is kept as a list of statements and never split from one string later.
public struct MigrationStep: Sendable, Hashable {
    /// Exactly one statement, without a trailing semicolon. A `$$…$$` body is one statement.
    public var sql: String
    /// `false` for statements Postgres refuses inside a transaction block
    /// (`CREATE INDEX CONCURRENTLY`, `ALTER TYPE … ADD VALUE` before PG 12…).
    public var transactional: Bool
    /// For `CREATE INDEX CONCURRENTLY`: the index a failed earlier attempt may have left
    /// INVALID. The migrator drops an invalid index of that name before running the step.
    public var rebuildsInvalidIndex: QualifiedName?

    /// One statement; `transactional: false` runs it alone outside a transaction (`CREATE INDEX
    /// CONCURRENTLY`).
    public init(_ sql: String, transactional: Bool = true, rebuildsInvalidIndex: QualifiedName? = nil) {
        self.sql = sql
        self.transactional = transactional
        self.rebuildsInvalidIndex = rebuildsInvalidIndex
    }

    /// A step that must run outside a transaction block.
    public static func outsideTransaction(_ sql: String, rebuildsInvalidIndex: QualifiedName? = nil) -> MigrationStep {
        MigrationStep(sql, transactional: false, rebuildsInvalidIndex: rebuildsInvalidIndex)
    }
}
