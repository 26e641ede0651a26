public import PostgresNIO
public import Logging
public import Invariants

/// The project's security lint: catalog queries covering what Supabase's database linter
/// (splinter) checks for row-level security, views, functions and indexes, with splinter's
/// rule names. Read-only; it inspects `pg_catalog` only.
///
/// ```swift
/// let findings = try await SecurityLint.run(on: connection)
/// for f in findings { print("\(f.rule)  \(f.object)  \(f.message)") }
/// ```
///
/// *Exposed schemas* are `public` and every schema that `anon`, `authenticated` or PUBLIC may
/// use (USAGE), minus the schemas a platform manages (`auth`, `storage`, `extensions`, …).
/// Objects owned by an extension are skipped.
public enum SecurityLint {
    /// One problem: which rule, on which object, and what to do about it.
    public struct Finding: Sendable, Codable, Hashable, CustomStringConvertible {
        /// The rule's name (splinter's name where splinter has the rule), e.g. `rls_disabled_in_public`.
        public var rule: String
        /// The object, schema-qualified: `public.notes`, `public.notes policy "p"`, `public.f(uuid)`.
        public var object: String
        /// What is wrong and how to fix it.
        public var message: String

        public init(rule: String, object: String, message: String) {
            self.rule = rule
            self.object = object
            self.message = message
        }

        public var description: String { "\(rule): \(object): \(message)" }
    }

    /// One lint rule: a query returning `(object text, message text)` rows, one per finding.
    public struct Rule: Sendable, Hashable {
        public var name: String
        /// What the rule checks, one line.
        public var summary: String
        public var sql: String
    }

    /// Runs `rules` (all of them by default) and returns their findings, ordered by rule then object.
    ///
    /// The session's `search_path` is set to `pg_catalog` while the rules run (so policy
    /// expressions print schema-qualified function names, e.g. `auth.uid()`) and restored afterwards.
    public static func run(
        on connection: PostgresConnection, rules: [Rule] = SecurityLint.rules,
        logger: Logger = Logger(label: "invariants.lint")
    ) async throws(InvariantsError) -> [Finding] {
        let session = SQLSession(connection: connection, logger: logger)
        let saved = try await session.rows("SELECT pg_catalog.current_setting('search_path')")
        let searchPath = (try? saved.first?.decode(String.self)) ?? "\"$user\", public"
        _ = try await session.rows("SELECT pg_catalog.set_config('search_path', 'pg_catalog', false)")
        var findings: [Finding] = []
        do throws(InvariantsError) {
            for rule in rules {
                let rows = try await session.rows(PostgresQuery(unsafeSQL: rule.sql))
                for row in rows {
                    do {
                        let (object, message) = try row.decode((String, String).self)
                        findings.append(Finding(rule: rule.name, object: object, message: message))
                    } catch {
                        throw InvariantsError(.other, "lint rule \(rule.name) returned an unreadable row: \(String(reflecting: error))")
                    }
                }
            }
        } catch {
            _ = try? await session.rows("SELECT pg_catalog.set_config('search_path', \(searchPath), false)")
            throw error
        }
        _ = try await session.rows("SELECT pg_catalog.set_config('search_path', \(searchPath), false)")
        return findings.sorted { ($0.rule, $0.object, $0.message) < ($1.rule, $1.object, $1.message) }
    }

    // MARK: - Rules

    /// Every rule, in the order they run.
    public static let rules: [Rule] = [
        rlsDisabledInPublic, policyExistsRLSDisabled, securityDefinerView, functionSearchPathMutable,
        authRLSInitplan, multiplePermissivePolicies, unindexedForeignKeys, rlsPolicyAlwaysTrue,
        anonSecurityDefinerFunctionExecutable, authenticatedSecurityDefinerFunctionExecutable, sequencePrivileges,
    ]

    /// Schemas a platform (Supabase, PostGIS, pg_cron…) owns: never linted.
    static let managedSchemas = [
        "pg_catalog", "information_schema", "pg_toast", "auth", "cron", "extensions", "graphql", "graphql_public",
        "net", "pgbouncer", "pgmq", "pgroonga", "pgsodium", "pgsodium_masks", "pgtle", "realtime", "repack",
        "storage", "supabase_functions", "supabase_migrations", "tiger", "topology", "vault",
    ]

    static var managedList: String { managedSchemas.map { "'\($0)'" }.joined(separator: ", ") }

    /// `n` is a schema this project may lint (not a platform's, not a temp or toast schema).
    static var ownSchema: String {
        "n.nspname NOT IN (\(managedList)) AND n.nspname NOT LIKE 'pg\\_%'"
    }

    /// The exposed schemas: `public` and any schema anon, authenticated or PUBLIC may use.
    static var exposedSchemas: String {
        """
        exposed AS (
            SELECT n.oid, n.nspname
            FROM pg_catalog.pg_namespace n
            WHERE \(ownSchema)
              AND (n.nspname = 'public'
                OR coalesce(pg_catalog.has_schema_privilege(pg_catalog.to_regrole('anon'), n.oid, 'USAGE'), false)
                OR coalesce(pg_catalog.has_schema_privilege(pg_catalog.to_regrole('authenticated'), n.oid, 'USAGE'), false)
                OR EXISTS (SELECT 1 FROM pg_catalog.aclexplode(n.nspacl) a WHERE a.grantee = 0 AND a.privilege_type = 'USAGE'))
        )
        """
    }

    /// The object with oid `column` in catalog `catalog` belongs to an extension.
    static func extensionOwned(_ column: String, catalog: String) -> String {
        """
        EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                WHERE d.classid = '\(catalog)'::pg_catalog.regclass AND d.objid = \(column) AND d.deptype = 'e')
        """
    }

    /// splinter 0013, widened to every exposed schema.
    public static let rlsDisabledInPublic = Rule(
        name: "rls_disabled_in_public",
        summary: "a table in an exposed schema has row level security disabled",
        sql: """
            WITH \(exposedSchemas)
            SELECT pg_catalog.format('%I.%I', e.nspname, c.relname),
                   pg_catalog.format('table %I.%I is in exposed schema %I but row level security is disabled: '
                       || 'ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY and declare its policies and grants',
                       e.nspname, c.relname, e.nspname, e.nspname, c.relname)
            FROM pg_catalog.pg_class c
            JOIN exposed e ON e.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity
              AND NOT \(extensionOwned("c.oid", catalog: "pg_class"))
            """)

    /// splinter 0007.
    public static let policyExistsRLSDisabled = Rule(
        name: "policy_exists_rls_disabled",
        summary: "a table has policies but row level security is disabled, so they do nothing",
        sql: """
            SELECT pg_catalog.format('%I.%I', n.nspname, c.relname),
                   pg_catalog.format('table %I.%I has policies (%s) but row level security is disabled, so they are ignored: '
                       || 'ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY',
                       n.nspname, c.relname, pg_catalog.string_agg(pg_catalog.quote_ident(p.polname), ', ' ORDER BY p.polname),
                       n.nspname, c.relname)
            FROM pg_catalog.pg_policy p
            JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT c.relrowsecurity AND \(ownSchema)
            GROUP BY n.nspname, c.relname
            """)

    /// splinter 0010, for every view in an exposed schema.
    public static let securityDefinerView = Rule(
        name: "security_definer_view",
        summary: "a view in an exposed schema runs with its owner's rights (no security_invoker), bypassing RLS",
        sql: """
            WITH \(exposedSchemas)
            SELECT pg_catalog.format('%I.%I', e.nspname, c.relname),
                   pg_catalog.format('view %I.%I runs as its owner and bypasses the row level security of the tables it reads: '
                       || 'ALTER VIEW %I.%I SET (security_invoker = true)',
                       e.nspname, c.relname, e.nspname, c.relname)
            FROM pg_catalog.pg_class c
            JOIN exposed e ON e.oid = c.relnamespace
            WHERE c.relkind = 'v'
              AND NOT \(extensionOwned("c.oid", catalog: "pg_class"))
              AND NOT EXISTS (
                  SELECT 1 FROM pg_catalog.unnest(coalesce(c.reloptions, '{}')) o(opt)
                  WHERE pg_catalog.lower(o.opt) IN ('security_invoker=true', 'security_invoker=on',
                                                    'security_invoker=1', 'security_invoker=yes'))
            """)

    /// splinter 0011, for exposed schemas and the project's own `invariants` schema.
    public static let functionSearchPathMutable = Rule(
        name: "function_search_path_mutable",
        summary: "a function in an exposed schema or `invariants` does not pin its search_path",
        sql: """
            WITH \(exposedSchemas)
            SELECT pg_catalog.format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
                   pg_catalog.format('function %I.%I(%s) has a role-mutable search_path: a caller can shadow the names it uses. '
                       || 'Add SET search_path = '''' and schema-qualify every name in the body',
                       n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
            FROM pg_catalog.pg_proc p
            JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE (n.oid IN (SELECT oid FROM exposed) OR n.nspname = 'invariants')
              AND p.prokind IN ('f', 'p')
              AND NOT \(extensionOwned("p.oid", catalog: "pg_proc"))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(coalesce(p.proconfig, '{}')) c(setting)
                              WHERE c.setting LIKE 'search\\_path=%')
            """)

    /// splinter 0003, counting calls: a policy with one wrapped and one bare call is still flagged.
    public static let authRLSInitplan = Rule(
        name: "auth_rls_initplan",
        summary: "a policy calls auth.uid()/auth.role()/auth.jwt()/auth.email()/current_setting() per row instead of once via (select …)",
        sql: """
            WITH policies AS (
                SELECT n.nspname, c.relname, p.polname,
                       coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), '') || ' '
                           || coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '') AS expr
                FROM pg_catalog.pg_policy p
                JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE \(ownSchema)
            )
            SELECT pg_catalog.format('%I.%I policy %I', nspname, relname, polname),
                   pg_catalog.format('policy %I on %I.%I calls auth.<function>() or current_setting() once per row: '
                       || 'wrap each call as (select auth.uid()) so it is evaluated once per query',
                       polname, nspname, relname)
            FROM policies
            WHERE pg_catalog.regexp_count(expr, '(\\mauth\\.(uid|jwt|role|email)\\(|\\mcurrent_setting\\()', 1, 'i')
                > pg_catalog.regexp_count(expr, 'select[\\s(]+(auth\\.(uid|jwt|role|email)\\(|current_setting\\()', 1, 'i')
            """)

    /// splinter 0006, without expanding PUBLIC to every role in the cluster.
    public static let multiplePermissivePolicies = Rule(
        name: "multiple_permissive_policies",
        summary: "a table has several permissive policies for the same role and command",
        sql: """
            WITH pol AS (
                SELECT n.nspname, c.relname, p.polname, p.polroles, cmd
                FROM pg_catalog.pg_policy p
                JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                CROSS JOIN LATERAL pg_catalog.unnest(CASE p.polcmd
                    WHEN 'r' THEN ARRAY['SELECT'] WHEN 'a' THEN ARRAY['INSERT']
                    WHEN 'w' THEN ARRAY['UPDATE'] WHEN 'd' THEN ARRAY['DELETE']
                    ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'] END) AS cmd
                WHERE p.polpermissive AND \(ownSchema)
            ), candidates AS (
                SELECT DISTINCT nspname, relname, cmd, r AS role FROM pol, pg_catalog.unnest(polroles) r
            )
            SELECT pg_catalog.format('%I.%I', k.nspname, k.relname),
                   pg_catalog.format('table %I.%I has %s permissive policies for role %s on %s (%s): each is evaluated for every row; '
                       || 'merge them into one policy',
                       k.nspname, k.relname, pg_catalog.count(*),
                       CASE WHEN k.role = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END, k.cmd,
                       pg_catalog.string_agg(pg_catalog.quote_ident(pol.polname), ', ' ORDER BY pol.polname))
            FROM candidates k
            JOIN pol ON pol.nspname = k.nspname AND pol.relname = k.relname AND pol.cmd = k.cmd
                    AND (pol.polroles @> ARRAY[k.role] OR pol.polroles = '{0}'::oid[])
            LEFT JOIN pg_catalog.pg_roles r ON r.oid = k.role
            WHERE k.role = 0 OR NOT r.rolbypassrls
            GROUP BY k.nspname, k.relname, k.cmd, k.role, r.rolname
            HAVING pg_catalog.count(*) > 1
            """)

    /// splinter 0001: an index covers a foreign key when its leading columns are the key's columns
    /// in the key's order (splinter compares the arrays; an index on the same columns in another
    /// order is reported by Supabase's advisors, so it is reported here too).
    public static let unindexedForeignKeys = Rule(
        name: "unindexed_foreign_keys",
        summary: "a foreign key has no index leading with its columns (slow parent deletes, slow joins)",
        sql: """
            SELECT pg_catalog.format('%I.%I', n.nspname, c.relname),
                   pg_catalog.format('foreign key %I on %I.%I (%s) has no index leading with its columns: '
                       || 'deleting or updating a parent scans the whole table. Declare an index on (%s)',
                       con.conname, n.nspname, c.relname, cols.list, cols.list)
            FROM pg_catalog.pg_constraint con
            JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN LATERAL (
                SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord) AS list
                FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
            ) cols
            WHERE con.contype = 'f' AND con.conparentid = 0 AND \(ownSchema)
              AND NOT \(extensionOwned("c.oid", catalog: "pg_class"))
              AND NOT EXISTS (
                  SELECT 1 FROM pg_catalog.pg_index i
                  WHERE i.indrelid = con.conrelid AND i.indisvalid
                    AND (pg_catalog.string_to_array(i.indkey::text, ' ')::int2[])[1:pg_catalog.cardinality(con.conkey)] = con.conkey)
            """)

    /// splinter 0024: a permissive write policy for a role RLS applies to whose USING or WITH CHECK is constant true.
    public static let rlsPolicyAlwaysTrue = Rule(
        name: "rls_policy_always_true",
        summary: "a permissive INSERT/UPDATE/DELETE policy is USING (true) or WITH CHECK (true)",
        sql: """
            WITH pol AS (
                SELECT n.nspname, c.relname, p.polname, p.polcmd,
                       pg_catalog.regexp_replace(pg_catalog.lower(pg_catalog.pg_get_expr(p.polqual, p.polrelid)), '\\s', '', 'g') AS qual,
                       pg_catalog.regexp_replace(pg_catalog.lower(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)), '\\s', '', 'g') AS chk,
                       (SELECT pg_catalog.string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE r::pg_catalog.regrole::text END, ', ')
                        FROM pg_catalog.unnest(p.polroles) r) AS roles
                FROM pg_catalog.pg_policy p
                JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE p.polpermissive AND p.polcmd IN ('a', 'w', 'd', '*') AND \(ownSchema)
                  AND EXISTS (SELECT 1 FROM pg_catalog.unnest(p.polroles) r
                              LEFT JOIN pg_catalog.pg_roles ro ON ro.oid = r
                              WHERE r = 0 OR NOT ro.rolbypassrls)
            ), judged AS (
                SELECT *,
                       p.polcmd IN ('w', 'd', '*') AND p.qual IN ('true', '(true)', '1=1', '(1=1)') AS using_true,
                       p.polcmd IN ('a', 'w', '*') AND (p.chk IN ('true', '(true)', '1=1', '(1=1)')
                           OR (p.chk IS NULL AND p.polcmd IN ('w', '*') AND p.qual IN ('true', '(true)', '1=1', '(1=1)'))) AS check_true
                FROM pol p
            )
            SELECT pg_catalog.format('%I.%I policy %I', nspname, relname, polname),
                   pg_catalog.format('policy %I on %I.%I for %s lets %s write any row (%s always true): '
                       || 'compare the owner column with (select auth.uid())',
                       polname, nspname, relname,
                       CASE polcmd WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                       roles,
                       CASE WHEN using_true AND check_true THEN 'USING and WITH CHECK are'
                            WHEN using_true THEN 'USING is' ELSE 'WITH CHECK is' END)
            FROM judged
            WHERE using_true OR check_true
            """)

    /// splinter 0028, also counting an EXECUTE grant to PUBLIC (which anon inherits).
    public static let anonSecurityDefinerFunctionExecutable = Rule(
        name: "anon_security_definer_function_executable",
        summary: "a SECURITY DEFINER function is executable by anon or PUBLIC",
        sql: """
            SELECT pg_catalog.format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
                   pg_catalog.format('SECURITY DEFINER function %I.%I(%s) runs with its owner''s rights and is executable by %s: '
                       || 'REVOKE EXECUTE ON FUNCTION %I.%I(%s) FROM PUBLIC, anon and grant it to exactly the roles that need it',
                       n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),
                       CASE WHEN public_exec THEN 'PUBLIC (so anon)' ELSE 'anon' END,
                       n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
            FROM pg_catalog.pg_proc p
            JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            CROSS JOIN LATERAL (SELECT EXISTS (
                SELECT 1 FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
                WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE') AS public_exec) pe
            WHERE p.prosecdef AND \(ownSchema)
              AND NOT \(extensionOwned("p.oid", catalog: "pg_proc"))
              AND (pe.public_exec
                   OR coalesce(pg_catalog.has_function_privilege(pg_catalog.to_regrole('anon'), p.oid, 'EXECUTE'), false))
            """)

    /// The schemas the API serves, as splinter reads them: PostgREST's `pgrst.db_schemas` when
    /// the session has it, else `public` (PostgREST's and Supabase's default).
    static var apiSchemas: String {
        """
        api AS (
            SELECT n.oid, n.nspname
            FROM pg_catalog.pg_namespace n
            WHERE \(ownSchema)
              AND n.nspname = ANY (pg_catalog.string_to_array(pg_catalog.replace(
                      coalesce(nullif(pg_catalog.current_setting('pgrst.db_schemas', true), ''), 'public'), ' ', ''), ','))
        )
        """
    }

    /// splinter 0029: a SECURITY DEFINER function in a schema the API serves that a signed-in
    /// user may run — every caller gets the owner's rights through `/rpc`. Keep such work in
    /// a helper outside the API schemas (`PrivilegedFunction` in the declarations).
    public static let authenticatedSecurityDefinerFunctionExecutable = Rule(
        name: "authenticated_security_definer_function_executable",
        summary: "a SECURITY DEFINER function in an API schema is executable by authenticated",
        sql: """
            WITH \(apiSchemas)
            SELECT pg_catalog.format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
                   pg_catalog.format('SECURITY DEFINER function %I.%I(%s) is in an API schema and executable by authenticated: '
                       || 'make it SECURITY INVOKER and move the privileged work into a SECURITY DEFINER helper in a '
                       || 'schema the API does not serve (invariants_private), or revoke EXECUTE from authenticated',
                       n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
            FROM pg_catalog.pg_proc p
            JOIN api n ON n.oid = p.pronamespace
            WHERE p.prosecdef
              AND NOT \(extensionOwned("p.oid", catalog: "pg_proc"))
              AND coalesce(pg_catalog.has_function_privilege(pg_catalog.to_regrole('authenticated'), p.oid, 'EXECUTE'), false)
            """)

    /// Not in splinter: a request role holding what it must not on a sequence in an exposed
    /// schema. UPDATE is `setval` — anon moving `chat_logs_id_seq` to its maximum stops every
    /// insert — and an identity column's sequence needs no privilege at all (the server skips
    /// the check for identity defaults). Supabase's `ALTER DEFAULT PRIVILEGES … GRANT ALL ON
    /// SEQUENCES TO anon, authenticated` puts both on every new sequence.
    public static let sequencePrivileges = Rule(
        name: "sequence_privileges",
        summary: "anon, authenticated or PUBLIC may setval a sequence, or use an identity column's sequence",
        sql: """
            WITH \(exposedSchemas),
            grants AS (
                SELECT s.oid, n.nspname, s.relname,
                       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::pg_catalog.regrole::text END AS grantee,
                       a.privilege_type,
                       EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                               WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.oid
                                 AND d.deptype = 'i') AS identity_sequence
                FROM pg_catalog.pg_class s
                JOIN exposed n ON n.oid = s.relnamespace
                CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(s.relacl, pg_catalog.acldefault('s', s.relowner))) a
                WHERE s.relkind = 'S' AND NOT \(extensionOwned("s.oid", catalog: "pg_class"))
                  AND (a.grantee = 0 OR a.grantee IN (SELECT r.oid FROM pg_catalog.pg_roles r
                                                      WHERE r.rolname IN ('anon', 'authenticated')))
            )
            SELECT pg_catalog.format('%I.%I', nspname, relname),
                   pg_catalog.format('%s holds %s on sequence %I.%I%s: REVOKE ALL ON SEQUENCE %I.%I FROM PUBLIC, anon, '
                       || 'authenticated, then grant USAGE to exactly the roles that insert through a serial default',
                       grantee, pg_catalog.string_agg(privilege_type, ', ' ORDER BY privilege_type), nspname, relname,
                       CASE WHEN bool_or(identity_sequence) THEN ' (an identity column''s: it needs none)'
                            ELSE ' (UPDATE is setval)' END,
                       nspname, relname)
            FROM grants
            WHERE identity_sequence OR privilege_type = 'UPDATE'
            GROUP BY nspname, relname, grantee
            """)
}
