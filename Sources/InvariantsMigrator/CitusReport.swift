public import InvariantsSchema

/// What it would take to run a catalog's modules on Citus (distributed PostgreSQL): where each
/// table goes, every construct Citus would refuse or that would cross shards, the change that
/// removes each one and who makes it, and the calls an operator would run.
///
/// A pure function of the Swift declarations (tables, keys, counters, triggers, trigger
/// functions, views and stored functions): `invariants lint --citus` prints it. Nothing of it is
/// verified against a real Citus — there is no Citus package on the machines this project is
/// built on — so the report says so (``notVerifiedNote``).
///
/// ```swift
/// let report = try CitusReport.analyze(catalog, modules: ["gig_responses"])
/// for finding in report.findings { print(finding.rule, finding.object) }
/// ```
public struct CitusReport: Sendable, Hashable, Encodable {
    /// Who makes a change that removes a finding.
    public enum ChangeOwner: String, Sendable, Hashable, Encodable, CaseIterable {
        /// A versioned migration (keys, foreign keys) or a change of the declarations.
        case project = "a new migration of this project"
        /// Cluster settings, the distribution calls, how the app listens and where it reads.
        case `operator` = "the operator"
    }

    /// Where one table goes.
    public struct TablePlacement: Sendable, Hashable, Encodable {
        /// How the table is placed on the cluster.
        public enum Kind: String, Sendable, Hashable, Encodable {
            /// Sharded by ``TablePlacement/column``, co-located with the other tables of its tenant.
            case distributed
            /// One copy on every node: small shared tables, tables without a tenant.
            case reference
            /// Stays on the coordinator only (the migrator's ledger).
            case local
        }

        /// `schema.name`.
        public var table: String
        /// The module that owns it.
        public var module: String
        /// Distributed, reference or local.
        public var kind: Kind
        /// The distribution column, for a distributed table.
        public var column: String?
        /// The first table of its co-location group (nil for that table itself).
        public var colocateWith: String?
        /// Why this placement: which part of the rule chose it.
        public var reason: String
    }

    /// A construct Citus would refuse or that would cross shards.
    public struct Finding: Sendable, Hashable, Encodable {
        /// The rule's name, e.g. `primary-key-without-distribution-column`.
        public var rule: String
        /// The object: a table, a constraint (`table (constraint)`), a trigger, a function or a view.
        public var object: String
        /// The module whose declaration it is.
        public var module: String
        /// Why Citus refuses it or why it crosses shards.
        public var problem: String
        /// The change that removes the finding.
        public var change: String
        /// Who makes that change.
        public var madeBy: ChangeOwner
    }

    /// A counter cache: whether its parent and child are co-located (its triggers' parent
    /// updates then stay on one shard).
    public struct CounterPlacement: Sendable, Hashable, Encodable {
        /// The counter's name (`counters list`).
        public var counter: String
        /// The table holding the counted columns, `schema.name`.
        public var parent: String
        /// The table whose rows are counted, `schema.name`.
        public var child: String
        /// Whether a child row's parent is always on the child's shard.
        public var colocated: Bool
        /// Why, in words.
        public var detail: String
    }

    /// The modules analyzed, dependencies included, in catalog order.
    public var modules: [String]
    /// How the distribution column is chosen, in words (printed with the report).
    public var rule: String
    /// Every analyzed table, in catalog order.
    public var tables: [TablePlacement]
    /// Every declared counter of the analyzed modules.
    public var counters: [CounterPlacement]
    /// Every construct Citus would refuse or that crosses shards; empty only for a catalog ready for Citus.
    public var findings: [Finding]
    /// `SELECT create_reference_table(…)` then `SELECT create_distributed_table(…)`, in an order
    /// Citus accepts (a foreign key's target first, each co-location group's first table first).
    public var operatorScript: [String]
    /// Modules whose tables are written as SQL rather than declared, so not analyzed.
    public var notAnalyzed: [String]
    /// What the report does not check.
    public var limits: [String]
    /// Always ``notVerifiedNote``.
    public var verification: String

    /// The line every report carries.
    public static let notVerifiedNote =
        "Not verified against a real Citus: there is no Citus package here; this is what the declarations imply, by the rules above."

    /// The tenant columns, in order of preference.
    public static let tenantColumns = ["workspace_id", "user_id", "session_id"]

    /// Analyzes `modules` of `catalog` and their dependencies (every module when nil).
    public static func analyze(_ catalog: Catalog, modules names: [String]? = nil) throws(SchemaError) -> CitusReport {
        let modules = try catalog.closure(of: names ?? catalog.modules.map(\.name))
        let placements = CitusPlacementRule(modules: modules)
        var findings = CitusTableRules(placements: placements).findings()
        let counters = modules.flatMap { module in module.counters.map { (module.name, $0) } }
            .map { CitusTableRules(placements: placements).counterPlacement($0.1, module: $0.0, findings: &findings) }
        findings += CitusStoredLogicRules(placements: placements, modules: modules, catalog: catalog).findings()
        return CitusReport(
            modules: modules.map(\.name), rule: CitusPlacementRule.explanation, tables: placements.all,
            counters: counters, findings: findings,
            operatorScript: CitusOperatorScript(placements: placements).statements,
            notAnalyzed: modules.filter { $0.declaredTables.isEmpty && !CitusPlacementRule.frameworkModules.contains($0.name) }.map(\.name),
            limits: limits, verification: notVerifiedNote)
    }

    /// The findings whose change is `owner`'s, their changes without repeats.
    public func changes(by owner: ChangeOwner) -> [String] {
        var seen = Set<String>()
        return findings.filter { $0.madeBy == owner }.map(\.change).filter { seen.insert($0).inserted }
    }

    static let limits = [
        "RLS policies on distributed tables, grants and SECURITY DEFINER helpers are not checked (how Citus propagates them depends on its version).",
        "Stored functions called by the app run on the coordinator unless an operator delegates them (create_distributed_function); which could be delegated is not analyzed.",
        "Statements are read as text (INSERT/UPDATE/DELETE targets, FROM/JOIN sources, aggregates, tenant comparisons): dynamic SQL (EXECUTE) is not followed.",
        "Column types of a co-location group must match; a mismatch is reported, sizes and shard counts are not.",
    ]
}
