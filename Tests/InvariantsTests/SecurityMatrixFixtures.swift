import Foundation
import PostgresNIO

/// The security matrix's registries. Every user-owned table (a table in `public` with a
/// `user_id` column) and every function in `public` that `authenticated` may execute needs an
/// entry here, or ``SecurityMatrixTests`` fails: a new table or function cannot skip the matrix.
///
/// Module authors: add your table's fixture next to your module's other tests' helpers.
enum SecurityMatrixRegistry {
    /// `"public.<table>"` → inserts at least one row owned by `owner` (and whatever parents the
    /// row needs), as the superuser. Called once for user A and once for user B; each user
    /// already exists in `auth.users`.
    static let tableFixtures: [String: OwnedRowsFixture] = [:]

    /// `"public.<function>(<identity arguments>)"` (as `pg_get_function_identity_arguments`
    /// prints them) → a probe in which user B calls the function with user A's ids and must
    /// get not-found / forbidden and change nothing. Throw or record an `Issue` on failure.
    static let functionProbes: [String: FunctionProbe] = [:]
}

/// Creates rows owned by `owner` on `connection` (a superuser connection).
typealias OwnedRowsFixture = @Sendable (_ connection: PostgresConnection, _ owner: UUID) async throws -> Void

/// Probes one function as user B against user A's rows.
typealias FunctionProbe = @Sendable (_ context: SecurityMatrixContext) async throws -> Void
