extension StoredFunction {
    /// The function as stored logic with exact EXECUTE grants: revoked from PUBLIC and from
    /// every request role (Supabase grants EXECUTE on new functions to all of them by
    /// default), then granted to exactly `roles`.
    public func repeatableObject(source: String, executableBy roles: [DatabaseRole]) -> RepeatableObject {
        var statements = [
            createSQL,
            SQLLines.clause("REVOKE EXECUTE ON FUNCTION \(signatureSQL)", "FROM PUBLIC, \(DatabaseRole.allSQL)"),
        ]
        if !roles.isEmpty {
            statements.append(SQLLines.clause("GRANT EXECUTE ON FUNCTION \(signatureSQL)", "TO \(roles.map(\.sql).joined(separator: ", "))"))
        }
        return RepeatableObject(kind: .function, key: "function \(keySignature)", source: source,
                                statements: statements, dropStatements: [dropSQL])
    }
}
