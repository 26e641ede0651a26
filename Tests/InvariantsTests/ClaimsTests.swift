import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import SeedAppsTesting
import Testing

/// Issue 16, findings 7 and 8: what `invariants.call_as` trusts. A legacy claim left on a pooled
/// connection must not impersonate, and claims naming another role than the one switched to are
/// refused.
@Suite("call_as: claims cannot impersonate")
struct ClaimsTests {
    func withConnection(_ body: (PostgresConnection) async throws -> Void) async throws {
        let database = try await catalogDatabase(allModules: true)
        let connection = try await database.connect(logger: quietLogger)
        do {
            try await body(connection)
            try await connection.close()
            try? await database.drop()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    func uid(_ connection: PostgresConnection, as user: UUID) async throws -> String {
        let claims = #"{"role":"authenticated","sub":"\#(user.uuidString.lowercased())"}"#
        let rows = try await connection.query("""
            SELECT uid FROM invariants.call_as('authenticated', \(claims), 'SELECT auth.uid()::text', '{}') AS t(uid text)
            """, logger: quietLogger).collect()
        return try rows[0].decode(String.self)
    }

    @Test("a session-level request.jwt.claim.sub of user A left on the connection: call_as for B runs as B")
    func legacyClaimDoesNotImpersonate() async throws {
        try await withConnection { connection in
            let a = UUID(), b = UUID()
            _ = try await connection.query("SELECT set_config('request.jwt.claim.sub', \(a.uuidString.lowercased()), false)", logger: quietLogger).collect()
            _ = try await connection.query("SELECT set_config('request.jwt.claim.role', 'service_role', false)", logger: quietLogger).collect()
            #expect(try await uid(connection, as: b) == b.uuidString.lowercased())
            // After the call the session's own settings are back, untouched.
            let after = try await connection.query("SELECT current_setting('request.jwt.claim.sub')", logger: quietLogger).collect()
            #expect(try after[0].decode(String.self) == a.uuidString.lowercased())
        }
    }

    @Test("claims that name another role than the one switched to are refused with IV422; nothing runs")
    func claimedRoleMustMatch() async throws {
        try await withConnection { connection in
            for (role, claims) in [
                ("authenticated", #"{"role":"service_role","sub":"00000000-0000-0000-0000-000000000001"}"#),
                ("anon", #"{"role":"authenticated"}"#),
                ("authenticated", #"{"sub":"00000000-0000-0000-0000-000000000001"}"#),
            ] {
                let refused = await #expect(throws: PSQLError.self) {
                    _ = try await connection.query("""
                        SELECT x FROM invariants.call_as(\(role), \(claims), 'SELECT 1', '{}') AS t(x int)
                        """, logger: quietLogger).collect()
                }
                #expect(refused?.serverInfo?[.sqlState] == "IV422", "\(role) \(claims)")
                #expect(refused?.serverInfo?[.message]?.contains("claims name role") == true)
            }
        }
    }
}

/// Finding 8 through the client: `run(as:)` on a pooled connection with a legacy claim left at
/// session level.
@Suite("run(as:): a legacy claim left on a pooled connection does not impersonate")
struct RunAsLegacyClaimTests {
    @Test("a session-level request.jwt.claim.sub of A on the only pooled connection: run(as: B) reads B's uid")
    func runAsIgnoresLeftoverLegacyClaim() async throws {
        try await withCatalogClient(maximumConnections: 1) { client, _ in
            let a = UUID(), b = UUID()
            try await client.withConnection { connection in
                _ = try await connection.query(
                    "SELECT set_config('request.jwt.claim.sub', \(a.uuidString.lowercased()), false)", logger: quietLogger).collect()
            }
            let uid = try await client.run(as: .user(b)) { connection in
                try await connection.query("SELECT auth.uid()", logger: quietLogger).collect()[0].decode(UUID.self)
            }
            #expect(uid == b)
            let leftover = try await client.withConnection { connection in
                try await connection.query("SELECT current_setting('request.jwt.claim.sub')", logger: quietLogger).collect()[0].decode(String.self)
            }
            #expect(leftover == a.uuidString.lowercased(), "the same pooled connection served both")
        }
    }
}
