/// The request roles of Supabase (and PostgREST): what a connection switches to for a
/// request. On plain PostgreSQL the auth shim migration creates them.
public enum DatabaseRole: String, Sendable, Hashable, CaseIterable {
    /// Not signed in. Gets nothing from this project's tables.
    case anon
    /// A signed-in user; row-level security decides which rows.
    case authenticated
    /// The backend. `BYPASSRLS`; never given to a browser.
    case serviceRole = "service_role"
}
