public import PostgresNIO
public import Logging
public import Invariants
import InvariantsSchema

/// A normalized picture of what a database holds: tables, columns, constraints, indexes,
/// functions (full definition: body, volatility, security, settings), triggers (with their
/// enabled state), policies, views (definition and options such as `security_invoker`),
/// sequences and grants — one entry per object, keyed by kind and qualified name.
///
/// Read with `search_path = ''`, so every name is schema-qualified the same way on every
/// database. Owners, OIDs and column numbers are left out, so two databases built the same
/// way compare equal; objects that belong to other extensions (pgTAP, plpgsql_check…) are
/// left out, and membership in the `invariants_<module>` extensions (or the single `invariants` of releases 0.1/0.2) is kept apart (``members``), so
/// the migrator route and the extension route compare equal too.
public struct CatalogSnapshot: Sendable, Hashable, Codable {
    /// `"function public.add_brains(p_session uuid, …)"` → its normalized definition.
    public var entries: [String: String]
    /// Keys of the entries that belong to an `invariants_<module>` extension (or to `invariants`).
    public var members: Set<String>
    /// Key → the schema the object lives in.
    public var schemaOf: [String: String]

    public init(entries: [String: String], members: Set<String> = [], schemaOf: [String: String] = [:]) {
        self.entries = entries
        self.members = members
        self.schemaOf = schemaOf
    }

    /// System schemas are never part of a snapshot.
    static let schemaFilter = """
        n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
        """

    /// Objects that belong to an extension other than ours (`classid`, `objid`).
    static func foreign(_ classid: String, _ objid: String) -> String {
        """
        NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
                    WHERE d.classid = '\(classid)'::pg_catalog.regclass AND d.objid = \(objid) AND d.deptype = 'e'
                      AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND NOT \(LedgerState.ours("e.extname")))
        """
    }

    static func member(_ classid: String, _ objid: String) -> String {
        """
        EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
                WHERE d.classid = '\(classid)'::pg_catalog.regclass AND d.objid = \(objid) AND d.deptype = 'e'
                  AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND \(LedgerState.ours("e.extname")))
        """
    }

    static func grantee(_ column: String) -> String {
        "CASE WHEN \(column) = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(\(column))) END"
    }

    static func qualified(_ schema: String, _ name: String) -> String {
        "pg_catalog.quote_ident(\(schema)) || '.' || pg_catalog.quote_ident(\(name))"
    }

    /// One query per kind; each returns (schema, key, definition, member).
    static let queries: [String] = [
        // Schemas (their grants are below).
        """
        SELECT n.nspname::text, 'schema ' || pg_catalog.quote_ident(n.nspname), 'schema', false
        FROM pg_catalog.pg_namespace n WHERE \(schemaFilter) AND \(foreign("pg_catalog.pg_namespace", "n.oid"))
        """,
        // Tables, views, sequences and their options.
        """
        SELECT n.nspname::text, CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view '
                              WHEN 'S' THEN 'sequence ' WHEN 'f' THEN 'foreign table ' END || \(qualified("n.nspname", "c.relname")),
               pg_catalog.concat_ws(E'\\n',
                   'kind ' || c.relkind::text || CASE WHEN c.relpersistence = 'u' THEN ' unlogged' ELSE '' END,
                   CASE WHEN c.relkind IN ('r', 'p') THEN 'row level security ' || CASE WHEN c.relrowsecurity THEN 'enabled' ELSE 'disabled' END
                        || CASE WHEN c.relforcerowsecurity THEN ', forced' ELSE '' END END,
                   'options ' || pg_catalog.array_to_string(ARRAY(SELECT o FROM pg_catalog.unnest(c.reloptions) o ORDER BY o), ', '),
                   CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END),
               false
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND \(schemaFilter) AND \(foreign("pg_catalog.pg_class", "c.oid"))
        """,
        // Columns: type, nullability, identity, default. Not their position: PostgreSQL cannot
        // reorder columns, so a table adopted in place (its added columns last) and one the
        // module created are one shape when they differ in order only.
        """
        SELECT n.nspname::text, 'column ' || \(qualified("n.nspname", "c.relname")) || '.' || pg_catalog.quote_ident(a.attname),
               pg_catalog.concat_ws(' ',
                   pg_catalog.format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attnotnull THEN 'NOT NULL' END,
                   CASE WHEN a.attidentity <> '' THEN 'IDENTITY ' || a.attidentity::text END,
                   CASE WHEN a.attgenerated <> '' THEN 'GENERATED ' || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) || ' STORED'
                        WHEN ad.adbin IS NOT NULL THEN 'DEFAULT ' || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END,
                   CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN 'COLLATE ' || a.attcollation::pg_catalog.regcollation::text END),
               false
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND \(schemaFilter) AND \(foreign("pg_catalog.pg_class", "c.oid"))
        """,
        // Constraints.
        """
        SELECT n.nspname::text, 'constraint ' || \(qualified("n.nspname", "c.relname")) || '.' || pg_catalog.quote_ident(k.conname),
               pg_catalog.pg_get_constraintdef(k.oid) || CASE WHEN k.convalidated THEN '' ELSE ' (not validated)' END, false
        FROM pg_catalog.pg_constraint k
        JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE \(schemaFilter) AND \(foreign("pg_catalog.pg_class", "c.oid"))
        """,
        // Indexes (valid or not).
        """
        SELECT n.nspname::text, 'index ' || \(qualified("n.nspname", "i.relname")),
               pg_catalog.pg_get_indexdef(x.indexrelid) || CASE WHEN x.indisvalid THEN '' ELSE ' (INVALID)' END, false
        FROM pg_catalog.pg_index x
        JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace
        WHERE \(schemaFilter) AND \(foreign("pg_catalog.pg_class", "x.indrelid"))
        """,
        // Functions: the whole definition (arguments, result, language, volatility, security,
        // SET clauses, body).
        """
        SELECT n.nspname::text, CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END
                   || \(qualified("n.nspname", "p.proname")) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
               CASE WHEN p.prokind = 'a' THEN 'aggregate' ELSE pg_catalog.pg_get_functiondef(p.oid) END,
               \(member("pg_catalog.pg_proc", "p.oid"))
        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE \(schemaFilter) AND \(foreign("pg_catalog.pg_proc", "p.oid"))
        """,
        // Triggers, with their enabled state (O origin, D disabled, R replica, A always).
        """
        SELECT n.nspname::text, 'trigger ' || \(qualified("n.nspname", "c.relname")) || '.' || pg_catalog.quote_ident(t.tgname),
               pg_catalog.pg_get_triggerdef(t.oid) || E'\\nenabled ' || t.tgenabled::text, false
        FROM pg_catalog.pg_trigger t
        JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND \(schemaFilter) AND \(foreign("pg_catalog.pg_class", "c.oid"))
        """,
        // Policies.
        """
        SELECT n.nspname::text, 'policy ' || \(qualified("n.nspname", "c.relname")) || '.' || pg_catalog.quote_ident(p.polname),
               pg_catalog.concat_ws(E'\\n',
                   CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END || ' FOR '
                       || CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                   'TO ' || (SELECT pg_catalog.string_agg(\(grantee("r")), ', ' ORDER BY \(grantee("r"))) FROM pg_catalog.unnest(p.polroles) r),
                   'USING ' || pg_catalog.pg_get_expr(p.polqual, p.polrelid),
                   'WITH CHECK ' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)),
               false
        FROM pg_catalog.pg_policy p
        JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE \(schemaFilter)
        """,
        // Grants on tables, views, sequences (the owner's own rights left out).
        """
        SELECT n.nspname::text, 'grant on ' || \(qualified("n.nspname", "c.relname")) || ' to ' || \(grantee("g.grantee")),
               pg_catalog.string_agg(g.privilege_type || CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END, ', ' ORDER BY g.privilege_type),
               false
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) g
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND g.grantee <> c.relowner
          AND \(schemaFilter) AND \(foreign("pg_catalog.pg_class", "c.oid"))
        GROUP BY n.nspname, c.relname, g.grantee
        """,
        // Column grants.
        """
        SELECT n.nspname::text, 'grant on ' || \(qualified("n.nspname", "c.relname")) || '.' || pg_catalog.quote_ident(a.attname) || ' to ' || \(grantee("g.grantee")),
               pg_catalog.string_agg(g.privilege_type || CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END, ', ' ORDER BY g.privilege_type),
               false
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) g
        WHERE a.attacl IS NOT NULL AND NOT a.attisdropped AND g.grantee <> c.relowner
          AND \(schemaFilter) AND \(foreign("pg_catalog.pg_class", "c.oid"))
        GROUP BY n.nspname, c.relname, a.attname, g.grantee
        """,
        // Function grants (PUBLIC's default EXECUTE included when never revoked).
        """
        SELECT n.nspname::text, 'grant on function ' || \(qualified("n.nspname", "p.proname")) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ') to ' || \(grantee("g.grantee")),
               pg_catalog.string_agg(g.privilege_type || CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END, ', ' ORDER BY g.privilege_type),
               false
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) g
        WHERE g.grantee <> p.proowner AND \(schemaFilter) AND \(foreign("pg_catalog.pg_proc", "p.oid"))
        GROUP BY n.nspname, p.proname, p.oid, g.grantee
        """,
        // Schema grants.
        """
        SELECT n.nspname::text, 'grant on schema ' || pg_catalog.quote_ident(n.nspname) || ' to ' || \(grantee("g.grantee")),
               pg_catalog.string_agg(g.privilege_type || CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END, ', ' ORDER BY g.privilege_type),
               false
        FROM pg_catalog.pg_namespace n
        CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) g
        WHERE g.grantee <> n.nspowner AND \(schemaFilter) AND \(foreign("pg_catalog.pg_namespace", "n.oid"))
        GROUP BY n.nspname, g.grantee
        """,
    ]

    /// Reads the snapshot of the database `connection` is on. Runs in a read-only
    /// transaction with `search_path = ''`; changes nothing.
    public static func take(on connection: PostgresConnection, logger: Logger) async throws(InvariantsError) -> CatalogSnapshot {
        let session = SQLSession(connection: connection, logger: logger)
        var snapshot = CatalogSnapshot(entries: [:])
        try await session.transaction { () throws(InvariantsError) in
            try await session.run("SET TRANSACTION READ ONLY")
            try await session.run("SET LOCAL search_path = ''")
            for query in queries {
                for row in try await session.rows(PostgresQuery(unsafeSQL: query)) {
                    let (schema, key, definition, isMember) = try decoding { try row.decode((String, String, String, Bool).self) }
                    snapshot.entries[key] = definition
                    snapshot.schemaOf[key] = schema
                    if isMember { snapshot.members.insert(key) }
                }
            }
        }
        return snapshot
    }

    /// Keeps only the entries in `schemas`.
    public func restricted(to schemas: Set<String>) -> CatalogSnapshot {
        let kept = entries.filter { schemaOf[$0.key].map(schemas.contains) ?? false }
        return CatalogSnapshot(entries: kept, members: members.intersection(kept.keys), schemaOf: schemaOf.filter { kept[$0.key] != nil })
    }

    /// The schemas this snapshot holds.
    public var schemas: Set<String> { Set(schemaOf.values) }

    /// One difference between an expected and an actual snapshot.
    public struct Difference: Sendable, Hashable, Codable, CustomStringConvertible {
        /// How the live database differs: an object `changed`, `missing` from it, or there and
        /// `unexpected` (not declared).
        public enum Change: String, Sendable, Codable { case changed, missing, unexpected }
        /// How the object differs.
        public var change: Change
        /// The object's snapshot key, e.g. `function public.gig_response_counts(uuid, uuid)`.
        public var key: String
        /// For `changed`: the first lines that differ (expected, then actual).
        public var detail: String?

        public var description: String {
            "\(change.rawValue): \(key)" + (detail.map { "\n" + $0.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") } ?? "")
        }
    }

    /// What differs from `expected` (extension membership aside), sorted by key.
    public func differences(from expected: CatalogSnapshot) -> [Difference] {
        var result: [Difference] = []
        for key in Set(expected.entries.keys).union(entries.keys).sorted() {
            switch (expected.entries[key], entries[key]) {
            case (let want?, let have?) where want != have:
                result.append(Difference(change: .changed, key: key, detail: Self.firstDifference(expected: want, actual: have)))
            case (_?, nil): result.append(Difference(change: .missing, key: key))
            case (nil, _?): result.append(Difference(change: .unexpected, key: key))
            default: break
            }
        }
        return result
    }

    static func firstDifference(expected: String, actual: String) -> String {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var i = 0
        while i < min(a.count, b.count), a[i] == b[i] { i += 1 }
        let want = i < a.count ? String(a[i]) : "(nothing more)"
        let have = i < b.count ? String(b[i]) : "(nothing more)"
        return "line \(i + 1): expected \(want.trimmingCharacters(in: .whitespaces))\n        found    \(have.trimmingCharacters(in: .whitespaces))"
    }
}
