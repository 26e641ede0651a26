/// Invariant: a tenant-owned table (a workspace's rows) is reachable only by the tenant's
/// members (and the backend).
///
/// Like ``OwnerRowLevelSecurity``, but the policy asks a membership table instead of comparing
/// one owner column:
///
/// ```sql
/// workspace_id IN (SELECT m.workspace_id FROM public.workspace_members AS m
///                  WHERE m.user_id = (SELECT auth.uid()))
/// ```
///
/// The membership table needs its own owner RLS (members see their own memberships) and an
/// index leading with the user column; the tenant table an index leading with the tenant column.
/// UPDATE checks the old and the new row, so a row cannot be moved into a workspace the
/// caller is not a member of.
public struct TenantRowLevelSecurity: Hashable, Sendable {
    public var table: QualifiedName
    public var tenantColumn: String
    public var membership: QualifiedName
    public var membershipTenantColumn: String
    public var membershipUserColumn: String
    public var select: Bool
    public var insertColumns: [String]?
    public var updateColumns: [String]?
    public var delete: Bool

    public init(
        _ table: Table, tenantColumn: String = "workspace_id", membership: Table,
        membershipTenantColumn: String = "workspace_id", membershipUserColumn: String = "user_id",
        select: Bool = true, insertColumns: [String]? = nil, updateColumns: [String]? = nil, delete: Bool = false
    ) {
        precondition(table.column(tenantColumn) != nil, "\(table.name) has no column \(tenantColumn)")
        precondition(membership.column(membershipTenantColumn) != nil && membership.column(membershipUserColumn) != nil,
                     "\(membership.name) lacks its tenant or user column")
        self.table = table.qualifiedName
        self.tenantColumn = tenantColumn
        self.membership = membership.qualifiedName
        self.membershipTenantColumn = membershipTenantColumn
        self.membershipUserColumn = membershipUserColumn
        self.select = select
        self.insertColumns = insertColumns
        self.updateColumns = updateColumns
        self.delete = delete
    }

    /// `tenant IN (SELECT m.tenant FROM membership AS m WHERE m.user = (SELECT auth.uid()))`
    public var memberPredicate: String {
        "\(SQLText.identifier(tenantColumn)) IN (SELECT m.\(SQLText.identifier(membershipTenantColumn)) "
            + "FROM \(membership.sql) AS m WHERE m.\(SQLText.identifier(membershipUserColumn)) = (SELECT \"auth\".\"uid\"()))"
    }

    private var source: String { "TenantRowLevelSecurity(\(tableKey))" }
    private var tableKey: String { ObjectName.keyPart(table.schema) + "." + ObjectName.keyPart(table.name) }

    /// The grants object and one policy object per granted command.
    public func repeatableObjects() -> [RepeatableObject] {
        let authenticated = DatabaseRole.authenticated.sql
        func columnList(_ columns: [String]) -> String { "(" + columns.map(SQLText.identifier).joined(separator: ", ") + ")" }
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
            let name = ObjectName.fitted("\(table.name)_member_\(command.lowercased())")
            var create = "CREATE POLICY \(SQLText.identifier(name)) ON \(table.sql)\n    AS PERMISSIVE FOR \(command) TO \(authenticated)"
            if using { create += "\n    USING (\(memberPredicate))" }
            if check { create += "\n    WITH CHECK (\(memberPredicate))" }
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
