/// The request roles of Supabase (and PostgREST): what a connection switches to for a
/// request. On plain PostgreSQL the auth shim migration creates them.
public enum DatabaseRole: String, Sendable, Hashable, CaseIterable {
    /// Not signed in. Gets nothing from this project's tables.
    case anon
    /// A signed-in user; row-level security decides which rows.
    case authenticated
    /// The backend. `BYPASSRLS`; never given to a browser.
    case serviceRole = "service_role"

    /// The quoted role name.
    public var sql: String { SQLText.identifier(rawValue) }

    /// `anon, authenticated, service_role` for REVOKE lists.
    public static var allSQL: String { allCases.map(\.sql).joined(separator: ", ") }
}
