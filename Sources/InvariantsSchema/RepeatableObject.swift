/// A piece of stored logic (function, trigger, view, policy, grant) rendered from the
/// *current* declarations. The migrator keeps one checksum per object in its ledger and
/// re-applies an object when its checksum changes; it drops an object that is no longer
/// declared with the `dropStatements` it recorded when it applied it.
public struct RepeatableObject: Sendable, Hashable {
    /// What the object is; the repeatable set applies kinds in dependency order.
    public enum Kind: String, Sendable, Hashable, CaseIterable, Comparable {
        case function, triggerFunction = "trigger function", trigger, view
        /// `ENABLE ROW LEVEL SECURITY` and a table's exact grants. Never dropped
        /// automatically: silently disabling RLS would expose every row.
        case tableSecurity = "table security"
        case policy, grant

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public var kind: Kind
    /// Stable, unique key in the ledger, e.g. `trigger public.sessions.zz_updated_at`.
    public var key: String
    /// The Swift declaration this object comes from, named in the generated file.
    public var source: String
    /// Idempotent statements that create or replace the object (one statement each).
    public var statements: [String]
    /// Statements that remove the object (recorded in the ledger for later pruning).
    public var dropStatements: [String]

    /// An object of `kind` under ledger `key`, declared by `source`: the statements that create it
    /// and those that drop it.
    public init(kind: Kind, key: String, source: String, statements: [String], dropStatements: [String]) {
        self.kind = kind
        self.key = key
        self.source = source
        self.statements = statements
        self.dropStatements = dropStatements
    }
}
