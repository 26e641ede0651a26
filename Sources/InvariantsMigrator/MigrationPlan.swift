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
    }

    /// The modules the database holds once the plan ran (dependency order).
    public var modules: [String]
    /// The modules this plan installs (not yet in the database).
    public var installing: [String]
    /// The modules this plan removes, with their tables and data.
    public var dropping: [String] = []
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
        for step in steps {
            out += "\n-- \(step.kind.rawValue): \(step.title)\(step.transactional ? "" : " (outside a transaction, one statement at a time)")\n"
            if step.transactional { out += "BEGIN;\n" }
            for statement in step.statements { out += statement.trimmingCharacters(in: .whitespacesAndNewlines) + ";\n" }
            if step.transactional { out += "COMMIT;\n" }
        }
        return out
    }
}
