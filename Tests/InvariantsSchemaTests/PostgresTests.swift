import Foundation
import InvariantsSchema
import Testing

// Serialized: each test blocks a thread of the (2-wide, on 2 cores) cooperative pool in
// Process.waitUntilExit; two at once starve every other suite, and the CLI tests time out.
/// The rendered SQL must actually run: these tests apply it to a throwaway PostgreSQL 15.
@Suite struct PostgresTests {
    static let pause = "DO $$BEGIN PERFORM pg_sleep(0.01); END$$;\n"
    static let user = "'00000000-0000-0000-0000-000000000001'"

    static var setup: String {
        Script.steps(
            Fixtures.users.createSteps() + Fixtures.workspaceMembers.createSteps() + Fixtures.sessions.createSteps()
                + Fixtures.documents.createSteps() + [Schema.invariants.createStep()])
            + Script.apply(Fixtures.updatedAtObjects)
    }

    @Test func representativeTableAndUpdatedAt() async throws {
        let pg = try await TestPostgres.make()
        defer { Task { await pg.stop() } }
        try await pg.psql(Self.setup)
        try await pg.psql(Script.apply(Fixtures.updatedAtObjects))  // the repeatable set is idempotent

        // Every declared constraint and index exists under its rendered name, and is valid.
        let t = Fixtures.sessions
        let constraintNames = t.constraints.map { $0.resolvedName(table: t.name) }.sorted()
        #expect(try await pg.psql("""
            SELECT string_agg(conname, ',' ORDER BY conname COLLATE "C") FROM pg_constraint
            WHERE conrelid = 'public.sessions'::regclass AND contype <> 'n';  -- PG 18 lists NOT NULL too
            """) == constraintNames.joined(separator: ","))
        let indexNames = (t.indexes.map { $0.resolvedName(table: t.name) } + ["sessions_pkey", "sessions_user_id_workspace_id_key"]).sorted()
        #expect(try await pg.psql("""
            SELECT string_agg(c.relname, ',' ORDER BY c.relname COLLATE "C") FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'public.sessions'::regclass AND i.indisvalid;
            """) == indexNames.joined(separator: ","))
        #expect(try await pg.psql("SELECT obj_description('public.sessions'::regclass, 'pg_class') = \(SQLText.literal(t.comment!));") == "t")

        // INSERT: the server clock wins over a client-sent value.
        try await pg.psql("""
            INSERT INTO public.users (id, email) VALUES (\(Self.user), 'a@example.com');
            INSERT INTO public.workspace_members VALUES (7, \(Self.user));
            """)
        #expect(try await pg.psql("""
            BEGIN;
            INSERT INTO public.sessions (user_id, workspace_id, title, updated_at) VALUES (\(Self.user), 7, 'First', '2000-01-01');
            SELECT updated_at = now() FROM public.sessions;
            COMMIT;
            CREATE TABLE snap AS SELECT id, updated_at FROM public.sessions;
            """) == "t")
        let unchanged = "SELECT s.updated_at = snap.updated_at FROM public.sessions s JOIN snap USING (id);"
        // A no-op UPDATE (also of jsonb, json and generated columns' inputs) does not bump.
        #expect(try await pg.psql(Self.pause + "UPDATE public.sessions SET title = title, session_config = session_config, raw_payload = raw_payload;\n" + unchanged) == "t")
        // UPDATE that only sends a client value for updated_at: ignored, still a no-op.
        #expect(try await pg.psql(Self.pause + "UPDATE public.sessions SET updated_at = '2999-01-01';\n" + unchanged) == "t")
        // A real change bumps to the server clock, even when the client sends its own value.
        #expect(try await pg.psql(Self.pause + """
            BEGIN;
            UPDATE public.sessions SET title = 'Second', updated_at = '2000-01-01';
            SELECT s.updated_at = now() AND s.updated_at > snap.updated_at FROM public.sessions s JOIN snap USING (id);
            COMMIT;
            """) == "t")
        // ON DELETE SET NULL ("workspace_id") clears only that column (PostgreSQL 15).
        #expect(try await pg.psql("""
            DELETE FROM public.workspace_members;
            SELECT workspace_id IS NULL AND user_id = \(Self.user) FROM public.sessions;
            """) == "t")

        // json column: IS DISTINCT FROM on the row fails (the trap), *= does not.
        try await pg.psql("""
            INSERT INTO public.documents (id, doc, note) VALUES (1, '{"a": [1, 2]}', 'x');
            CREATE TABLE docsnap AS SELECT id, updated_at FROM public.documents;
            """)
        await #expect(throws: TestPostgres.Failure.self) {
            try await pg.psql("SELECT d IS DISTINCT FROM d FROM public.documents d;")
        }
        let docUnchanged = "SELECT d.updated_at = s.updated_at FROM public.documents d JOIN docsnap s USING (id);"
        #expect(try await pg.psql(Self.pause + "UPDATE public.documents SET doc = doc, note = note;\n" + docUnchanged) == "t")
        #expect(try await pg.psql(Self.pause + "UPDATE public.documents SET doc = '{\"a\": [1, 3]}';\n" + docUnchanged) == "f")

        // updated_at runs after the table's other BEFORE triggers, so it sees their changes.
        try await pg.psql("""
            CREATE FUNCTION public.normalize_note() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.note := 'normalized'; RETURN NEW; END $$;
            CREATE TRIGGER a_normalize_note BEFORE UPDATE ON public.documents FOR EACH ROW EXECUTE FUNCTION public.normalize_note();
            DROP TABLE docsnap;
            CREATE TABLE docsnap AS SELECT id, updated_at FROM public.documents;
            """)
        #expect(try await pg.psql(Self.pause + "UPDATE public.documents SET note = note;\n" + docUnchanged) == "f")

        // A role without EXECUTE on the trigger function (revoked from PUBLIC) still writes.
        // Roles are cluster-wide on the shared server: a unique name, dropped afterwards.
        let app = "invariants_test_app_" + UUID().uuidString.prefix(8).lowercased()
        #expect(try await pg.psql("""
            CREATE ROLE \(app);
            GRANT USAGE ON SCHEMA public TO \(app);
            GRANT SELECT, INSERT, UPDATE ON public.documents TO \(app);
            SET ROLE \(app);
            BEGIN;
            INSERT INTO public.documents (id, doc, updated_at) VALUES (2, '{}', '2000-01-01');
            SELECT updated_at = now() FROM public.documents WHERE id = 2;
            COMMIT;
            RESET ROLE;
            SELECT has_function_privilege('\(app)', 'invariants.touch_updated_at()', 'EXECUTE');
            DROP OWNED BY \(app);
            DROP ROLE \(app);
            """) == "t\nf")

        // The helpers for later migrations run too (the last one drops the table).
        try await pg.psql(Script.steps(Fixtures.helperSteps))
        #expect(try await pg.psql("SELECT to_regclass('public.sessions') IS NULL;") == "t")
    }

    /// Each catalog entry as `kind schema name` (hex of UTF-8, so newlines in names survive).
    static let inventory = """
        SELECT encode(convert_to(x, 'UTF8'), 'hex') FROM (
            SELECT 'class ' || n.nspname || ' ' || c.relname || ' ' || c.relkind::text FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname <> 'pg_toast'
            UNION ALL SELECT 'namespace ' || nspname FROM pg_namespace
            UNION ALL SELECT 'proc ' || n.nspname || ' ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL SELECT 'type ' || n.nspname || ' ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            UNION ALL SELECT 'constraint ' || conname FROM pg_constraint WHERE contype <> 'n'  -- PG 18 lists NOT NULL too
            -- Cluster-wide: other tests on the shared server create databases and the
            -- request roles concurrently, so those are left out.
            UNION ALL SELECT 'role ' || rolname FROM pg_roles WHERE rolname NOT IN ('anon', 'authenticated', 'service_role')
                AND rolname NOT LIKE 'invariants\\_test\\_%'
        ) AS catalog(x);
        """

    @Test func hostileNamesCreateExactlyThoseObjects() async throws {
        let pg = try await TestPostgres.make()
        defer { Task { await pg.stop() } }
        let before = Set(try await pg.psql(Self.inventory).split(separator: "\n").map(String.init))

        let h = Fixtures.hostile
        let objects = Fixtures.hostileUpdatedAt.repeatableObjects()
        try await pg.psql(Script.steps([Schema(h.schema).createStep(), Schema.invariants.createStep()] + h.createSteps())
            + Script.apply(objects))
        let after = Set(try await pg.psql(Self.inventory).split(separator: "\n").map(String.init))

        let s = h.schema, n = h.name
        let pkey = h.constraints[0].resolvedName(table: n), check = h.constraints[1].resolvedName(table: n)
        let index = h.indexes[0].resolvedName(table: n)
        let expected: Set<String> = [
            "namespace \(s)", "namespace invariants",
            "class \(s) \(n) r", "class \(s) \(pkey) i", "class \(s) \(index) i",
            "type \(s) \(n)", "type \(s) _\(n)",
            "constraint \(pkey)", "constraint \(check)",
            "proc invariants \(Fixtures.hostileUpdatedAt.functionName.name)",
            "trigger \(Fixtures.hostileUpdatedAt.triggerName)",
        ]
        #expect(before.subtracting(after).isEmpty)
        #expect(after.subtracting(before) == Set(expected.map(\.utf8Hex)))

        // Exactly these columns and comments, byte for byte.
        let table = SQLText.literal(h.qualifiedName.sql) + "::regclass"
        #expect(try await pg.psql("""
            SELECT encode(convert_to(attname, 'UTF8'), 'hex') FROM pg_attribute
            WHERE attrelid = \(table) AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
            """) == h.columns.map(\.name.utf8Hex).joined(separator: "\n"))
        #expect(try await pg.psql("""
            SELECT obj_description(\(table), 'pg_class') = \(SQLText.literal(Fixtures.hostileComment)),
                   col_description(\(table), 2) = \(SQLText.literal(Fixtures.hostileComment));
            """) == "t|t")

        // The hostile-named updated_at column is owned by the server clock too.
        let stamp = SQLText.identifier(Fixtures.hostileStamp)
        #expect(try await pg.psql("""
            BEGIN;
            INSERT INTO \(h.qualifiedName.sql) (id, \(SQLText.identifier(Fixtures.hostileColumn)), \(stamp))
                VALUES (1, 'x', '2000-01-01');
            SELECT \(stamp) = now() FROM \(h.qualifiedName.sql);
            COMMIT;
            """) == "t")
    }
}
