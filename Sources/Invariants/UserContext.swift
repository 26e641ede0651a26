public import Foundation
public import PostgresNIO

// TEMPORARY stand-in for the lead's UserContext / run(as:) (issue 4 foundation), so seed 000
// builds before the foundation lands on main. On `git merge main` take main's version.

/// Who a call acts as: the request role and the JWT claims `auth.uid()` reads.
public enum UserContext: Sendable, Hashable {
    /// A signed-in user (role `authenticated`).
    case user(UUID, email: String? = nil)
    /// Not signed in (role `anon`).
    case anonymous
    /// The backend (role `service_role`, bypasses RLS).
    case service

    var role: String {
        switch self {
        case .user: "authenticated"
        case .anonymous: "anon"
        case .service: "service_role"
        }
    }

    var claims: String {
        var claims: [String: String] = ["role": role]
        if case .user(let id, let email) = self {
            claims["sub"] = id.uuidString.lowercased()
            if let email { claims["email"] = email }
        }
        let data = try! JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

extension InvariantsClient {
    /// Runs `body` in one transaction as `context`: role and claims are set transaction-locally.
    public func run<T: Sendable>(as context: UserContext, _ body: (PostgresConnection) async throws -> T) async throws(InvariantsError) -> T {
        let logger = logger
        return try await transaction { conn in
            _ = try await conn.query(
                "SELECT set_config('request.jwt.claims', \(context.claims), true), set_config('role', \(context.role), true)",
                logger: logger
            ).collect()
            return try await body(conn)
        }
    }
}
