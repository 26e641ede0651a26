/// Invariant: a user-owned table is reachable only by its owner (and the backend).
///
/// Renders, as stored logic:
/// - `ENABLE ROW LEVEL SECURITY`, then `REVOKE ALL` from PUBLIC and every request role before
///   the exact grants. Supabase grants ALL on new tables by default, a column REVOKE does
///   not override a table grant, and RLS does not cover TRUNCATE: only a clean slate plus
///   exact grants is safe.
/// - `authenticated` gets SELECT / INSERT (columns) / UPDATE (columns) / DELETE as declared;
///   columns left out (counters, the owner on UPDATE) cannot be written directly.
/// - one policy per granted command, `TO authenticated`, comparing the owner column with
///   `(SELECT auth.uid())` — wrapped so the planner evaluates it once per statement, not
///   once per row. UPDATE checks both the old row (USING) and the new one (WITH CHECK), so
///   a row cannot be handed to another user.
/// - `service_role` gets ALL (it bypasses RLS); `anon` gets nothing.
///
/// The owner column needs an index leading with it (declare it on the ``Table``): every
/// policy filters by it.
public struct OwnerRowLevelSecurity: Hashable, Sendable {
    public var table: QualifiedName
    public var owner: String
    public var select: Bool
    /// Columns users may set on INSERT; `nil`: users cannot insert.
    public var insertColumns: [String]?
    /// Columns users may change on UPDATE; `nil`: users cannot update.
    public var updateColumns: [String]?
    public var delete: Bool

    public init(
        table: QualifiedName, owner: String = "user_id", select: Bool = true,
        insertColumns: [String]? = nil, updateColumns: [String]? = nil, delete: Bool = false
    ) {
        self.table = table
        self.owner = owner
        self.select = select
        self.insertColumns = insertColumns
        self.updateColumns = updateColumns
        self.delete = delete
    }

    /// For a declared table.
    public init(
        _ table: Table, owner: String = "user_id", select: Bool = true,
        insertColumns: [String]? = nil, updateColumns: [String]? = nil, delete: Bool = false
    ) {
        self.init(table: table.qualifiedName, owner: owner, select: select,
                  insertColumns: insertColumns, updateColumns: updateColumns, delete: delete)
    }

    /// `(SELECT auth.uid()) = "owner"`
    public var ownerPredicate: String { "(SELECT \"auth\".\"uid\"()) = \(SQLText.identifier(owner))" }

    private var source: String { "OwnerRowLevelSecurity(\(ObjectName.keyPart(table.schema)).\(ObjectName.keyPart(table.name)))" }
    private var tableKey: String { ObjectName.keyPart(table.schema) + "." + ObjectName.keyPart(table.name) }

    private func columnList(_ columns: [String]) -> String {
        "(" + columns.map(SQLText.identifier).joined(separator: ", ") + ")"
    }

    /// The grants object and one policy object per granted command.
    public func repeatableObjects() -> [RepeatableObject] {
        let authenticated = DatabaseRole.authenticated.sql
        var grants = [
            "ALTER TABLE \(table.sql) ENABLE ROW LEVEL SECURITY",
            "REVOKE ALL ON TABLE \(table.sql) FROM PUBLIC, \(DatabaseRole.allSQL)",
            "GRANT ALL ON TABLE \(table.sql) TO \(DatabaseRole.serviceRole.sql)",
        ]
        if select { grants.append("GRANT SELECT ON TABLE \(table.sql) TO \(authenticated)") }
        if let columns = insertColumns, !columns.isEmpty {
            grants.append("GRANT INSERT \(columnList(columns)) ON TABLE \(table.sql) TO \(authenticated)")
        }
        if let columns = updateColumns, !columns.isEmpty {
            grants.append("GRANT UPDATE \(columnList(columns)) ON TABLE \(table.sql) TO \(authenticated)")
        }
        if delete { grants.append("GRANT DELETE ON TABLE \(table.sql) TO \(authenticated)") }

        var objects = [RepeatableObject(kind: .tableSecurity, key: "table security \(tableKey)", source: source,
                                        statements: grants, dropStatements: [])]
        func policy(_ command: String, using: Bool, check: Bool) {
            let name = ObjectName.fitted("\(table.name)_owner_\(command.lowercased())")
            var create = "CREATE POLICY \(SQLText.identifier(name)) ON \(table.sql)\n    AS PERMISSIVE FOR \(command) TO \(authenticated)"
            if using { create += "\n    USING (\(ownerPredicate))" }
            if check { create += "\n    WITH CHECK (\(ownerPredicate))" }
            let drop = "DROP POLICY IF EXISTS \(SQLText.identifier(name)) ON \(table.sql)"
            objects.append(RepeatableObject(kind: .policy, key: "policy \(tableKey).\(ObjectName.keyPart(name))", source: source,
                                            statements: [drop, create], dropStatements: [drop]))
        }
        if select { policy("SELECT", using: true, check: false) }
        if let columns = insertColumns, !columns.isEmpty { policy("INSERT", using: false, check: true) }
        if let columns = updateColumns, !columns.isEmpty { policy("UPDATE", using: true, check: true) }
        if delete { policy("DELETE", using: true, check: false) }
        return objects
    }
}
