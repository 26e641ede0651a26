/// A plain column that holds a polymorphic reference's id when it points at one type, so a
/// real foreign key can use it: `gig_id = CASE WHEN entity_type = 'gig' THEN entity_id END`.
///
/// ```swift
/// PolymorphicKey(table: responses.qualifiedName, column: "gig_id",
///                typeColumn: "entity_type", type: "gig", idColumn: "entity_id")
/// ```
///
/// Why not a stored generated column: adding one to a populated table rewrites it under ACCESS
/// EXCLUSIVE, and PostgreSQL cannot turn a plain column into a generated one, so a database
/// that already holds the table (adoption) could never reach that shape online. A plain column
/// both kinds of database reach: a BEFORE trigger sets it whenever an insert or update leaves it
/// wrong (the client cannot choose it), and a CHECK keeps it equal to the expression even when triggers
/// are off (a restore with `session_replication_role = replica`).
public struct PolymorphicKey: Hashable, Sendable {
    /// The child table that holds the reference.
    public var table: QualifiedName
    /// The plain column the key is kept in.
    public var column: String
    /// The column naming the referenced entity's type (`entity_type`).
    public var typeColumn: String
    /// The type this key is for (`gig`).
    public var type: String
    /// The column holding the referenced id (`entity_id`).
    public var idColumn: String

    /// `column` of `table` holds `idColumn` where `typeColumn = type`, else NULL.
    public init(table: QualifiedName, column: String, typeColumn: String, type: String, idColumn: String) {
        self.table = table
        self.column = column
        self.typeColumn = typeColumn
        self.type = type
        self.idColumn = idColumn
    }

    /// `CASE WHEN entity_type = 'gig' THEN entity_id END`, on `row` (`NEW`, `r`) or unqualified.
    public func expression(_ row: String? = nil) -> String {
        let prefix = row.map { $0 + "." } ?? ""
        return "CASE WHEN \(prefix)\(SQLText.identifier(typeColumn)) = \(SQLText.literal(type))"
            + " THEN \(prefix)\(SQLText.identifier(idColumn)) END"
    }

    /// The CHECK that keeps the column equal to the expression, named `<table>_<column>_kept`.
    public var check: Check {
        Check("\(SQLText.identifier(column)) IS NOT DISTINCT FROM (\(expression()))",
              name: ObjectName.fitted("\(table.name)_\(column)_kept"))
    }

    /// `invariants.keep_<schema>_<table>_<column>`.
    public var functionName: QualifiedName {
        Schema.invariants(ObjectName.fitted("keep_\(table.schema)_\(table.name)_\(column)"))
    }

    /// BEFORE INSERT OR UPDATE, before `zz_invariants_updated_at` (BEFORE triggers fire in name order).
    public var triggerName: String { ObjectName.fitted("invariants_keep_" + column) }

    /// The BEFORE trigger function that sets the column from the expression.
    public var function: StoredFunction {
        let body = """
            BEGIN
                -- Invariant: \(SQLText.commentSafe(column)) is \(SQLText.commentSafe(expression())), whatever the client sent.
                NEW.\(SQLText.identifier(column)) := \(expression("NEW"));
                RETURN NEW;
            END
            """
        return StoredFunction(functionName, returns: "trigger", searchPath: [], body: body)
    }

    /// The trigger on every insert and update of ``table``.
    public var trigger: Trigger { keeping(triggerName, function) }

    /// BEFORE INSERT OR UPDATE OF the three columns, only when the key is not already right: the
    /// WHEN clause is evaluated without calling PL/pgSQL, so a status update or a row that
    /// arrives right costs no function call. Any other UPDATE leaves the key as it is, which is
    /// right once every row is filled (the CHECK is added only then).
    func keeping(_ name: String, _ function: StoredFunction) -> Trigger {
        Trigger(name, on: table, .before, [.insert, .update(of: [typeColumn, idColumn, column])],
                when: "NEW.\(SQLText.identifier(column)) IS DISTINCT FROM (\(expression("NEW")))", executing: function)
    }

    /// The trigger function and the trigger, as stored logic. Applying the trigger also removes
    /// the ``bridgeStatements`` a migration or an adoption installed before it.
    public func repeatableObjects() -> [RepeatableObject] {
        let function = function
        let source = "PolymorphicKey(table: \(ObjectName.keyPart(table.schema)).\(ObjectName.keyPart(table.name)), "
            + "column: \(ObjectName.keyPart(column)))"
        var trigger = trigger.repeatableObject(source: source)
        trigger.statements += ["DROP TRIGGER IF EXISTS \(SQLText.identifier(bridgeTriggerName)) ON \(table.sql)",
                               "DROP FUNCTION IF EXISTS \(bridgeFunction.signatureSQL)"]
        return [
            RepeatableObject(kind: .triggerFunction, key: "function " + function.keySignature, source: source,
                             statements: [function.createSQL, function.revokeFromPublicSQL], dropStatements: [function.dropSQL]),
            trigger,
        ]
    }

    /// The same trigger under a name of its own, for a migration or an adoption step that needs
    /// the column kept *now*, before the repeatable set exists (a fresh install runs every
    /// migration first) or comes (the same run, a moment later), and must not create a stored
    /// function of the repeatable set (on the extension route, the extension creates those).
    /// Named to fire after every other BEFORE trigger (an older `updated_at` trigger copied a
    /// generated column from OLD). The repeatable set's trigger drops it.
    public var bridgeStatements: [String] {
        [bridgeFunction.createSQL, bridgeFunction.revokeFromPublicSQL,
         keeping(bridgeTriggerName, bridgeFunction).createSQL]
    }

    var bridgeTriggerName: String { ObjectName.fitted("zzz_invariants_keep_\(column)_until_installed") }

    var bridgeFunction: StoredFunction {
        var bridge = function
        bridge.name = Schema.invariants(ObjectName.fitted("keep_\(table.schema)_\(table.name)_\(column)_until_installed"))
        return bridge
    }
}
