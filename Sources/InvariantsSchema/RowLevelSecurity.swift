/// Invariant: a table's rows are reachable only by the users a predicate admits (and the
/// backend). One kind, two predicates:
///
/// - ``Predicate/owner(column:)``: a user-owned table; the row's owner column equals
///   `(SELECT auth.uid())`.
/// - ``Predicate/tenant(column:membership:membershipTenantColumn:membershipUserColumn:)``: a
///   tenant-owned table (a workspace's rows); the row's tenant is one of the caller's
///   memberships:
///
///   ```sql
///   workspace_id IN (SELECT m.workspace_id FROM public.workspace_members AS m
///                    WHERE m.user_id = (SELECT auth.uid()))
///   ```
///
/// Both render, as stored logic:
/// - `ENABLE ROW LEVEL SECURITY`, then `REVOKE ALL` from PUBLIC and every request role before
///   the exact grants. Supabase grants ALL on new tables by default, a column REVOKE does
///   not override a table grant, and RLS does not cover TRUNCATE: only a clean slate plus
///   exact grants is safe.
/// - `authenticated` gets SELECT / INSERT (columns) / UPDATE (columns) / DELETE as declared;
///   columns left out (counters, the owner on UPDATE) cannot be written directly.
/// - one policy per granted command, `TO authenticated`, with the predicate. `auth.uid()` is
///   wrapped in `(SELECT …)` so the planner evaluates it once per statement, not once per
///   row. UPDATE checks both the old row (USING) and the new one (WITH CHECK), so a row
///   cannot be handed to another user or moved into a tenant the caller is not a member of.
/// - `service_role` gets ALL (it bypasses RLS); `anon` gets nothing.
///
/// The predicate's column needs an index leading with it (declare it on the ``Table``): every
/// policy filters by it. A membership table needs its own owner RLS (members see their own
/// memberships) and an index leading with its user column.
///
/// ```swift
/// RowLevelSecurity.owner(chatLogs, insertColumns: ["user_id", "question"], delete: true)
/// RowLevelSecurity.tenant(gigs, membership: workspaceMembers, select: true)
/// ```
public struct RowLevelSecurity: Hashable, Sendable {
    /// Which rows a user may reach.
    public enum Predicate: Hashable, Sendable {
        /// The row's `column` holds the user's id.
        case owner(column: String)
        /// The row's `column` holds a tenant id that `membership` lists for the user
        /// (`membershipTenantColumn`, `membershipUserColumn`).
        case tenant(column: String, membership: QualifiedName, membershipTenantColumn: String, membershipUserColumn: String)

        /// The policy condition:
        /// `(SELECT auth.uid()) = "owner"` or
        /// `"tenant" IN (SELECT m."tenant" FROM membership AS m WHERE m."user" = (SELECT auth.uid()))`.
        public var sql: String {
            switch self {
            case .owner(let column):
                "(SELECT \"auth\".\"uid\"()) = \(SQLText.identifier(column))"
            case .tenant(let column, let membership, let tenantColumn, let userColumn):
                "\(SQLText.identifier(column)) IN (SELECT m.\(SQLText.identifier(tenantColumn)) "
                    + "FROM \(membership.sql) AS m WHERE m.\(SQLText.identifier(userColumn)) = (SELECT \"auth\".\"uid\"()))"
            }
        }

        /// ``sql`` as the condition of a policy clause (`USING`, `WITH CHECK`) written at four
        /// spaces: on the clause's line when it fits, else a tenant's subquery on its own line.
        func clause(_ keyword: String) -> String {
            let line = "    \(keyword) (\(sql))"
            guard !SQLLines.fits(line), case .tenant(let column, let membership, let tenantColumn, let userColumn) = self else {
                return line
            }
            return """
                    \(keyword) (\(SQLText.identifier(column)) IN (
                        SELECT m.\(SQLText.identifier(tenantColumn)) FROM \(membership.sql) AS m
                        WHERE m.\(SQLText.identifier(userColumn)) = (SELECT "auth"."uid"())
                    ))
                """
        }

        /// The word in policy names: `<table>_owner_select`, `<table>_member_select`.
        var policyWord: String {
            switch self {
            case .owner: "owner"
            case .tenant: "member"
            }
        }

        /// The declaration's name in the generated file (kept from the two earlier kinds,
        /// so that the rendered set does not change).
        var sourceName: String {
            switch self {
            case .owner: "OwnerRowLevelSecurity"
            case .tenant: "TenantRowLevelSecurity"
            }
        }
    }

    /// The protected table.
    public var table: QualifiedName
    /// Which rows a user may reach: their own, or their tenants'.
    public var predicate: Predicate
    /// Users may SELECT (the rows the predicate admits).
    public var select: Bool
    /// Columns users may set on INSERT; `nil`: users cannot insert.
    public var insertColumns: [String]?
    /// Columns users may change on UPDATE; `nil`: users cannot update.
    public var updateColumns: [String]?
    /// Users may DELETE (the rows the predicate admits).
    public var delete: Bool
    /// The sequences behind the table's identity columns: their grants are made exact too
    /// (Supabase's default privileges grant ALL on new sequences to anon and authenticated,
    /// and UPDATE on a sequence is `setval`). Filled from the declaration by the `Table`
    /// constructors.
    public var sequences: [QualifiedName]

    /// Row-level security on `table` with any predicate.
    public init(
        table: QualifiedName, predicate: Predicate, select: Bool = true,
        insertColumns: [String]? = nil, updateColumns: [String]? = nil, delete: Bool = false,
        sequences: [QualifiedName] = []
    ) {
        self.table = table
        self.predicate = predicate
        self.select = select
        self.insertColumns = insertColumns
        self.updateColumns = updateColumns
        self.delete = delete
        self.sequences = sequences
    }

    /// Owner RLS for a user-owned table: rows whose `column` is the caller's id.
    public static func owner(
        table: QualifiedName, column: String = "user_id", select: Bool = true,
        insertColumns: [String]? = nil, updateColumns: [String]? = nil, delete: Bool = false
    ) -> RowLevelSecurity {
        RowLevelSecurity(table: table, predicate: .owner(column: column), select: select,
                         insertColumns: insertColumns, updateColumns: updateColumns, delete: delete)
    }

    /// Owner RLS for a declared table: rows whose `column` is the caller's id.
    public static func owner(
        _ table: Table, column: String = "user_id", select: Bool = true,
        insertColumns: [String]? = nil, updateColumns: [String]? = nil, delete: Bool = false
    ) -> RowLevelSecurity {
        RowLevelSecurity(table: table.qualifiedName, predicate: .owner(column: column), select: select,
                         insertColumns: insertColumns, updateColumns: updateColumns, delete: delete,
                         sequences: table.identitySequences)
    }

    /// Tenant RLS for a declared table: rows whose `column` names a tenant that the declared
    /// `membership` table lists for the caller. Stops when a named column is not declared.
    public static func tenant(
        _ table: Table, column: String = "workspace_id", membership: Table,
        membershipTenantColumn: String = "workspace_id", membershipUserColumn: String = "user_id",
        select: Bool = true, insertColumns: [String]? = nil, updateColumns: [String]? = nil, delete: Bool = false
    ) -> RowLevelSecurity {
        precondition(table.column(column) != nil, "\(table.name) has no column \(column)")
        precondition(membership.column(membershipTenantColumn) != nil && membership.column(membershipUserColumn) != nil,
                     "\(membership.name) lacks its tenant or user column")
        return RowLevelSecurity(
            table: table.qualifiedName,
            predicate: .tenant(column: column, membership: membership.qualifiedName,
                               membershipTenantColumn: membershipTenantColumn, membershipUserColumn: membershipUserColumn),
            select: select, insertColumns: insertColumns, updateColumns: updateColumns, delete: delete,
            sequences: table.identitySequences)
    }

    private var tableKey: String { ObjectName.keyPart(table.schema) + "." + ObjectName.keyPart(table.name) }
    private var source: String { "\(predicate.sourceName)(\(tableKey))" }

    private func columnList(_ columns: [String]) -> String {
        "(" + columns.map(SQLText.identifier).joined(separator: ", ") + ")"
    }

    /// An identity column's sequence: nobody but `service_role` holds anything on it. An
    /// identity column's default needs no privilege on its sequence (the server skips the check),
    /// so users still insert; service_role may read it (`USAGE, SELECT`), no one may `setval` it.
    static func sequenceGrants(_ sequence: QualifiedName) -> [String] {
        [
            "REVOKE ALL ON SEQUENCE \(sequence.sql) FROM PUBLIC, \(DatabaseRole.allSQL)",
            "GRANT USAGE, SELECT ON SEQUENCE \(sequence.sql) TO \(DatabaseRole.serviceRole.sql)",
        ]
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
            grants.append(SQLLines.clause("GRANT INSERT \(columnList(columns))", "ON TABLE \(table.sql) TO \(authenticated)"))
        }
        if let columns = updateColumns, !columns.isEmpty {
            grants.append(SQLLines.clause("GRANT UPDATE \(columnList(columns))", "ON TABLE \(table.sql) TO \(authenticated)"))
        }
        if delete { grants.append("GRANT DELETE ON TABLE \(table.sql) TO \(authenticated)") }
        grants += sequences.flatMap(Self.sequenceGrants)

        var objects = [RepeatableObject(kind: .tableSecurity, key: "table security \(tableKey)", source: source,
                                        statements: grants, dropStatements: [])]
        func policy(_ command: String, using: Bool, check: Bool) {
            let policy = Policy(
                name: ObjectName.fitted("\(table.name)_\(predicate.policyWord)_\(command.lowercased())"),
                table: table, command: command, role: authenticated, predicate: predicate, using: using, check: check)
            objects.append(RepeatableObject(kind: .policy, key: "policy \(tableKey).\(ObjectName.keyPart(policy.name))",
                                            source: source, statements: [policy.dropSQL, policy.createSQL],
                                            dropStatements: [policy.dropSQL]))
        }
        if select { policy("SELECT", using: true, check: false) }
        if let columns = insertColumns, !columns.isEmpty { policy("INSERT", using: false, check: true) }
        if let columns = updateColumns, !columns.isEmpty { policy("UPDATE", using: true, check: true) }
        if delete { policy("DELETE", using: true, check: false) }
        return objects
    }

    /// One permissive policy: `CREATE POLICY … AS PERMISSIVE FOR <command> TO <role> USING … WITH CHECK …`.
    private struct Policy {
        var name: String
        var table: QualifiedName
        var command: String
        var role: String
        var predicate: Predicate
        var using: Bool
        var check: Bool

        var createSQL: String {
            var create = "CREATE POLICY \(SQLText.identifier(name)) ON \(table.sql)\n    AS PERMISSIVE FOR \(command) TO \(role)"
            if using { create += "\n" + predicate.clause("USING") }
            if check { create += "\n" + predicate.clause("WITH CHECK") }
            return create
        }

        var dropSQL: String { "DROP POLICY IF EXISTS \(SQLText.identifier(name)) ON \(table.sql)" }
    }
}
