import Foundation
import Invariants
import InvariantsMigrator
import InvariantsTesting
import PostgresNIO
import Testing

/// The project's catalog (sql/), migrated once per test process; every lint test clones it.
func migratedCatalogTemplate() async throws -> String {
    let server = try await ThrowawayPostgres.shared()
    return try await server.template(named: "project_catalog") { connection in
        let catalog = try SQLDirectory(path: repositoryRoot + "/sql").load()
        try await Migrator(catalog: catalog, logger: testLogger).migrate(on: connection)
    }
}

/// A clone of the migrated catalog, a connection to it, dropped afterwards.
func withMigratedCatalog<T>(_ body: (TestDatabase, PostgresConnection) async throws -> T) async throws -> T {
    try await withFreshDatabase(from: try await migratedCatalogTemplate(), body)
}

/// One violation per rule: the statements that create it and the one finding it must produce.
struct LintCase: CustomTestStringConvertible, Sendable {
    var rule: String
    var object: String
    var statements: [String]
    var testDescription: String { rule }
}

/// Well-formed scaffolding shared by the cases: a table with RLS on and an owner column.
private let ownedTable = [
    "CREATE TABLE public.lint_owned (id bigint PRIMARY KEY, user_id uuid NOT NULL, note text)",
    "ALTER TABLE public.lint_owned ENABLE ROW LEVEL SECURITY",
]

let lintCases: [LintCase] = [
    LintCase(rule: "rls_disabled_in_public", object: "public.lint_open", statements: [
        "CREATE TABLE public.lint_open (id bigint PRIMARY KEY)",
    ]),
    LintCase(rule: "rls_disabled_in_public", object: "lint_api.lint_open", statements: [
        "CREATE SCHEMA lint_api",
        "GRANT USAGE ON SCHEMA lint_api TO authenticated",
        "CREATE TABLE lint_api.lint_open (id bigint PRIMARY KEY)",
    ]),
    LintCase(rule: "policy_exists_rls_disabled", object: "lint_private.lint_t", statements: [
        // A private schema, so only this rule (not rls_disabled_in_public) applies.
        "CREATE SCHEMA lint_private",
        "CREATE TABLE lint_private.lint_t (id bigint PRIMARY KEY, user_id uuid)",
        "CREATE POLICY lint_p ON lint_private.lint_t FOR SELECT TO authenticated USING (user_id IS NOT NULL)",
    ]),
    LintCase(rule: "security_definer_view", object: "public.lint_v", statements: ownedTable + [
        "CREATE VIEW public.lint_v AS SELECT id FROM public.lint_owned",
        "CREATE VIEW public.lint_v_ok WITH (security_invoker = true) AS SELECT id FROM public.lint_owned",
    ]),
    LintCase(rule: "function_search_path_mutable", object: "public.lint_f(a integer)", statements: [
        "CREATE FUNCTION public.lint_f(a integer) RETURNS integer LANGUAGE sql AS $$ SELECT a $$",
        "CREATE FUNCTION public.lint_f_ok(a integer) RETURNS integer LANGUAGE sql SET search_path = '' AS $$ SELECT a $$",
    ]),
    LintCase(rule: "function_search_path_mutable", object: "invariants.lint_g()", statements: [
        "CREATE FUNCTION invariants.lint_g() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$",
    ]),
    LintCase(rule: "auth_rls_initplan", object: "public.lint_owned policy lint_bare", statements: ownedTable + [
        """
        CREATE POLICY lint_bare ON public.lint_owned FOR SELECT TO authenticated
            USING (user_id = (pg_catalog.current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::uuid)
        """,
        """
        CREATE POLICY lint_wrapped ON public.lint_owned FOR UPDATE TO authenticated
            USING (user_id = (SELECT (pg_catalog.current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::uuid))
        """,
    ]),
    LintCase(rule: "auth_rls_initplan", object: "public.lint_owned policy lint_uid", statements: ownedTable + [
        "CREATE POLICY lint_uid ON public.lint_owned FOR DELETE TO authenticated USING (user_id = auth.uid())",
        "CREATE POLICY lint_uid_ok ON public.lint_owned FOR SELECT TO authenticated USING ((SELECT auth.uid()) = user_id)",
    ]),
    LintCase(rule: "multiple_permissive_policies", object: "public.lint_owned", statements: ownedTable + [
        "CREATE POLICY lint_a ON public.lint_owned FOR SELECT TO authenticated USING (note = 'a')",
        "CREATE POLICY lint_b ON public.lint_owned FOR SELECT TO authenticated USING (note = 'b')",
        // Restrictive and BYPASSRLS-role policies do not count.
        "CREATE POLICY lint_c ON public.lint_owned AS RESTRICTIVE FOR SELECT TO authenticated USING (id > 0)",
    ]),
    LintCase(rule: "unindexed_foreign_keys", object: "public.lint_child", statements: ownedTable + [
        "CREATE TABLE public.lint_child (id bigint PRIMARY KEY, owned_id bigint REFERENCES public.lint_owned, n int)",
        "ALTER TABLE public.lint_child ENABLE ROW LEVEL SECURITY",
        "CREATE INDEX lint_child_n_owned ON public.lint_child (n, owned_id)",  // does not lead with owned_id
        "CREATE TABLE public.lint_child_ok (id bigint PRIMARY KEY, owned_id bigint REFERENCES public.lint_owned, n int)",
        "ALTER TABLE public.lint_child_ok ENABLE ROW LEVEL SECURITY",
        "CREATE INDEX lint_child_ok_owned_n ON public.lint_child_ok (owned_id, n)",
    ]),
    LintCase(rule: "unindexed_foreign_keys", object: "public.lint_pair_child", statements: [
        "CREATE TABLE public.lint_pair (a bigint, b bigint, PRIMARY KEY (a, b))",
        "ALTER TABLE public.lint_pair ENABLE ROW LEVEL SECURITY",
        "CREATE TABLE public.lint_pair_child (id bigint PRIMARY KEY, a bigint, b bigint, FOREIGN KEY (a, b) REFERENCES public.lint_pair)",
        "ALTER TABLE public.lint_pair_child ENABLE ROW LEVEL SECURITY",
        "CREATE INDEX lint_pair_child_b_a ON public.lint_pair_child (b, a)",  // the key's columns, not in its order
    ]),
    LintCase(rule: "sequence_privileges", object: "public.lint_serial_id_seq", statements: [
        "CREATE TABLE public.lint_serial (id serial PRIMARY KEY)",
        "ALTER TABLE public.lint_serial ENABLE ROW LEVEL SECURITY",
        "GRANT UPDATE ON SEQUENCE public.lint_serial_id_seq TO authenticated",  // setval
        "CREATE TABLE public.lint_serial_ok (id serial PRIMARY KEY)",
        "ALTER TABLE public.lint_serial_ok ENABLE ROW LEVEL SECURITY",
        "GRANT USAGE ON SEQUENCE public.lint_serial_ok_id_seq TO authenticated",  // a serial default needs it
    ]),
    LintCase(rule: "sequence_privileges", object: "public.lint_identity_id_seq", statements: [
        "CREATE TABLE public.lint_identity (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)",
        "ALTER TABLE public.lint_identity ENABLE ROW LEVEL SECURITY",
        "GRANT USAGE ON SEQUENCE public.lint_identity_id_seq TO anon",  // an identity default needs none
    ]),
    LintCase(rule: "rls_policy_always_true", object: "public.lint_owned policy lint_any_insert", statements: ownedTable + [
        "CREATE POLICY lint_any_insert ON public.lint_owned FOR INSERT TO authenticated WITH CHECK (true)",
        "CREATE POLICY lint_read_all ON public.lint_owned FOR SELECT TO authenticated USING (true)",  // reads may be public
    ]),
    LintCase(rule: "rls_policy_always_true", object: "public.lint_owned policy lint_any_delete", statements: ownedTable + [
        "CREATE POLICY lint_any_delete ON public.lint_owned FOR DELETE USING (1 = 1)",
    ]),
    LintCase(rule: "anon_security_definer_function_executable", object: "invariants.lint_sd()", statements: [
        // Created by default with EXECUTE for PUBLIC (outside the API schema: the rule for
        // authenticated stays quiet).
        "CREATE FUNCTION invariants.lint_sd() RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT 1 $$",
        "CREATE FUNCTION public.lint_sd_ok() RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT 1 $$",
        "REVOKE EXECUTE ON FUNCTION public.lint_sd_ok() FROM PUBLIC",
        "GRANT EXECUTE ON FUNCTION public.lint_sd_ok() TO service_role",
    ]),
    LintCase(rule: "anon_security_definer_function_executable", object: "invariants.lint_sd_anon()", statements: [
        "CREATE FUNCTION invariants.lint_sd_anon() RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT 1 $$",
        "REVOKE EXECUTE ON FUNCTION invariants.lint_sd_anon() FROM PUBLIC",
        "GRANT EXECUTE ON FUNCTION invariants.lint_sd_anon() TO anon",
    ]),
    // Issue 16, finding 1: what Supabase's linter reported on the 7 definer functions of public.
    LintCase(rule: "authenticated_security_definer_function_executable", object: "public.lint_sd_user(uuid)", statements: [
        "CREATE FUNCTION public.lint_sd_user(uuid) RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT 1 $$",
        "REVOKE EXECUTE ON FUNCTION public.lint_sd_user(uuid) FROM PUBLIC",
        "GRANT EXECUTE ON FUNCTION public.lint_sd_user(uuid) TO authenticated",
        // The same in the helpers' schema, which the API does not serve: no finding.
        "CREATE FUNCTION invariants_private.lint_sd_user(uuid) RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT 1 $$",
        "REVOKE EXECUTE ON FUNCTION invariants_private.lint_sd_user(uuid) FROM PUBLIC",
        "GRANT EXECUTE ON FUNCTION invariants_private.lint_sd_user(uuid) TO authenticated",
    ]),
]

@Suite("Security lint (splinter's rules) against real PostgreSQL")
struct SecurityLintTests {
    @Test("the fully migrated project catalog has zero findings")
    func migratedCatalogIsClean() async throws {
        try await withMigratedCatalog { _, connection in
            let findings = try await SecurityLint.run(on: connection, logger: testLogger)
            #expect(findings == [], "\(findings.map(\.description).joined(separator: "\n"))")
        }
    }

    @Test("every rule has a violation test")
    func everyRuleIsCovered() {
        #expect(Set(SecurityLint.rules.map(\.name)) == Set(lintCases.map(\.rule)))
    }

    @Test("a violation produces exactly its finding", arguments: lintCases)
    func violation(_ lintCase: LintCase) async throws {
        try await withMigratedCatalog { _, connection in
            let before = try await SecurityLint.run(on: connection, logger: testLogger)
            for statement in lintCase.statements { try await connection.run(statement) }
            let after = try await SecurityLint.run(on: connection, logger: testLogger)
            let new = after.filter { !before.contains($0) }
            #expect(new.map { "\($0.rule) \($0.object)" } == ["\(lintCase.rule) \(lintCase.object)"],
                    "\(new.map(\.description).joined(separator: "\n"))")
            #expect(new.allSatisfy { !$0.message.isEmpty })
        }
    }

    @Test("the caller's search_path is restored")
    func searchPathRestored() async throws {
        try await withMigratedCatalog { _, connection in
            try await connection.run("SET search_path = invariants, public")
            _ = try await SecurityLint.run(on: connection, logger: testLogger)
            let path: String = try await connection.scalar("SELECT current_setting('search_path')")
            #expect(path == "invariants, public")
        }
    }
}
