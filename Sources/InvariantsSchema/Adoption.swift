/// How a module takes over tables an app already has, in place and online: the second form of
/// its migrations. Where none of ``tables`` exists the module's migrations create them; where
/// one does, `migrate` runs this instead and records every migration up to ``version`` as
/// applied, so both kinds of database continue on one stream, in one shape.
///
/// Rendered from the module's table declarations by ``Adoption/init(module:version:source:tables:keys:counters:backfills:)``
/// into `sql/<module>/adopt.sql` (``AdoptionFile``). The migrator runs it in this order:
/// 1. ``expectations`` and ``violations``: every mismatch of the live tables is listed in one
///    refusal, before anything is written;
/// 2. ``orphans``: children whose parent is gone refuse the adoption unless the DBA chose to
///    delete or quarantine them;
/// 3. each ``Step`` of phase ``Step/Phase/before`` that is not ``Step/done`` yet, then the
///    repeatable set (triggers first), then the ``Step/Phase/after`` steps (counter backfills,
///    the checks that need exact counters), then the ledger rows.
///
/// Every step is guarded, so a `migrate` killed halfway resumes where it stopped; batched
/// steps keep their cursor in `invariants.adoptions`.
public struct Adoption: Sendable, Hashable {
    /// One unit of the adoption.
    public struct Step: Sendable, Hashable {
        /// Before or after the repeatable set (which installs the triggers).
        public enum Phase: String, Sendable, Hashable, CaseIterable {
            case before, after
        }
        /// How the statements are sent.
        public enum Run: String, Sendable, Hashable, CaseIterable {
            /// All statements in one transaction, under the migration's lock timeout.
            case transaction
            /// One statement alone, outside a transaction (`CREATE INDEX CONCURRENTLY`).
            case alone
            /// One statement run again and again, each batch in its own transaction, with
            /// `:cursor` replaced by the key it returned last (NULL at first); it returns
            /// `(cursor text, rows bigint)` and is done when the cursor is NULL.
            case batches
            /// Where the migrator resolves ``Adoption/orphans`` (no statements of its own).
            case orphans
        }
        /// Before or after the repeatable set.
        public var phase: Phase
        /// How the statements are sent.
        public var run: Run
        /// What the step does, for the plan and the progress (one line).
        public var title: String
        /// A query returning one boolean, true when the step is already done (skipped).
        public var done: String?
        /// A query returning statements (text) that drop what this step's constraint replaces,
        /// found by definition, not by name; run first, in the same transaction.
        public var superseded: String?
        public var statements: [String]
        /// For `CREATE INDEX CONCURRENTLY`: the index a failed earlier run may have left
        /// INVALID (`IF NOT EXISTS` would skip it); the migrator drops it first.
        public var index: QualifiedName?
        /// The table the step changes: when the adoption creates it (the app has none), the
        /// CREATE already holds everything and its other steps are skipped.
        public var table: QualifiedName?

        /// A step; see the properties.
        public init(_ phase: Phase, _ run: Run, _ title: String, done: String? = nil, superseded: String? = nil,
                    statements: [String] = [], index: QualifiedName? = nil, table: QualifiedName? = nil) {
            self.index = index
            self.table = table
            self.phase = phase
            self.run = run
            self.title = title
            self.done = done
            self.superseded = superseded
            self.statements = statements
        }
    }

    /// Rows of an adopted table whose parent is gone (found by the full foreign key, scope
    /// included): they refuse the adoption until deleted or quarantined.
    public struct Orphans: Sendable, Hashable {
        /// The child table.
        public var table: QualifiedName
        /// The child's primary-key column (reported, and used to batch).
        public var key: String
        /// The table whose row is gone.
        public var parent: QualifiedName
        /// The condition on alias `c` that makes a row an orphan.
        public var condition: String
        /// Where `--orphans quarantine` moves them (created `LIKE` the table).
        public var quarantine: QualifiedName

        /// Orphans of `table` (key column `key`) under `parent`, by `condition` on alias `c`.
        public init(table: QualifiedName, key: String, parent: QualifiedName, condition: String, quarantine: QualifiedName) {
            self.table = table
            self.key = key
            self.parent = parent
            self.condition = condition
            self.quarantine = quarantine
        }

        /// `SELECT c.key::text FROM table AS c WHERE condition ORDER BY c.key`.
        public var query: String {
            "SELECT c.\(SQLText.identifier(key))::text AS key FROM \(table.sql) AS c\nWHERE \(condition)\nORDER BY 1"
        }
    }

    /// A declared CHECK counted on the live rows before adoption (only when its columns exist).
    public struct Violations: Sendable, Hashable {
        /// The table checked.
        public var table: QualifiedName
        /// The columns the check reads; counted only when they all exist.
        public var columns: [String]
        /// `responses_status_check CHECK (status IN (…))`, for the message.
        public var label: String
        /// `SELECT count(*) FROM table WHERE NOT (expression)`.
        public var query: String

        /// Rows of `table` that break the check `label`, counted by `query` when `columns` exist.
        public init(table: QualifiedName, columns: [String], label: String, query: String) {
            self.table = table
            self.columns = columns
            self.label = label
            self.query = query
        }
    }

    /// The module that adopts.
    public var module: String
    /// The module version an adopted database is at: every migration up to it is recorded.
    public var version: Int
    /// The Swift declaration, named in the file header.
    public var source: String
    /// The tables whose presence means "adopt" (parents first).
    public var tables: [QualifiedName]
    /// A query returning one text row per mismatch (`public.responses.status: expected text
    /// NOT NULL, found character varying(20) NULL`); no rows when the tables fit.
    public var expectations: String
    /// Declared checks counted on the live rows before anything changes.
    public var violations: [Violations]
    /// Rows whose parent is gone, per foreign key.
    public var orphans: [Orphans]
    /// The steps in order (phase ``Step/Phase/before`` first).
    public var steps: [Step]
    /// Queries returning the statements (text) that drop the app's triggers a repeatable trigger
    /// replaces (``SupersededTrigger/dropQuery``): the migrator runs them first in the repeatable
    /// set's own transaction, so every row is handled by exactly one of the two.
    public var supersededTriggers: [String]

    /// An adoption from its parts; ``Adoption/init(module:version:source:tables:keys:counters:backfills:)`` derives them.
    public init(module: String, version: Int, source: String, tables: [QualifiedName], expectations: String,
                violations: [Violations], orphans: [Orphans], steps: [Step], supersededTriggers: [String] = []) {
        self.supersededTriggers = supersededTriggers
        self.module = module
        self.version = version
        self.source = source
        self.tables = tables
        self.expectations = expectations
        self.violations = violations
        self.orphans = orphans
        self.steps = steps
    }

    /// `invariants.adoptions`: progress of batched steps (resumable) and, once done, when a
    /// module adopted this database's tables.
    public static let ledgerTable = QualifiedName("invariants", "adoptions")

    /// Creates ``ledgerTable`` when absent.
    public static let ledgerStatements = [
        """
        CREATE TABLE IF NOT EXISTS \(ledgerTable.sql) (
            "module"      text        NOT NULL,
            "step"        text        NOT NULL,
            "cursor"      text,
            "rows"        bigint      NOT NULL DEFAULT 0,
            "started_at"  timestamptz NOT NULL DEFAULT now(),
            "finished_at" timestamptz,
            PRIMARY KEY ("module", "step")
        )
        """,
        "REVOKE ALL ON \(ledgerTable.sql) FROM PUBLIC",
    ]
}
