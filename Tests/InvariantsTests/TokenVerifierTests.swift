import CryptoExtras
import Foundation
import Invariants
import InvariantsTesting
import JWTKit
import PostgresNIO
import SeedAppsTesting
import Testing

/// Issue 16, "identity from a verified token": seed 003's API verifies the user's Supabase JWT and
/// acts as that user. Tokens are signed here (HS256 secret; ES256 and RS256 keys made here and
/// published as a JWKS); a refused token is a typed error and runs nothing.
@Suite("SupabaseTokenVerifier: act as the user a verified token names")
struct TokenVerifierTests {
    static let secret = "test-secret-with-at-least-32-characters!!"

    /// The claims Supabase puts in an access token.
    struct Payload: JWTPayload {
        var sub: String?
        var role: String?
        var aud: String?
        var exp: Int?
        var nbf: Int?
        var email: String?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func payload(
        sub: String? = UUID().uuidString.lowercased(), role: String? = "authenticated", aud: String? = "authenticated",
        expiresIn: Int? = 3600
    ) -> Payload {
        Payload(
            sub: sub, role: role, aud: aud, exp: expiresIn.map { Int(Date().timeIntervalSince1970) + $0 }, nbf: nil,
            email: "user@example.com")
    }

    static func hs256(_ payload: Payload, secret: String = secret) async throws -> String {
        try await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256).sign(payload)
    }

    /// An ES256 key and an RS256 key, and the JWKS that publishes their public halves.
    struct AsymmetricKeys {
        let ecdsa = ES256PrivateKey()
        let rsa: JWTKit.Insecure.RSA.PrivateKey
        let jwks: String

        init() throws {
            rsa = try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
            let ec = ecdsa.parameters!
            let primitives = try rsa.publicKey.getKeyPrimitives()
            func b64url(_ data: Data) -> String {
                data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            }
            jwks = """
                {"keys":[{"kty":"EC","crv":"P-256","kid":"ec-1","alg":"ES256","x":"\(ec.x)","y":"\(ec.y)"},\
                {"kty":"RSA","kid":"rsa-1","alg":"RS256","n":"\(b64url(primitives.modulus))","e":"\(b64url(primitives.publicExponent))"}]}
                """
        }

        func es256(_ payload: Payload, kid: String = "ec-1") async throws -> String {
            try await JWTKeyCollection().add(ecdsa: ecdsa).sign(payload, kid: JWKIdentifier(string: kid))
        }

        func rs256(_ payload: Payload, kid: String = "rsa-1") async throws -> String {
            try await JWTKeyCollection().add(rsa: rsa, digestAlgorithm: .sha256).sign(payload, kid: JWKIdentifier(string: kid))
        }
    }

    /// A table whose rows each user sees only their own of (RLS on `owner = auth.uid()`), and a
    /// log the closures write to: empty after a refused token shows nothing ran.
    static func setUp(_ client: InvariantsClient) async throws {
        try await client.withConnection { connection in
            for statement: PostgresQuery in [
                "CREATE TABLE public.token_notes (owner uuid NOT NULL, body text NOT NULL)",
                "ALTER TABLE public.token_notes ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY own ON public.token_notes FOR SELECT TO authenticated USING (owner = auth.uid())",
                "GRANT SELECT ON public.token_notes TO authenticated",
                "CREATE TABLE public.token_log (who uuid)",
                "GRANT INSERT, SELECT ON public.token_log TO authenticated, anon, service_role",
            ] {
                _ = try await connection.query(statement, logger: quietLogger).collect()
            }
        }
    }

    static func logCount(_ client: InvariantsClient) async throws -> Int {
        try await client.query("SELECT count(*)::int FROM public.token_log")[0].decode(Int.self)
    }

    @Test("a valid HS256, ES256 and RS256 token: the call runs as its user and reads only that user's rows")
    func validTokensActAsTheirUser() async throws {
        try await withCatalogClient(maximumConnections: 1) { client, _ in
            try await Self.setUp(client)
            let keys = try AsymmetricKeys()
            let verifier = try await SupabaseTokenVerifier(secret: Self.secret, jwks: keys.jwks)
            let alice = UUID(), bob = UUID()
            try await client.execute("""
                INSERT INTO public.token_notes VALUES (\(alice), 'alice 1'), (\(alice), 'alice 2'), (\(bob), 'bob 1')
                """)
            let p = Self.payload(sub: alice.uuidString.lowercased())
            for token in [try await Self.hs256(p), try await keys.es256(p), try await keys.rs256(p)] {
                let (uid, bodies, email) = try await client.run(asToken: token, verifier: verifier) { connection in
                    let uid = try await connection.query("SELECT auth.uid()", logger: quietLogger).collect()[0].decode(UUID.self)
                    let bodies = try await connection.query(
                        "SELECT body FROM public.token_notes ORDER BY body", logger: quietLogger
                    ).collect().map { try $0.decode(String.self) }
                    let email = try await connection.query(
                        "SELECT auth.jwt() ->> 'email'", logger: quietLogger).collect()[0].decode(String?.self)
                    return (uid, bodies, email)
                }
                #expect(uid == alice)
                #expect(bodies == ["alice 1", "alice 2"])
                #expect(email == "user@example.com")  // the verified payload is request.jwt.claims
            }
            let rows = try await client.call(
                asToken: try await Self.hs256(Self.payload(sub: bob.uuidString.lowercased())), verifier: verifier,
                "SELECT body FROM public.token_notes", returning: "body text")
            #expect(try rows.map { try $0.decode(String.self) } == ["bob 1"])
        }
    }

    @Test("refused tokens: each its typed reason, and nothing runs")
    func refusedTokensRunNothing() async throws {
        try await withCatalogClient(maximumConnections: 1) { client, _ in
            try await Self.setUp(client)
            let keys = try AsymmetricKeys()
            let both = try await SupabaseTokenVerifier(secret: Self.secret, jwks: keys.jwks)
            let jwksOnly = try await SupabaseTokenVerifier(jwks: keys.jwks)
            let valid = try await Self.hs256(Self.payload())
            let parts = valid.split(separator: ".")
            let forged = Data(#"{"sub":"\#(UUID().uuidString.lowercased())","role":"service_role","aud":"authenticated","exp":9999999999}"#.utf8)
                .base64EncodedString().replacingOccurrences(of: "=", with: "")
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            let noneHeader = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            // HS256 signed with the RSA public key's PEM as the secret: the classic alg confusion.
            let confused = try await Self.hs256(Self.payload(), secret: keys.rsa.publicKey.pemRepresentation)
            let cases: [(String, SupabaseTokenVerifier, String, InvariantsError.TokenFailure)] = [
                ("expired", both, try await Self.hs256(Self.payload(expiresIn: -3600)), .expired),
                ("no exp", both, try await Self.hs256(Self.payload(expiresIn: nil)), .missingExpiry),
                ("tampered payload", both, "\(parts[0]).\(forged).\(parts[2])", .badSignature),
                ("wrong secret", both, try await Self.hs256(Self.payload(), secret: "another-secret-of-enough-length!!!!"), .badSignature),
                ("unknown kid", both, try await keys.es256(Self.payload(), kid: "ec-unknown"), .unknownKey),
                ("ES256 signed, kid of the RSA key", both, try await keys.es256(Self.payload(), kid: "rsa-1"), .algorithmNotAllowed),
                ("alg none", both, "\(noneHeader).\(parts[1]).", .algorithmNotAllowed),
                ("HS256 against a JWKS-only verifier", jwksOnly, confused, .algorithmNotAllowed),
                ("wrong aud", both, try await Self.hs256(Self.payload(aud: "someone-else")), .wrongAudience),
                ("service_role not allowed", both, try await Self.hs256(Self.payload(role: "service_role")), .roleNotAllowed),
                ("no role", both, try await Self.hs256(Self.payload(role: nil)), .missingRole),
                ("missing sub", both, try await Self.hs256(Self.payload(sub: nil)), .invalidSubject),
                ("sub not a UUID", both, try await Self.hs256(Self.payload(sub: "admin")), .invalidSubject),
                ("garbage", both, "not.a.jwt", .malformed),
            ]
            for (name, verifier, token, reason) in cases {
                let ran = Flag()
                let refused = await #expect(throws: InvariantsError.self, "\(name)") {
                    try await client.run(asToken: token, verifier: verifier) { connection in
                        ran.set()
                        _ = try await connection.query("INSERT INTO public.token_log VALUES (auth.uid())", logger: quietLogger).collect()
                    }
                }
                #expect(refused?.kind == .invalidToken, "\(name)")
                #expect(refused?.tokenFailure == reason, "\(name): \(refused?.tokenFailure.map(String.init(describing:)) ?? "nil")")
                #expect(refused.map { !$0.description.contains(token) } ?? false, "\(name): the message holds the token")
                #expect(!ran.value, "\(name): the closure ran")
                await #expect(throws: InvariantsError.self, "\(name)") {
                    _ = try await client.call(
                        asToken: token, verifier: verifier, "INSERT INTO public.token_log VALUES (auth.uid()) RETURNING who",
                        returning: "who uuid")
                }
            }
            #expect(try await Self.logCount(client) == 0)
            // service_role is accepted once allowed, and the same log write then lands.
            let backend = try await SupabaseTokenVerifier(secret: Self.secret, allowedRoles: [.authenticated, .serviceRole])
            try await client.run(asToken: try await Self.hs256(Self.payload(role: "service_role")), verifier: backend) { connection in
                _ = try await connection.query("INSERT INTO public.token_log VALUES (auth.uid())", logger: quietLogger).collect()
            }
            #expect(try await Self.logCount(client) == 1)
        }
    }
}

/// A Sendable flag a closure sets when it runs.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    func set() { lock.withLock { raised = true } }
    var value: Bool { lock.withLock { raised } }
}
