import Foundation
import Invariants
import InvariantsMigrator
import InvariantsSchema
import InvariantsTesting
import Logging
import PostgresNIO
import Testing
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SeedAppsTesting
import SupportChat

private var quiet: Logger { quietLogger }

/// What a fixture or function probe gets: the client, a superuser connection and the three users
/// (A owns the fixture rows, B is the attacker, C owns nothing).
struct SecurityMatrixContext: Sendable {
    let client: InvariantsClient
    let admin: PostgresConnection
    let userA: UUID
    let userB: UUID
    let userC: UUID
}

/// The migrated project catalog, cloned per test, with users A, B, C in auth.users.
private func withMatrixDatabase<T>(_ body: (SecurityMatrixContext) async throws -> T) async throws -> T {
    let database = try await catalogDatabase()
    let server = database.server
    let admin = try await database.connect(logger: quiet)
    let client = try await InvariantsClient.connect(url: database.url, maximumConnections: 2, logger: quiet)
    let users = (UUID(), UUID(), UUID())
    do {
        for (user, name) in [(users.0, "a"), (users.1, "b"), (users.2, "c")] {
            _ = try await admin.query(
                "INSERT INTO auth.users (id, email) VALUES (\(user), \("\(name)-\(user.uuidString.prefix(8))@matrix.test"))",
                logger: quiet
            ).collect()
        }
        let value = try await body(SecurityMatrixContext(client: client, admin: admin, userA: users.0, userB: users.1, userC: users.2))
        client.close()
        try? await admin.close()
        try? await server.dropDatabase(database.name)
        return value
    } catch {
        client.close()
        try? await admin.close()
        throw InvariantsError(.other, String(reflecting: error))
    }
}

extension PostgresConnection {
    @discardableResult
    fileprivate func rows(_ sql: String) async throws -> [PostgresRow] {
        try await query(PostgresQuery(unsafeSQL: sql), logger: quiet).collect()
    }
}

/// One table's identity in SQL.
struct MatrixTable: Sendable, CustomStringConvertible {
    let schema: String
    let name: String
    var key: String { "\(schema).\(name)" }
    var sql: String { "\(quote(schema)).\(quote(name))" }
    var description: String { key }
}

private func quote(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
private func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

/// Tables in `public` with a `user_id` column (the owner-RLS tables), from pg_catalog.
private func discoverUserOwnedTables(_ admin: PostgresConnection) async throws -> [MatrixTable] {
    try await admin.rows("""
        SELECT n.nspname, c.relname
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        ORDER BY c.relname
        """).map { let (s, n) = try $0.decode((String, String).self); return MatrixTable(schema: s, name: n) }
}

/// The outcome of one statement run as some role: the rows it returned, or the error.
private enum Outcome {
    case rows(Int)
    case failed(InvariantsError)

    var rowCount: Int? { if case .rows(let n) = self { n } else { nil } }
    var error: InvariantsError? { if case .failed(let e) = self { e } else { nil } }
    var text: String {
        switch self {
        case .rows(let n): "\(n) rows"
        case .failed(let e): "error \(e.sqlState ?? "?"): \(e.message)"
        }
    }
}

private func attempt(_ context: SecurityMatrixContext, as user: UserContext, _ sql: String, _ binds: [String] = []) async -> Outcome {
    do {
        let rows = try await context.client.run(as: user) { connection in
            var bindings = PostgresBindings()
            for bind in binds { bindings.append(bind) }
            return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: quiet).collect().count
        }
        return .rows(rows)
    } catch {
        return .failed(error)
    }
}

/// A's rows as the superuser sees them: count and a digest of their contents.
private func snapshot(_ context: SecurityMatrixContext, _ table: MatrixTable, owner: UUID) async throws -> (count: Int, digest: String) {
    let row = try await context.admin.rows("""
        SELECT count(*)::bigint, coalesce(md5(string_agg(to_jsonb(t)::text, ',' ORDER BY to_jsonb(t)::text)), '')
        FROM \(table.sql) t WHERE user_id = '\(owner.uuidString)'
        """).first!
    let (count, digest) = try row.decode((Int64, String).self)
    return (Int(count), digest)
}

/// The first column `authenticated` may UPDATE other than the owner, else the owner column.
private func updatableColumn(_ context: SecurityMatrixContext, _ table: MatrixTable) async throws -> String {
    let rows = try await context.admin.rows("""
        SELECT a.attname FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = \(literal(table.sql))::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname <> 'user_id' AND a.attgenerated = ''
          AND has_column_privilege('authenticated', a.attrelid, a.attnum, 'UPDATE')
        ORDER BY a.attnum LIMIT 1
        """)
    return try rows.first?.decode(String.self) ?? "user_id"
}

/// Columns a row can be re-inserted with (not generated), and those `authenticated` may INSERT.
private func insertColumns(_ context: SecurityMatrixContext, _ table: MatrixTable, authenticatedOnly: Bool) async throws -> [String] {
    let privilege = authenticatedOnly ? "AND has_column_privilege('authenticated', a.attrelid, a.attnum, 'INSERT')" : ""
    return try await context.admin.rows("""
        SELECT a.attname FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = \(literal(table.sql))::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attgenerated = '' \(privilege)
        ORDER BY a.attnum
        """).map { try $0.decode(String.self) }
}

/// Runs the owner matrix on one table whose rows for A (and B) exist. Returns the violations.
func ownerMatrixViolations(_ context: SecurityMatrixContext, _ table: MatrixTable) async throws -> [String] {
    var violations: [String] = []
    let a = context.userA.uuidString.lowercased(), b = context.userB.uuidString.lowercased()
    let before = try await snapshot(context, table, owner: context.userA)
    guard before.count > 0 else { return ["\(table): the fixture created no rows for user A"] }
    let canSelect: Bool = try await context.admin.rows(
        "SELECT has_table_privilege('authenticated', \(literal(table.sql))::regclass, 'SELECT')").first!.decode(Bool.self)

    // SELECT: B and anon see none of A's rows; A sees all of them (when users may read); service sees all.
    let ofA = "SELECT 1 FROM \(table.sql) WHERE user_id = '\(a)'"
    for (who, user) in [("user B", UserContext.user(context.userB)), ("anon", .anonymous)] {
        let seen = await attempt(context, as: user, ofA)
        if let n = seen.rowCount, n > 0 { violations.append("\(table): \(who) sees \(n) of A's rows") }
    }
    let anonAll = await attempt(context, as: .anonymous, "SELECT 1 FROM \(table.sql)")
    if let n = anonAll.rowCount, n > 0 { violations.append("\(table): anon sees \(n) rows") }
    if canSelect {
        let own = await attempt(context, as: .user(context.userA), ofA)
        if own.rowCount != before.count { violations.append("\(table): user A sees \(own.text) of its \(before.count) rows") }
    }
    let service = await attempt(context, as: .service, ofA)
    if service.rowCount != before.count { violations.append("\(table): service_role sees \(service.text) of A's \(before.count) rows") }

    // UPDATE and DELETE as B (and anon) touch none of A's rows.
    let column = quote(try await updatableColumn(context, table))
    for (who, user) in [("user B", UserContext.user(context.userB)), ("anon", .anonymous)] {
        let update = await attempt(context, as: user, "UPDATE \(table.sql) SET \(column) = \(column) WHERE user_id = '\(a)' RETURNING 1")
        if let n = update.rowCount, n > 0 { violations.append("\(table): \(who) updated \(n) of A's rows") }
        let delete = await attempt(context, as: user, "DELETE FROM \(table.sql) WHERE user_id = '\(a)' RETURNING 1")
        if let n = delete.rowCount, n > 0 { violations.append("\(table): \(who) deleted \(n) of A's rows") }
    }

    // A cannot hand its row to B, nor insert a row owned by B.
    let reown = await attempt(context, as: .user(context.userA), "UPDATE \(table.sql) SET user_id = '\(b)' WHERE user_id = '\(a)' RETURNING 1")
    if let n = reown.rowCount, n > 0 { violations.append("\(table): user A re-owned \(n) rows to B") }
    guard let sourceRow = try await context.admin.rows(
        "SELECT to_jsonb(t)::text FROM \(table.sql) t WHERE user_id = '\(a)' LIMIT 1").first
    else { return violations + ["\(table): A has no rows left after B's, anon's and A's attempts"] }
    let source = try sourceRow.decode(String.self)
    let userColumns = Set(try await insertColumns(context, table, authenticatedOnly: true)).union(["user_id"])
    let list = try await insertColumns(context, table, authenticatedOnly: false).filter(userColumns.contains).map(quote).joined(separator: ", ")
    let forge = await attempt(context, as: .user(context.userA), """
        INSERT INTO \(table.sql) (\(list)) SELECT \(list)
        FROM jsonb_populate_record(NULL::\(table.sql), $1::jsonb || jsonb_build_object('user_id', $2::text)) RETURNING 1
        """, [source, b])
    if let n = forge.rowCount { violations.append("\(table): user A inserted \(n) rows owned by B") }
    let after = try await snapshot(context, table, owner: context.userA)
    if after != before { violations.append("\(table): A's rows changed (\(before.count) → \(after.count) rows, or contents) under B/anon/A's attempts") }

    // service_role can do everything: update, delete, insert (rolled back).
    let serviceUpdate = await attempt(context, as: .service, "UPDATE \(table.sql) SET \(column) = \(column) WHERE user_id = '\(a)' RETURNING 1")
    if serviceUpdate.rowCount != before.count { violations.append("\(table): service_role update gave \(serviceUpdate.text)") }
    let all = try await insertColumns(context, table, authenticatedOnly: false).map(quote).joined(separator: ", ")
    let rowsOfA = try await context.admin.rows(
        "SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]')::text FROM \(table.sql) t WHERE user_id = '\(a)'").first!.decode(String.self)
    do {
        try await context.admin.rows("BEGIN")
        try await InvariantsClient.apply(.service, on: context.admin, logger: quiet)
        let deleted = try await context.admin.rows("DELETE FROM \(table.sql) WHERE user_id = '\(a)' RETURNING 1").count
        let inserted = try await context.admin.query(PostgresQuery(unsafeSQL: """
            INSERT INTO \(table.sql) (\(all)) OVERRIDING SYSTEM VALUE SELECT \(all)
            FROM jsonb_populate_recordset(NULL::\(table.sql), $1::jsonb) RETURNING 1
            """, binds: { var b = PostgresBindings(); b.append(rowsOfA); return b }()), logger: quiet).collect().count
        if deleted != before.count || inserted != before.count {
            violations.append("\(table): service_role deleted \(deleted) and re-inserted \(inserted) of \(before.count) rows")
        }
        try await context.admin.rows("ROLLBACK")
    } catch {
        _ = try? await context.admin.rows("ROLLBACK")
        violations.append("\(table): service_role delete/insert failed: \(String(reflecting: error))")
    }
    return violations
}

/// Every view in public: security_invoker, and B and anon see none of A's rows through it.
func viewViolations(_ context: SecurityMatrixContext) async throws -> [String] {
    var violations: [String] = []
    let views = try await context.admin.rows("""
        SELECT c.relname,
               coalesce(c.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false),
               EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'v' ORDER BY 1
        """).map { try $0.decode((String, Bool, Bool).self) }
    for (name, invoker, owned) in views {
        if !invoker { violations.append("view public.\(name) is not security_invoker: it bypasses RLS") }
        guard owned else { continue }
        let sql = "SELECT 1 FROM public.\(quote(name)) WHERE user_id = '\(context.userA.uuidString.lowercased())'"
        for (who, user) in [("user B", UserContext.user(context.userB)), ("anon", .anonymous)] {
            let seen = await attempt(context, as: user, sql)
            if let n = seen.rowCount, n > 0 { violations.append("\(who) sees \(n) of A's rows through view public.\(name)") }
        }
    }
    return violations
}

@Suite("Security matrix: every user-owned table, view and function, as anon / A / B / service_role")
struct SecurityMatrixTests {
    @Test("every user-owned table in public has a fixture and passes the owner matrix")
    func userOwnedTables() async throws {
        try await withMatrixDatabase { context in
            let tables = try await discoverUserOwnedTables(context.admin)
            for table in tables {
                guard let fixture = SecurityMatrixRegistry.tableFixtures[table.key] else {
                    Issue.record("\(table) has a user_id column but no fixture in SecurityMatrixRegistry.tableFixtures: add one")
                    continue
                }
                try await fixture(context.admin, context.userA)
                try await fixture(context.admin, context.userB)
            }
            for table in tables where SecurityMatrixRegistry.tableFixtures[table.key] != nil {
                let violations = try await ownerMatrixViolations(context, table)
                #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
            }
        }
    }

    @Test("every view in public is security_invoker, and B and anon see none of A's rows through it")
    func views() async throws {
        try await withMatrixDatabase { context in
            for table in try await discoverUserOwnedTables(context.admin) {
                if let fixture = SecurityMatrixRegistry.tableFixtures[table.key] { try await fixture(context.admin, context.userA) }
            }
            let violations = try await viewViolations(context)
            #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
        }
    }

    @Test("every function in public executable by authenticated has a probe, and B gets nothing of A's")
    func functions() async throws {
        try await withMatrixDatabase { context in
            for table in try await discoverUserOwnedTables(context.admin) {
                if let fixture = SecurityMatrixRegistry.tableFixtures[table.key] {
                    try await fixture(context.admin, context.userA)
                    try await fixture(context.admin, context.userB)
                }
            }
            let functions = try await context.admin.rows("""
                SELECT format('%s.%s(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.prorettype <> 'trigger'::regtype
                  AND has_function_privilege('authenticated', p.oid, 'EXECUTE')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
                ORDER BY 1
                """).map { try $0.decode(String.self) }
            for function in functions {
                guard let probe = SecurityMatrixRegistry.functionProbes[function] else {
                    Issue.record("\(function) is executable by authenticated but has no probe in SecurityMatrixRegistry.functionProbes: add one")
                    continue
                }
                try await probe(context)
            }
        }
    }

    /// The matrix itself: it passes a table rendered by RowLevelSecurity.owner and catches broken ones.
    @Test("the matrix passes an owner RowLevelSecurity table and catches a leaky SELECT policy, an UPDATE policy without an owner WITH CHECK and a security-definer view")
    func matrixCatchesLeaks() async throws {
        try await withMatrixDatabase { context in
            let good = RowLevelSecurity.owner(
                table: QualifiedName("public", "matrix_good"), insertColumns: ["user_id", "note"],
                updateColumns: ["note"], delete: true)
            try await context.admin.rows("""
                CREATE TABLE public.matrix_good (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    user_id uuid NOT NULL REFERENCES auth.users (id), note text)
                """)
            for object in good.repeatableObjects() { for statement in object.statements { try await context.admin.rows(statement) } }
            // Leaky: the UPDATE policy lacks WITH CHECK on the owner, and SELECT is open to every user.
            try await context.admin.rows("CREATE TABLE public.matrix_leaky (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid NOT NULL, note text)")
            for statement in [
                "ALTER TABLE public.matrix_leaky ENABLE ROW LEVEL SECURITY",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON public.matrix_leaky TO authenticated",
                "CREATE POLICY leaky_select ON public.matrix_leaky FOR SELECT TO authenticated USING (true)",
                "CREATE POLICY leaky_update ON public.matrix_leaky FOR UPDATE TO authenticated USING (user_id = (SELECT auth.uid())) WITH CHECK (true)",
                "GRANT ALL ON public.matrix_leaky TO service_role",
            ] { try await context.admin.rows(statement) }
            for (table, owner) in [("matrix_good", context.userA), ("matrix_good", context.userB), ("matrix_leaky", context.userA), ("matrix_leaky", context.userB)] {
                try await context.admin.rows("INSERT INTO public.\(table) (user_id, note) VALUES ('\(owner.uuidString)', 'n')")
            }
            try await context.admin.rows("CREATE VIEW public.matrix_good_invoker WITH (security_invoker = true) AS SELECT user_id, note FROM public.matrix_good")
            try await context.admin.rows("GRANT SELECT ON public.matrix_good_invoker TO authenticated, anon")
            #expect(try await viewViolations(context) == [])
            try await context.admin.rows("CREATE VIEW public.matrix_definer AS SELECT user_id, note FROM public.matrix_good")
            try await context.admin.rows("GRANT SELECT ON public.matrix_definer TO authenticated")
            let viewLeaks = try await viewViolations(context)
            #expect(viewLeaks.contains("view public.matrix_definer is not security_invoker: it bypasses RLS"), "\(viewLeaks)")
            #expect(viewLeaks.contains("user B sees 1 of A's rows through view public.matrix_definer"), "\(viewLeaks)")
            let goodViolations = try await ownerMatrixViolations(context, MatrixTable(schema: "public", name: "matrix_good"))
            #expect(goodViolations.isEmpty, "\(goodViolations.joined(separator: "\n"))")
            let leaky = try await ownerMatrixViolations(context, MatrixTable(schema: "public", name: "matrix_leaky"))
            #expect(leaky.contains { $0.contains("user B sees 1 of A's rows") }, "\(leaky)")
            #expect(leaky.contains { $0.contains("user A re-owned 1 rows to B") }, "\(leaky)")
        }
    }
}
