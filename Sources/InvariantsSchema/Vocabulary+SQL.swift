// What the renderer and the client both need lives in InvariantsVocabulary, so the client core
// does not link the renderer; declarations use it through this module.
@_exported public import InvariantsVocabulary

extension DatabaseRole {
    /// The quoted role name.
    public var sql: String { SQLText.identifier(rawValue) }

    /// `anon, authenticated, service_role` for REVOKE lists.
    public static var allSQL: String { allCases.map(\.sql).joined(separator: ", ") }
}

extension ProjectErrorCode {
    /// The SQL literal for `ERRCODE = …`.
    public var sqlLiteral: String { SQLText.literal(rawValue) }
}
