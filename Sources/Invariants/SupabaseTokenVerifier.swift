public import Foundation
import JWTKit

/// Verifies a Supabase access token (seed 003: the API checks the user's JWT on every request and
/// acts as that user) and turns it into the ``UserContext`` it names.
///
/// HS256 tokens are checked against the project's JWT secret, ES256 and RS256 tokens against the
/// project's JWKS (the key chosen by the header's `kid`). The signature is checked by
/// [jwt-kit](https://github.com/vapor/jwt-kit); before that the verifier itself picks the key and
/// refuses an `alg` the key is not for — `none`, HS256 where only a JWKS is configured (a public
/// RSA key used as an HMAC secret), RS256 naming an EC key. Then `exp` (required), `nbf` and `iat`
/// within ``leeway``, `aud`, `role` and, for `authenticated`, `sub` as a UUID.
///
/// Every failure is ``InvariantsError/Kind/invalidToken`` with a
/// ``InvariantsError/TokenFailure``; the message never holds the token or a claim's value.
public struct SupabaseTokenVerifier: Sendable {
    /// The audience the `aud` claim must contain; Supabase's is `authenticated`.
    public var audience: String
    /// The roles a token may carry; `authenticated` unless you allow `anon` or `service_role`.
    public var allowedRoles: Set<DatabaseRole>
    /// How far `exp`, `nbf` and `iat` may be off, for clocks that disagree.
    public var leeway: Duration

    private let hmac: JWTKeyCollection?
    private let jwks: JWTKeyCollection?
    /// The algorithm each JWKS key is for, by `kid`.
    private let jwksAlgorithms: [String: String]
    private let now: @Sendable () -> Date

    /// A verifier for HS256 tokens signed with `secret` and/or ES256/RS256 tokens signed by a key
    /// of `jwks` (the JSON of `/auth/v1/.well-known/jwks.json`).
    ///
    /// - Parameters:
    ///   - secret: the project's JWT secret (HS256); nil when the project uses asymmetric keys only.
    ///   - jwks: the project's JWKS as JSON; each key needs a `kid` and is EC (P-256, ES256) or RSA (RS256).
    ///   - audience: the expected `aud`.
    ///   - allowedRoles: the roles accepted in the `role` claim.
    ///   - leeway: the clock skew tolerated for `exp`, `nbf` and `iat`.
    ///   - now: the clock, for tests.
    /// - Throws: ``InvariantsError/Kind/invalidInput`` when neither key source is given or the JWKS
    ///   does not parse.
    public init(
        secret: String? = nil, jwks: String? = nil, audience: String = "authenticated",
        allowedRoles: Set<DatabaseRole> = [.authenticated], leeway: Duration = .seconds(30),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws(InvariantsError) {
        guard secret != nil || jwks != nil else {
            throw InvariantsError(.invalidInput, "a token verifier needs a JWT secret or a JWKS", column: "secret")
        }
        self.audience = audience
        self.allowedRoles = allowedRoles
        self.leeway = leeway
        self.now = now
        if let secret {
            hmac = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        } else {
            hmac = nil
        }
        guard let jwks else {
            self.jwks = nil
            jwksAlgorithms = [:]
            return
        }
        do {
            let parsed = try JSONDecoder().decode(JWKS.self, from: Data(jwks.utf8))
            var algorithms: [String: String] = [:]
            for key in parsed.keys {
                guard let kid = key.keyIdentifier?.string else {
                    throw InvariantsError(.invalidInput, "a JWKS key has no kid", column: "jwks")
                }
                switch key.keyType {
                case .ecdsa: algorithms[kid] = "ES256"
                case .rsa: algorithms[kid] = "RS256"
                default: throw InvariantsError(.invalidInput, "JWKS key \(kid) is neither EC nor RSA", column: "jwks")
                }
                if let declared = key.algorithm?.rawValue, declared != algorithms[kid] {
                    throw InvariantsError(.invalidInput, "JWKS key \(kid) declares alg \(declared)", column: "jwks")
                }
            }
            self.jwks = try await JWTKeyCollection().add(jwks: parsed)
            jwksAlgorithms = algorithms
        } catch let error as InvariantsError {
            throw error
        } catch {
            throw InvariantsError(.invalidInput, "the JWKS does not parse: \(error)", column: "jwks")
        }
    }

    /// Verifies `token` and returns the user it names: role from `role`, ``UserContext/userID``
    /// from `sub`, ``UserContext/email`` from `email`, and the verified payload as
    /// ``UserContext/verifiedClaimsJSON``.
    ///
    /// - Throws: ``InvariantsError/Kind/invalidToken``; ``InvariantsError/tokenFailure`` says why.
    public func verify(_ token: String) async throws(InvariantsError) -> UserContext {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.decodeJSON(parts[0], as: Header.self),
            let payloadData = Self.base64URL(parts[1])
        else { throw .invalidToken(.malformed, "not a JWT (three base64url JSON parts)") }
        let keys = try selectKeys(header)
        let claims: Claims
        do {
            claims = try await keys.verify(token, as: Claims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .invalidToken(.badSignature, "the signature does not match")
        } catch let error as JWTError where error.errorType == .unknownKID || error.errorType == .noKeyProvided {
            throw .invalidToken(.unknownKey, "no key for the token")
        } catch {
            throw .invalidToken(.malformed, "the token does not decode")
        }
        return try context(claims, payload: payloadData)
    }

    /// The keys `header` may be checked against: the HMAC secret for HS256, the JWKS key named by
    /// `kid` for ES256/RS256 (its algorithm must be the header's). Anything else is refused here,
    /// before jwt-kit, so a key is never used with an algorithm it is not for.
    private func selectKeys(_ header: Header) throws(InvariantsError) -> JWTKeyCollection {
        switch header.alg {
        case "HS256":
            guard let hmac else { throw .invalidToken(.algorithmNotAllowed, "HS256 is not accepted (no JWT secret configured)") }
            return hmac
        case "ES256", "RS256":
            guard let jwks else { throw .invalidToken(.algorithmNotAllowed, "\(header.alg) is not accepted (no JWKS configured)") }
            guard let kid = header.kid, let expected = jwksAlgorithms[kid] else {
                throw .invalidToken(.unknownKey, "the header's kid names no key of the JWKS")
            }
            guard expected == header.alg else {
                throw .invalidToken(.algorithmNotAllowed, "\(header.alg) does not match the key's algorithm \(expected)")
            }
            return jwks
        default:
            throw .invalidToken(.algorithmNotAllowed, "the header's alg is not HS256, ES256 or RS256")
        }
    }

    /// The claim checks after the signature.
    private func context(_ claims: Claims, payload: Data) throws(InvariantsError) -> UserContext {
        let now = self.now()
        let slack = Double(leeway.components.seconds) + Double(leeway.components.attoseconds) / 1e18
        guard let exp = claims.exp else { throw .invalidToken(.missingExpiry, "the token has no exp") }
        guard exp.value.timeIntervalSince(now) > -slack else { throw .invalidToken(.expired, "exp is in the past") }
        if let nbf = claims.nbf, nbf.value.timeIntervalSince(now) > slack {
            throw .invalidToken(.notYetValid, "nbf is in the future")
        }
        if let iat = claims.iat, iat.value.timeIntervalSince(now) > slack {
            throw .invalidToken(.issuedInFuture, "iat is in the future")
        }
        guard let aud = claims.aud, aud.value.contains(audience) else {
            throw .invalidToken(.wrongAudience, "aud does not contain the expected audience")
        }
        guard let roleName = claims.role else { throw .invalidToken(.missingRole, "the token has no role claim") }
        guard let role = DatabaseRole(rawValue: roleName), allowedRoles.contains(role) else {
            throw .invalidToken(.roleNotAllowed, "the role claim is not an allowed role")
        }
        let userID = claims.sub.flatMap { UUID(uuidString: $0.value) }
        if role == .authenticated, userID == nil {
            throw .invalidToken(.invalidSubject, "sub is missing or not a UUID")
        }
        var context = UserContext(role: role, userID: userID, email: claims.email)
        context.verifiedClaimsJSON = String(decoding: payload, as: UTF8.self)
        return context
    }

    private struct Header: Decodable {
        var alg: String
        var kid: String?
    }

    /// The claims checked; the rest of the payload is passed through untouched.
    private struct Claims: JWTPayload {
        var exp: ExpirationClaim?
        var nbf: NotBeforeClaim?
        var iat: IssuedAtClaim?
        var aud: AudienceClaim?
        var sub: SubjectClaim?
        var role: String?
        var email: String?

        // The checks need the leeway and the configured audience: `context(_:payload:)` does them.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private static func base64URL(_ part: Substring) -> Data? {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: text)
    }

    private static func decodeJSON<T: Decodable>(_ part: Substring, as type: T.Type) -> T? {
        base64URL(part).flatMap { try? JSONDecoder().decode(type, from: $0) }
    }
}
