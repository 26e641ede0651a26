public import Foundation
@_exported public import InvariantsVocabulary

/// Who a call runs as: the request role and the JWT claims that `auth.uid()`,
/// `auth.role()`, `auth.email()` and `auth.jwt()` read — Supabase's conventions.
public struct UserContext: Sendable, Hashable {
    public var role: DatabaseRole
    public var userID: UUID?
    public var email: String?
    /// The payload of the access token this context was verified from (``SupabaseTokenVerifier``),
    /// sent as `request.jwt.claims` so `auth.jwt()` sees every claim, as on Supabase; nil for a
    /// context made in code. Only the verifier sets it: an unverified payload never reaches SQL.
    public internal(set) var verifiedClaimsJSON: String?

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

    /// The claims as JSON, as PostgREST puts them in `request.jwt.claims` (keys sorted).
    /// Built by hand: it is made on every call, and three known keys need no JSONEncoder.
    /// A verified token's own payload when there is one (``verifiedClaimsJSON``).
    public var claimsJSON: String {
        if let verifiedClaimsJSON { return verifiedClaimsJSON }
        var fields = [(String, String)]()
        if let email { fields.append(("email", email)) }
        fields.append(("role", role.rawValue))
        if let userID { fields.append(("sub", userID.uuidString.lowercased())) }
        return "{" + fields.map { "\"\($0.0)\":" + Self.jsonString($0.1) }.joined(separator: ",") + "}"
    }

    /// A JSON string literal (RFC 8259: quote, backslash and control characters escaped).
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
