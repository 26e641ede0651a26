extension InvariantsError.Kind {
    /// A Supabase access token was refused by ``SupabaseTokenVerifier``; nothing ran.
    /// ``InvariantsError/tokenFailure`` says why.
    public static let invalidToken = InvariantsError.Kind(tokenKind: ())
}

extension InvariantsError {
    /// Why ``SupabaseTokenVerifier`` refused a token: a struct over a private enum, as
    /// ``InvariantsError/Kind`` is, so a reason added later never breaks a caller's `switch`.
    public struct TokenFailure: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case malformed, algorithmNotAllowed, unknownKey, badSignature, expired, missingExpiry
            case notYetValid, issuedInFuture, wrongAudience, missingRole, roleNotAllowed, invalidSubject
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The reason's name, e.g. `expired`.
        public var description: String { base.rawValue }

        /// Not three base64url parts, or a header or payload that is not the expected JSON.
        public static let malformed = TokenFailure(.malformed)
        /// The header's `alg` is not one the verifier accepts for the key (`none`, or HS256 where
        /// only JWKS keys are configured, or RS256 naming an EC key, …).
        public static let algorithmNotAllowed = TokenFailure(.algorithmNotAllowed)
        /// The header's `kid` names no key of the JWKS (or is missing for an asymmetric token).
        public static let unknownKey = TokenFailure(.unknownKey)
        /// The signature does not match the header and payload: tampered, or signed by another key.
        public static let badSignature = TokenFailure(.badSignature)
        /// `exp` is in the past (beyond the leeway).
        public static let expired = TokenFailure(.expired)
        /// The token has no `exp`: a token that never expires is refused.
        public static let missingExpiry = TokenFailure(.missingExpiry)
        /// `nbf` is in the future (beyond the leeway).
        public static let notYetValid = TokenFailure(.notYetValid)
        /// `iat` is in the future (beyond the leeway).
        public static let issuedInFuture = TokenFailure(.issuedInFuture)
        /// `aud` is missing or does not contain the expected audience.
        public static let wrongAudience = TokenFailure(.wrongAudience)
        /// The token has no `role` claim.
        public static let missingRole = TokenFailure(.missingRole)
        /// The `role` claim is not a role the verifier allows.
        public static let roleNotAllowed = TokenFailure(.roleNotAllowed)
        /// `sub` is missing or not a UUID where the role needs a user (`authenticated`).
        public static let invalidSubject = TokenFailure(.invalidSubject)
    }

    /// An ``Kind/invalidToken`` error for `reason`; `message` names the problem and at most a
    /// claim's name, never the token or a claim's value.
    static func invalidToken(_ reason: TokenFailure, _ message: String) -> InvariantsError {
        var error = InvariantsError(.invalidToken, "access token refused (\(reason)): \(message)")
        error.tokenFailure = reason
        return error
    }
}
