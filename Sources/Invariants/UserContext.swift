public import Foundation
public import PostgresNIO
public import InvariantsSchema

/// Who a call runs as: the request role and the JWT claims that `auth.uid()`,
/// `auth.role()`, `auth.email()` and `auth.jwt()` read — Supabase's conventions.
public struct UserContext: Sendable, Hashable {
    public var role: DatabaseRole
    public var userID: UUID?
    public var email: String?

    public init(role: DatabaseRole, userID: UUID? = nil, email: String? = nil) {
        self.role = role
        self.userID = userID
        self.email = email
    }

    /// A signed-in user: role `authenticated`, `sub` = the user's id.
    public static func user(_ id: UUID, email: String? = nil) -> UserContext {
        UserContext(role: .authenticated, userID: id, email: email)
    }

    /// Not signed in: role `anon`, no claims but the role.
    public static let anonymous = UserContext(role: .anon)

    /// The backend: role `service_role`, which bypasses row-level security.
    public static let service = UserContext(role: .serviceRole)

    /// The claims as JSON, as PostgREST puts them in `request.jwt.claims`.
    public var claimsJSON: String {
        var claims: [String: String] = ["role": role.rawValue]
        if let userID { claims["sub"] = userID.uuidString.lowercased() }
        if let email { claims["email"] = email }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(claims)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

extension InvariantsClient {
    /// Runs `body` in one transaction as `context`: the role and the claims are set with
    /// `set_config(…, true)` — transaction-local, through bind parameters — so nothing
    /// survives COMMIT or ROLLBACK and the same pooled connection (or a PgBouncer /
    /// Supavisor server connection in transaction mode) can serve another user next.
    ///
    /// Round trips: BEGIN, the context, your statements, COMMIT. The role can only be one
    /// of ``DatabaseRole`` (a whitelist by type); the connecting user must be a member of it
    /// (Supabase's `authenticator` is; a superuser is).
    @discardableResult
    public func run<T: Sendable>(as context: UserContext, _ body: (PostgresConnection) async throws -> T) async throws(InvariantsError) -> T {
        try await transaction { connection in
            try await Self.apply(context, on: connection, logger: logger)
            return try await body(connection)
        }
    }

    /// Sets `context` for the current transaction of `connection` (one round trip).
    public static func apply(_ context: UserContext, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "SELECT pg_catalog.set_config('role', \(context.role.rawValue), true), pg_catalog.set_config('request.jwt.claims', \(context.claimsJSON), true)",
            logger: logger
        ).collect()
    }
}
