// PLACEHOLDER for the issue-4 foundation (branch seed003 only).
// The lead's "Foundation for issue 4" commit on main declares DatabaseRole,
// OwnerRowLevelSecurity and StoredFunction.repeatableObject(source:executableBy:) with these
// documented names. When merging main into seed003: DELETE THIS FILE and keep main's.

/// The Supabase roles the generated SQL grants to.
public enum DatabaseRole: String, Hashable, Sendable, CaseIterable {
    case anon
    case authenticated
    case serviceRole = "service_role"

    /// The role name quoted for SQL.
    public var sql: String { SQLText.identifier(rawValue) }
}

/// Owner row-level security on a user-owned table (placeholder; see the file header).
public struct OwnerRowLevelSecurity: Hashable, Sendable {
    public var table: Table
    public var owner: String
    public var select: Bool
    public var insertColumns: [String]?
    public var updateColumns: [String]?
    public var delete: Bool

    public init(
        table: Table, owner: String = "user_id", select: Bool = true,
        insertColumns: [String]? = nil, updateColumns: [String]? = nil, delete: Bool = false
    ) {
        self.table = table
        self.owner = owner
        self.select = select
        self.insertColumns = insertColumns
        self.updateColumns = updateColumns
        self.delete = delete
    }

    public func repeatableObjects() -> [RepeatableObject] {
        let t = table.qualifiedName.sql
        let key = ObjectName.keyPart(table.schema) + "." + ObjectName.keyPart(table.name)
        let source = "OwnerRowLevelSecurity(table: \(key))"
        let mine = "(SELECT \"auth\".\"uid\"()) = \(SQLText.identifier(owner))"
        var grants = [
            "ALTER TABLE \(t) ENABLE ROW LEVEL SECURITY",
            "REVOKE ALL ON \(t) FROM PUBLIC, \"anon\", \"authenticated\", \"service_role\"",
            "GRANT ALL ON \(t) TO \"service_role\"",
        ]
        var policies: [RepeatableObject] = []
        func policy(_ command: String, _ clause: String) {
            let name = "owner_" + command.lowercased()
            policies.append(RepeatableObject(
                kind: .policy, key: "policy \(key).\(name)", source: source,
                statements: [
                    "DROP POLICY IF EXISTS \(SQLText.identifier(name)) ON \(t)",
                    "CREATE POLICY \(SQLText.identifier(name)) ON \(t) FOR \(command) TO \"authenticated\" \(clause)",
                ],
                dropStatements: ["DROP POLICY IF EXISTS \(SQLText.identifier(name)) ON \(t)"]))
        }
        if select {
            grants.append("GRANT SELECT ON \(t) TO \"authenticated\"")
            policy("SELECT", "USING (\(mine))")
        }
        if let insertColumns {
            grants.append("GRANT INSERT \(SQLList.identifiers(insertColumns)) ON \(t) TO \"authenticated\"")
            policy("INSERT", "WITH CHECK (\(mine))")
        }
        if let updateColumns {
            grants.append("GRANT UPDATE \(SQLList.identifiers(updateColumns)) ON \(t) TO \"authenticated\"")
            policy("UPDATE", "USING (\(mine)) WITH CHECK (\(mine))")
        }
        if delete {
            grants.append("GRANT DELETE ON \(t) TO \"authenticated\"")
            policy("DELETE", "USING (\(mine))")
        }
        let grant = RepeatableObject(
            kind: .grant, key: "grant \(key)", source: source, statements: grants,
            dropStatements: ["REVOKE ALL ON \(t) FROM \"anon\", \"authenticated\""])
        return [grant] + policies
    }
}

extension StoredFunction {
    /// CREATE OR REPLACE, REVOKE EXECUTE from everyone, GRANT EXECUTE to exactly `roles`.
    public func repeatableObject(source: String, executableBy roles: [DatabaseRole]) -> RepeatableObject {
        var statements = [
            createSQL,
            "REVOKE EXECUTE ON FUNCTION \(signatureSQL) FROM PUBLIC, \"anon\", \"authenticated\", \"service_role\"",
        ]
        if !roles.isEmpty {
            statements.append("GRANT EXECUTE ON FUNCTION \(signatureSQL) TO " + roles.map(\.sql).joined(separator: ", "))
        }
        return RepeatableObject(
            kind: returns == "trigger" ? .triggerFunction : .function, key: "function " + keySignature,
            source: source, statements: statements, dropStatements: [dropSQL])
    }
}
