import Foundation
import Invariants
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedAppsTesting
import SupportChat

/// `InvariantsClient.call(as:)` runs one statement through `invariants.call_as` in one round
/// trip; these prove it is the same security boundary as BEGIN + `set_config` + the statement.
@Suite("call(as:): one round trip, the same request context as run(as:)")
struct CallAsTests {
    static let gigCount = "SELECT count(*) FROM public.gigs"

    /// Two users, each owning a workspace with `gigs` gigs.
    func twoTenants(_ client: InvariantsClient, gigs: (Int, Int) = (3, 5)) async throws -> (UUID, UUID) {
        let (alice, bob) = (try await client.makeUser(), try await client.makeUser())
        for (user, count) in [(alice, gigs.0), (bob, gigs.1)] {
            let workspace = try await client.createWorkspace(named: "ws", as: .user(user))
            try await client.execute("INSERT INTO public.gigs (workspace_id, title) SELECT \(workspace), 'g' || i FROM generate_series(1, \(count)) AS i")
        }
        return (alice, bob)
    }

    @Test("row-level security, grants and auth.uid() apply to the request role")
    func securityApplies() async throws {
        try await withCatalogClient { client, _ in
            let (alice, bob) = try await twoTenants(client)
            func count(_ who: UserContext) async throws -> Int64 {
                try await client.call(as: who, Self.gigCount, returning: "n bigint")[0].decode(Int64.self)
            }
            #expect(try await count(.user(alice)) == 3)
            #expect(try await count(.user(bob)) == 5)
            #expect(try await count(.service) == 8)
            #expect(try await count(.user(UUID())) == 0)
            // anon has no grant on gigs: checked as anon, not as the connecting superuser.
            let anonymous = await #expect(throws: InvariantsError.self) { try await count(.anonymous) }
            #expect(anonymous?.kind == .insufficientPrivilege)
            let uid = try await client.call(as: .user(alice), "SELECT auth.uid()::text, auth.role()", returning: "uid text, role text")[0]
                .decode((String, String).self)
            #expect(uid == (alice.uuidString.lowercased(), "authenticated"))
        }
    }

    @Test("nothing outlives the call: not on the pooled connection, not inside a transaction")
    func nothingOutlives() async throws {
        try await withCatalogClient(maximumConnections: 1) { client, _ in
            let user = try await client.makeUser()
            _ = try await client.call(as: .user(user), "SELECT 1", returning: "x int")
            // One connection: the same session the call used.
            let after = try await client.firstRow("SELECT current_user::text, coalesce(current_setting('request.jwt.claims', true), '')")
                .decode((String, String).self)
            #expect(after == ("postgres", ""))
            // Inside a transaction the previous role and claims come back after the statement.
            let inside = try await client.transaction { conn in
                _ = try await conn.query("""
                    SELECT * FROM invariants.call_as('authenticated', \(UserContext.user(user).claimsJSON), 'SELECT auth.uid()', '{}') AS r(u uuid)
                    """, logger: quietLogger).collect()
                return try await conn.scalar("SELECT current_user::text || '/' || coalesce(current_setting('request.jwt.claims', true), '')", as: String.self)
            }
            #expect(inside == "postgres/")
        }
    }

    @Test("a failing statement is a typed error and writes nothing")
    func failures() async throws {
        try await withCatalogClient { client, _ in
            let (alice, _) = try await twoTenants(client)
            // Project code raised inside the called function: alice is no member of a made-up workspace.
            let forbidden = await #expect(throws: InvariantsError.self) {
                try await client.counts(gig: UUID(), workspace: UUID(), as: .user(alice))
            }
            #expect(forbidden?.kind == .forbidden)
            // A write that fails half-way leaves nothing: both rows or none.
            let before = try await client.scalar("SELECT count(*) FROM public.gigs", as: Int64.self)
            let missingWorkspace = await #expect(throws: InvariantsError.self) {
                try await client.call(
                    as: .service,
                    "INSERT INTO public.gigs (workspace_id, title) SELECT ws, 'x' FROM unnest(ARRAY[(SELECT id FROM public.workspaces LIMIT 1), ($1)[1]::uuid]) AS ws RETURNING id",
                    arguments: [UUID().uuidString], returning: "id uuid")
            }
            #expect(missingWorkspace?.kind == .foreignKeyViolation)
            #expect(try await client.scalar("SELECT count(*) FROM public.gigs", as: Int64.self) == before)
            // A statement whose columns differ from the definition list names the mismatch.
            let shape = await #expect(throws: InvariantsError.self) {
                try await client.call(as: .service, "SELECT 1::int", returning: "n bigint")
            }
            #expect(shape?.sqlState == "42804")
        }
    }

    @Test("only the three request roles; EXECUTE is no request role's")
    func roleWhitelist() async throws {
        try await withCatalogClient { client, _ in
            let error = await #expect(throws: InvariantsError.self) {
                try await client.query("SELECT * FROM invariants.call_as('postgres', '{}', 'SELECT 1', '{}') AS r(x int)")
            }
            #expect(error?.kind == .invalidInput && error?.column == "role")
            for role in ["anon", "authenticated", "service_role", "public"] {
                let allowed = try await client.scalar(
                    "SELECT has_function_privilege(\(role), 'invariants.call_as(text, text, text, text[])', 'EXECUTE')", as: Bool.self)
                #expect(!allowed, "\(role) may execute invariants.call_as")
            }
        }
    }

    @Test("claims with quotes, backslashes and newlines reach auth.email() intact")
    func claimsEscaping() async throws {
        try await withCatalogClient { client, _ in
            let email = "a\"b\\c\nd\u{1}é@example.com"
            let user = UserContext.user(UUID(), email: email)
            let seen = try await client.call(as: user, "SELECT auth.email()", returning: "e text")[0].decode(String.self)
            #expect(seen == email)
        }
    }

    @Test("16 tasks on a pool of 4, two users interleaved: every call sees its own rows only")
    func concurrentUsers() async throws {
        try await withCatalogClient(maximumConnections: 4) { client, _ in
            let (alice, bob) = try await twoTenants(client)
            let wrong = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<16 {
                    group.addTask {
                        var wrong = 0
                        for call in 0..<40 {
                            let (user, expected) = (task + call) % 2 == 0 ? (alice, Int64(3)) : (bob, Int64(5))
                            let row = try await client.call(
                                as: .user(user), "SELECT (SELECT count(*) FROM public.gigs), auth.uid()", returning: "n bigint, uid uuid")[0]
                            let (n, uid) = try row.decode((Int64, UUID).self)
                            if n != expected || uid != user { wrong += 1 }
                        }
                        return wrong
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(wrong == 0)
        }
    }

    @Test("run(as:) and transaction(_:) whose body swallowed a failed statement throw instead of reporting a commit")
    func swallowedFailure() async throws {
        try await withCatalogClient { client, _ in
            let (alice, _) = try await twoTenants(client)
            let before = try await client.scalar("SELECT count(*) FROM public.gigs", as: Int64.self)
            let error = await #expect(throws: InvariantsError.self) {
                try await client.run(as: .user(alice)) { conn in
                    _ = try await conn.query("INSERT INTO public.gigs (workspace_id, title) SELECT id, 'kept?' FROM public.workspaces", logger: quietLogger).collect()
                    _ = try? await conn.query("SELECT 1 / 0", logger: quietLogger).collect()
                }
            }
            #expect(error?.sqlState == "25P02")
            #expect(try await client.scalar("SELECT count(*) FROM public.gigs", as: Int64.self) == before)
            // transaction(_:) is the same mechanism without a user.
            let plain = await #expect(throws: InvariantsError.self) {
                try await client.transaction { conn in
                    _ = try await conn.query("INSERT INTO public.gigs (workspace_id, title) SELECT id, 'kept?' FROM public.workspaces", logger: quietLogger).collect()
                    _ = try? await conn.query("SELECT 1 / 0", logger: quietLogger).collect()
                }
            }
            #expect(plain?.sqlState == "25P02")
            #expect(try await client.scalar("SELECT count(*) FROM public.gigs", as: Int64.self) == before)
            // The connection is usable afterwards, outside any transaction.
            #expect(try await client.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'", as: Int64.self) == 0)
        }
    }
}
