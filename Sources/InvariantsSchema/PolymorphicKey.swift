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
/// both kinds of database reach: a BEFORE trigger sets it on every insert and update (the
/// client cannot choose it), and a CHECK keeps it equal to the expression even when triggers
/// are off (a restore with `session_replication_role = replica`).
public struct PolymorphicKey: Hashable, Sendable {
    public var table: QualifiedName
    /// The plain column the key is kept in.
    public var column: String
    public var typeColumn: String
    public var type: String
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

    public var functionName: QualifiedName {
        Schema.invariants(ObjectName.fitted("keep_\(table.schema)_\(table.name)_\(column)"))
    }

    /// BEFORE INSERT OR UPDATE, before `zz_invariants_updated_at` (BEFORE triggers fire in name order).
    public var triggerName: String { ObjectName.fitted("invariants_keep_" + column) }

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

    public var trigger: Trigger {
        Trigger(triggerName, on: table, .before, [.insert, .update], executing: function)
    }

    /// The trigger function and the trigger, as stored logic.
    public func repeatableObjects() -> [RepeatableObject] {
        let function = function
        let source = "PolymorphicKey(table: \(ObjectName.keyPart(table.schema)).\(ObjectName.keyPart(table.name)), "
            + "column: \(ObjectName.keyPart(column)))"
        return [
            RepeatableObject(kind: .triggerFunction, key: "function " + function.keySignature, source: source,
                             statements: [function.createSQL, function.revokeFromPublicSQL], dropStatements: [function.dropSQL]),
            trigger.repeatableObject(source: source),
        ]
    }

    /// The statements of ``repeatableObjects()``, for a migration that needs the trigger in
    /// place in its own transaction (the repeatable set replaces them with the same text).
    public var installStatements: [String] { repeatableObjects().flatMap(\.statements) }
}
