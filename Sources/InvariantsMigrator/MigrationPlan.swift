import InvariantsSchema

/// What `migrate` will send, computed once from the ledger: `invariants plan` prints it and
/// `migrate` executes it, statement for statement (GRDB's `DatabaseMigrator` works this way).
public struct MigrationPlan: Sendable, Codable, Hashable {
    /// One unit of work: a transaction (`BEGIN`, the statements, `COMMIT`), or statements sent
    /// one by one outside a transaction (`CREATE INDEX CONCURRENTLY`).
    public struct Step: Sendable, Codable, Hashable {
        /// What a step does.
        public enum Kind: String, Sendable, Codable, Hashable {
            /// Creates or maps the ledger itself.
            case ledger
            /// One migration of a module's stream.
            case migration
            /// The changed part of the repeatable set (and the extension).
            case repeatableSet = "repeatable set"
            /// A module removed with its tables and their data (`--drop-module`, confirmed).
            case dropModule = "drop module"
            /// A step of a module taking over tables the app already has (`Adoption`, `sql/<module>/adopt.sql`).
            case adoption = "adopt"
        }

        /// A statement run batch after batch, each in its own transaction, until it returns no
        /// cursor; the cursor is kept in `invariants.adoptions`, so a killed run resumes.
        public struct Batch: Sendable, Codable, Hashable {
            /// The statement with `:cursor` in it; returns `(cursor text, rows bigint)`.
            public var template: String
            public var module: String
            /// The step's key in `invariants.adoptions`.
            public var step: String
            /// Where it starts: the cursor a killed earlier run reached, or nil.
            public var cursor: String?
            public var lockTimeoutMilliseconds: Int

            /// The statement with `cursor` in place of `:cursor`.
            public func statement(cursor: String?) -> String {
                template.replacingOccurrences(of: ":cursor", with: cursor.map(SQLText.literal) ?? "NULL")
            }
        }
        public var kind: Kind
        /// `gig_responses/0001_gig_responses.sql`, `repeatable set`, `ledger: …`.
        public var title: String
        /// `false`: each statement runs alone, outside a transaction block.
        public var transactional: Bool
        /// Exactly what is sent, timeouts and ledger writes included.
        public var statements: [String]
        /// Per statement, what it belongs to: the migration step number (`step 2 of 5`) or the
        /// repeatable object's key; nil for timeouts and ledger writes. Names a failure.
        public var labels: [String?]
        /// For a migration step: its module and version.
        public var module: String?
        public var version: Int?
        /// Indexes a failed earlier `CREATE INDEX CONCURRENTLY` left INVALID, dropped and rebuilt here.
        public var rebuildsInvalidIndexes: [String] = []
        /// For a batched adoption step: what is repeated (``statements`` shows its first batch).
        public var batch: Batch?
    }

    /// The modules the database holds once the plan ran (dependency order).
    public var modules: [String]
    /// The modules this plan installs (not yet in the database).
    public var installing: [String]
    /// The modules this plan removes, with their tables and data.
    public var dropping: [String] = []
    /// The modules this plan installs by taking over tables the app already has.
    public var adopting: [String] = []
    /// What the adoption changes for the app's roles on its tables, one line each
    /// (`public.profiles authenticated: ALL → SELECT, INSERT (display_name, id), UPDATE (display_name)`),
    /// then row level security and policies.
    public var accessChanges: [String] = []
    public var steps: [Step]
    /// Repeatable objects applied / dropped, for the report.
    public var appliedRepeatables: [String]
    public var droppedRepeatables: [String]
    /// What happens to the extension; nil when nothing.
    public var extensionChange: String?

    /// Nothing to send.
    public var isEmpty: Bool { steps.isEmpty }

    /// The migrations this plan applies (`module/NNNN_name.sql`), in order.
    public var migrations: [String] { steps.filter { $0.kind == .migration && $0.version != nil }.map(\.title) }

    /// The plan as a DBA reads it: each step with its statements, transactions spelled out.
    public func rendered() -> String {
        var out = "-- modules after this plan: \(modules.joined(separator: ", "))\n"
        if !installing.isEmpty { out += "-- installs: \(installing.joined(separator: ", "))\n" }
        if !dropping.isEmpty { out += "-- DROPS, with their data: \(dropping.joined(separator: ", "))\n" }
        if !adopting.isEmpty { out += "-- adopts the app's existing tables for: \(adopting.joined(separator: ", ")) (in place, online)\n" }
        if !accessChanges.isEmpty {
            out += "-- what the app's roles may do on those tables changes (now → after this plan):\n"
            out += accessChanges.map { "--   \($0)\n" }.joined()
        }
        for step in steps {
            out += "\n-- \(step.kind.rawValue): \(step.title)\(step.transactional ? "" : " (outside a transaction, one statement at a time)")\n"
            if step.batch != nil {
                out += "-- in batches, one transaction each, until the cursor is NULL (progress in invariants.adoptions)\n"
            }
            if step.transactional { out += "BEGIN;\n" }
            for statement in step.statements { out += statement.trimmingCharacters(in: .whitespacesAndNewlines) + ";\n" }
            if step.transactional { out += "COMMIT;\n" }
        }
        return out
    }
}
