import Foundation
import Invariants
import InvariantsTesting
import PostgresNIO
import Testing
import SeedAppsTesting

/// Issue 16, finding 13: malformed claims reach the shim's `auth.uid()` as IV422 naming the
/// setting, not as a raw 22P02.
@Suite("auth shim: malformed claims are a clear error")
struct AuthClaimErrorTests {
    /// `auth.uid()` with `setting` = `value` (transaction-locally), as the superuser.
    func uid(_ client: InvariantsClient, _ setting: String, _ value: String) async throws -> UUID? {
        try await client.transaction { conn in
            _ = try await conn.query("SELECT set_config(\(setting), \(value), true)", logger: quietLogger).collect()
            return try await conn.query("SELECT auth.uid()", logger: quietLogger).collect().first?.decode(UUID?.self)
        }
    }

    @Test("not JSON, a sub that is no uuid, a legacy sub that is no uuid: IV422 naming the setting")
    func malformed() async throws {
        try await withCatalogClient { client, _ in
            for (setting, value, message) in [
                ("request.jwt.claims", #"{"sub":"not-a-uuid"}"#, "request.jwt.claims sub is not a uuid"),
                ("request.jwt.claims", #"{"sub": 42}"#, "request.jwt.claims sub is not a uuid"),
                ("request.jwt.claims", "not json at all", "request.jwt.claims is not JSON"),
                ("request.jwt.claim.sub", "x", "request.jwt.claim.sub is not a uuid"),
            ] {
                let error = await #expect(throws: InvariantsError.self) { try await uid(client, setting, value) }
                #expect(error?.sqlState == "IV422", "\(value): \(String(reflecting: error))")
                #expect(error?.kind == .invalidInput)
                #expect(error?.message == message)
                #expect(error?.column == setting)
            }
        }
    }

    @Test("valid claims give what they gave before: any form uuid accepts, the legacy setting first, none is NULL")
    func valid() async throws {
        try await withCatalogClient { client, _ in
            let id = UUID()
            let plain = id.uuidString.lowercased()
            #expect(try await uid(client, "request.jwt.claims", #"{"sub": "\#(id.uuidString)"}"#) == id)
            #expect(try await uid(client, "request.jwt.claims", #"{"sub": "\#(plain.replacingOccurrences(of: "-", with: ""))"}"#) == id)
            #expect(try await uid(client, "request.jwt.claim.sub", "{\(plain)}") == id)
            #expect(try await uid(client, "request.jwt.claims", #"{"role": "anon"}"#) == nil)
            #expect(try await uid(client, "request.jwt.claims", "") == nil)
            let legacyFirst = try await client.transaction { conn in
                _ = try await conn.query("""
                    SELECT set_config('request.jwt.claims', 'not json', true), set_config('request.jwt.claim.sub', \(plain), true)
                    """, logger: quietLogger).collect()
                return try await conn.scalar("SELECT auth.uid()", as: UUID.self)
            }
            #expect(legacyFirst == id)
            // Through the client, as before.
            #expect(try await client.run(as: .user(id)) { try await $0.scalar("SELECT auth.uid()", as: UUID.self) } == id)
        }
    }
}
