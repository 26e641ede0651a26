public import PostgresNIO

// Seed 003: the API verifies the caller's Supabase JWT on every request and acts as that user.
// Verification comes first and throws before a connection is leased: a refused token runs nothing.

extension InvariantsClient {
    /// Verifies `token` with `verifier`, then runs `body` in one transaction as the user it names,
    /// as ``run(as:timeout:_:)`` does — with the token's verified payload as `request.jwt.claims`,
    /// so `auth.jwt()` sees every claim.
    ///
    /// - Throws: ``InvariantsError/Kind/invalidToken`` when the token is refused (no connection is
    ///   used and no statement is sent), else what ``run(as:timeout:_:)`` throws.
    @discardableResult
    public func run<T: Sendable>(
        asToken token: String, verifier: SupabaseTokenVerifier, timeout: Duration? = nil,
        _ body: sending @escaping (PostgresConnection) async throws -> T
    ) async throws(InvariantsError) -> T {
        let context = try await verifier.verify(token)
        return try await run(as: context, timeout: timeout, body)
    }

    /// Verifies `token` with `verifier`, then runs one statement as its user, as
    /// ``call(as:_:arguments:returning:timeout:)`` does.
    ///
    /// - Throws: ``InvariantsError/Kind/invalidToken`` when the token is refused (nothing is sent),
    ///   else what ``call(as:_:arguments:returning:timeout:)`` throws.
    public func call(
        asToken token: String, verifier: SupabaseTokenVerifier, _ statement: String, arguments: [String] = [],
        returning columns: String, timeout: Duration? = nil
    ) async throws(InvariantsError) -> [PostgresRow] {
        let context = try await verifier.verify(token)
        return try await call(as: context, statement, arguments: arguments, returning: columns, timeout: timeout)
    }
}
