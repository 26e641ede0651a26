// PLACEHOLDER for the issue-4 foundation (branch seed003 only): UserContext and
// InvariantsClient.run(as:_:) with the documented names. When merging main into seed003:
// DELETE THIS FILE and keep main's.
public import Foundation
public import PostgresNIO

/// Who a call acts as (placeholder; see the file header).
public enum UserContext: Sendable, Hashable {
    case user(UUID, email: String? = nil)
    case anonymous
    case service

    var role: String {
        switch self {
        case .user: "authenticated"
        case .anonymous: "anon"
        case .service: "service_role"
        }
    }

    var claims: String {
        switch self {
        case .user(let id, let email):
            let mail = email.map { ",\"email\":\"\($0)\"" } ?? ""
            return "{\"sub\":\"\(id.uuidString.lowercased())\",\"role\":\"authenticated\"\(mail)}"
        case .anonymous: return "{\"role\":\"anon\"}"
        case .service: return "{\"role\":\"service_role\"}"
        }
    }
}

extension InvariantsClient {
    /// One transaction acting as `context`: role and claims set transaction-locally.
    public func run<T: Sendable>(
        as context: UserContext, _ body: (PostgresConnection) async throws -> T
    ) async throws(InvariantsError) -> T {
        let logger = self.logger
        return try await transaction { conn in
            try await conn.query(
                "SELECT set_config('role', \(context.role), true), set_config('request.jwt.claims', \(context.claims), true)",
                logger: logger)
            return try await body(conn)
        }
    }
}
