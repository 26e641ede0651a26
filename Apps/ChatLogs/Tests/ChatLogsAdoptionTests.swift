import ChatLogs
import Foundation
import Invariants
import InvariantsMigrator
import InvariantsTesting
import PostgresNIO
import SeedApps
import SeedAppsTesting
import Synchronization
import Testing

/// Seed 003's `profiles` as its app released it, on a Supabase-shaped database, taken over by
/// `migrate --modules chat_logs`: same table and storage, every row kept, its types and key
/// brought to the declared shape while signed-in users edit their own profiles.
@Suite("chat_logs adopts the app's released profiles in place")
struct ChatLogsAdoptionTests {
    static let users = 2_000
    static let profiles = 1_500

    /// The seed's `profiles`, verbatim: `NO ACTION` key, `VARCHAR(100)`, nullable `TIMESTAMP`.
    static let seedProfiles = """
        CREATE TABLE profiles (
            id UUID REFERENCES auth.users PRIMARY KEY,
            display_name VARCHAR(100),
            created_at TIMESTAMP DEFAULT NOW()
        )
        """

    func migrator() throws -> Migrator {
        try Migrator(catalog: try projectCatalog(), options: .init(modules: ["chat_logs"]), logger: quietLogger)
    }

    @Test("profiles keeps its table, rows and times; text, timestamptz NOT NULL, a cascading key; users write throughout")
    func adoptsWhileUsersWrite() async throws {
        try await SupabaseShape.withDatabase { connection, database in
            let db = Statements(connection)
            try await db.run(Self.seedProfiles)
            try await db.run("INSERT INTO auth.users (id) SELECT md5('u' || u)::uuid FROM generate_series(1, \(Self.users)) u")
            // Wall-clock times as the app stored them (a UTC server): n minutes after midnight.
            try await db.run("""
                INSERT INTO public.profiles (id, display_name, created_at)
                SELECT md5('u' || n)::uuid, 'user ' || n, '2026-01-01 00:00:00'::timestamp + n * interval '1 minute'
                FROM generate_series(1, \(Self.profiles)) n
                """)
            try await db.run("CREATE ROLE chat_reporting NOLOGIN")
            try await db.run("GRANT SELECT ON public.profiles TO chat_reporting")
            let identity = "SELECT (oid::int8 * 1000000 + relfilenode::int8)::bigint FROM pg_class WHERE oid = 'public.profiles'::regclass"
            let before = try await db.count(identity)
            // The migrating session is in another zone: the conversion still reads the values as UTC, without a rewrite.
            try await db.run("SET TimeZone = 'Europe/Moscow'")

            let plan = try await migrator().plan(on: connection).rendered()
            #expect(plan.contains("adopts the app's existing tables for: chat_logs"), "\(plan.prefix(300))")
            #expect(plan.contains("change public.profiles.display_name from character varying(100) to text in place"))
            #expect(plan.contains("change public.profiles.created_at from timestamp without time zone to timestamp with time zone in place"))
            #expect(plan.contains("DROP CONSTRAINT profiles_id_fkey"), "the app's NO ACTION key is replaced, by definition")
            #expect(!plan.contains("CREATE TABLE \"public\".\"profiles\""), "nothing the app has is created again")
            #expect(plan.contains("CREATE TABLE \"public\".\"chat_logs\""), "what the app lacks is created")
            // What the app's roles may no longer do, before anything runs: Supabase's default ALL replaced.
            #expect(plan.contains("--   public.profiles anon: ALL → nothing"), "\(plan.prefix(1200))")
            #expect(plan.contains("--   public.profiles authenticated: ALL → SELECT, INSERT (display_name, id), UPDATE (display_name)"))
            #expect(plan.contains("--   public.profiles: row level security off → on"))
            #expect(plan.contains("--   public.profiles: policies added: profiles_owner_select, profiles_owner_insert, profiles_owner_update"))
            #expect(!plan.contains("public.profiles service_role:"), "service_role keeps ALL: no change to list")
            #expect(plan.contains("--   public.profiles chat_reporting: SELECT kept (a role the module does not manage)"))

            let writers = ProfileWriters(next: Self.profiles)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask { try await writers.write(as: writer, on: database) }
                }
                group.addTask {
                    defer { writers.stop.store(true, ordering: .relaxed) }
                    try await Task.sleep(for: .milliseconds(100))
                    let report = try await self.migrator().migrate(on: connection)
                    #expect(report.adoptedModules == ["chat_logs"])
                    try await Task.sleep(for: .milliseconds(200))
                }
                try await group.waitForAll()
            }
            let failures = writers.failures.withLock { $0 }
            #expect(failures.isEmpty, "\(failures.prefix(2))")
            #expect(writers.updates.load(ordering: .relaxed) > 20, "the users wrote during the migration")

            // The same table, nothing rewritten, every row kept with the time it had (read as UTC).
            #expect(try await db.count(identity) == before)
            let inserted = Int64(writers.next.load(ordering: .relaxed) - Self.profiles)
            #expect(try await db.count("SELECT count(*) FROM public.profiles") == Int64(Self.profiles) + inserted)
            #expect(try await db.count("""
                SELECT count(*) FROM generate_series(1, \(Self.profiles)) n JOIN public.profiles p ON p.id = md5('u' || n)::uuid
                WHERE p.created_at <> '2026-01-01 00:00:00+00'::timestamptz + n * interval '1 minute'
                """) == 0)
            #expect(try await db.strings("""
                SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
                FROM pg_attribute a WHERE a.attrelid = 'public.profiles'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                """) == ["id uuid NOT NULL", "display_name text", "created_at timestamp with time zone NOT NULL"])
            #expect(try await db.count("SELECT count(*) FROM pg_constraint WHERE conname = 'profiles_created_at_adopt_not_null'") == 0,
                    "the NOT NULL check was only a step")

            // The declared behaviour: the limit kept as a named check, a user's delete cascades.
            let long = await #expect(throws: PSQLError.self) {
                try await db.run("UPDATE public.profiles SET display_name = repeat('x', 101) WHERE id = md5('u1')::uuid")
            }
            #expect(String(reflecting: long as Any).contains("profiles_display_name_length"))
            try await db.run("DELETE FROM auth.users WHERE id = md5('u1')::uuid")
            #expect(try await db.count("SELECT count(*) FROM public.profiles WHERE id = md5('u1')::uuid") == 0)

            // The module's security: RLS on, a user cannot touch another's profile or its created_at.
            let stranger = try await database.withConnection(logger: quietLogger) { other in
                let as2 = Statements(other)
                try await as2.run("SET ROLE authenticated")
                try await as2.run(ProfileWriters.claims(user: 2))
                try await as2.run("UPDATE public.profiles SET display_name = 'taken' WHERE id = md5('u3')::uuid")
                return await #expect(throws: PSQLError.self) {
                    try await as2.run("UPDATE public.profiles SET created_at = now() WHERE id = md5('u2')::uuid")
                }
            }
            #expect(String(reflecting: stranger as Any).contains("permission denied"))
            #expect(try await db.count("SELECT count(*) FROM public.profiles WHERE display_name = 'taken'") == 0)
            #expect(try await db.count("SELECT count(*) FROM pg_class WHERE oid = 'public.profiles'::regclass AND relrowsecurity") == 1)

            // The module owns it at version 7 beside the tables it created; one shape with a fresh install.
            #expect(try await db.count("SELECT count(*) FROM invariants.module_migrations WHERE module = 'chat_logs'") == 7)
            #expect(try await db.count("SELECT count(*) FROM pg_class WHERE oid = to_regclass('public.saved_chats')") == 1)
            #expect(try await migrator().status(on: connection).isUpToDate)
            #expect(try await migrator().plan(on: connection).isEmpty)
            let verifier = Verifier(catalog: try projectCatalog(), storedLogic: .keep(extensionVersions: nil), logger: quietLogger)
            let report = try await verifier.verify(url: try DatabaseURL(database.url))
            let differences = report.differences.map(\.key)
            // Nothing but the grant of the app's own role, which the plan said it keeps.
            #expect(differences == ["grant on public.profiles to chat_reporting"], "\(differences)")
        }
    }

    @Test("a NULL created_at or a view over a converted column: refused, every problem named, nothing changed")
    func refusesWhatCannotBeChangedInPlace() async throws {
        try await SupabaseShape.withDatabase { connection, _ in
            let db = Statements(connection)
            try await db.run(Self.seedProfiles)
            try await db.run("INSERT INTO auth.users (id) SELECT md5('u' || u)::uuid FROM generate_series(1, 3) u")
            try await db.run("INSERT INTO public.profiles (id, display_name) SELECT md5('u' || u)::uuid, 'user ' || u FROM generate_series(1, 3) u")
            try await db.run("UPDATE public.profiles SET created_at = NULL WHERE id <> md5('u1')::uuid")
            try await db.run("CREATE VIEW public.profile_names AS SELECT id, display_name FROM public.profiles")

            let refusal = await #expect(throws: InvariantsError.self) { try await migrator().migrate(on: connection) }
            let message = refusal?.message ?? ""
            #expect(message.contains("public.profiles: 2 row(s) violate created_at NOT NULL"), "\(message)")
            #expect(message.contains("public.profiles.display_name: read by view public.profile_names"), "\(message)")
            #expect(try await db.strings("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.profiles'::regclass AND attnum > 1 ORDER BY attnum")
                    == ["character varying(100)", "timestamp without time zone"], "nothing was changed")
            #expect(try await db.count("SELECT count(*) FROM pg_class WHERE oid IN (to_regclass('public.chat_logs'), to_regclass('invariants.adoptions'))") == 0)

            // Fixed as the README says, then adopted; the view is made again over the new type.
            try await db.run("UPDATE public.profiles SET created_at = now() WHERE created_at IS NULL")
            try await db.run("DROP VIEW public.profile_names")
            #expect(try await migrator().migrate(on: connection).adoptedModules == ["chat_logs"])
            try await db.run("CREATE VIEW public.profile_names AS SELECT id, display_name FROM public.profiles")
            #expect(try await db.count("SELECT count(*) FROM public.profiles WHERE created_at IS NOT NULL") == 3)
        }
    }

}

/// Statements and scalar reads on one connection.
struct Statements {
    let connection: PostgresConnection
    init(_ connection: PostgresConnection) { self.connection = connection }

    func run(_ text: String) async throws { _ = try await connection.query(PostgresQuery(unsafeSQL: text), logger: quietLogger).collect() }

    func count(_ text: String) async throws -> Int64 {
        try await connection.query(PostgresQuery(unsafeSQL: text), logger: quietLogger).collect().first?.decode(Int64.self) ?? -1
    }

    func strings(_ text: String) async throws -> [String] {
        try await connection.query(PostgresQuery(unsafeSQL: text), logger: quietLogger).collect().map { try $0.decode(String.self) }
    }
}

/// Signed-in users editing their own profiles (and creating missing ones), as the app's
/// `authenticated` role, until told to stop.
final class ProfileWriters: Sendable {
    /// The last user given a profile; the next insert is for the one after.
    let next: Atomic<Int>
    let updates = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
    let failures = Mutex<[String]>([])
    init(next: Int) { self.next = Atomic(next) }

    static func claims(user: Int) -> String {
        "SELECT set_config('request.jwt.claims', '{\"role\": \"authenticated\", \"sub\": \"' || md5('u\(user)')::uuid || '\"}', false)"
    }

    func write(as writer: Int, on database: TestDatabase) async throws {
        try await database.withConnection(logger: quietLogger) { connection in
            let db = Statements(connection)
            try await db.run("SET ROLE authenticated")
            var round = 0
            while !stop.load(ordering: .relaxed) {
                round += 1
                do {
                    if round % 5 == 0, writer == 0, next.load(ordering: .relaxed) < ChatLogsAdoptionTests.users {
                        let user = next.wrappingAdd(1, ordering: .relaxed).newValue
                        try await db.run(Self.claims(user: user))
                        try await db.run("INSERT INTO public.profiles (id, display_name) VALUES (md5('u\(user)')::uuid, 'new \(user)')")
                    } else {
                        let user = 2 + (writer * 7_919 + round * 31) % (ChatLogsAdoptionTests.profiles - 1)
                        try await db.run(Self.claims(user: user))
                        try await db.run("UPDATE public.profiles SET display_name = 'user \(user) round \(round)' WHERE id = md5('u\(user)')::uuid")
                        updates.wrappingAdd(1, ordering: .relaxed)
                    }
                } catch {
                    failures.withLock { $0.append(String(reflecting: error)) }
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}
