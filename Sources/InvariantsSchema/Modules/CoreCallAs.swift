
/// `invariants.call_as(role, claims, statement, arguments)`: one statement of the client,
/// run as a request role with its JWT claims, in one round trip.
///
/// Why: a call as a user is otherwise four statements (BEGIN, `set_config` of the role and the
/// claims, the call, COMMIT), four round trips, each paid again by the server and the driver.
/// Here the context is set inside the function and the statement runs inside it too, through
/// `RETURN QUERY EXECUTE`, so it is parsed, planned and permission-checked after the role
/// switch: row-level security, `EXECUTE` grants and `auth.uid()` see the request role, exactly
/// as after BEGIN + `set_config`. Called alone (autocommit) the settings end with the
/// statement's implicit transaction; the function also puts the previous role and claims back
/// when the statement succeeded, so inside a larger transaction nothing outlives the call
/// either (a failed statement aborts that transaction, which drops the settings).
///
/// Security: SECURITY INVOKER — the caller can only switch to a role it is a member of, as with
/// `SET ROLE`; the role must be one of the three request roles (IV422 otherwise), and the
/// claims' `role` must be that role (IV422 otherwise: `auth.role()` would say what the grants do
/// not); the legacy single-claim settings (`request.jwt.claim.sub` …, which Supabase's
/// `auth.uid()` prefers) are blanked for the call, so a value left on a pooled connection
/// cannot make it run as another user; EXECUTE is
/// revoked from PUBLIC and granted to no request role (the login role that runs the client —
/// the owner, or a role the DBA grants it to — calls it).
enum CoreCallAs {
    static let function = StoredFunction(
        QualifiedName("invariants", "call_as"),
        arguments: [
            .init("p_role", .text), .init("p_claims", .text), .init("p_statement", .text), .init("p_arguments", .textArray),
        ],
        returns: "SETOF record",
        body: """
            DECLARE
                previous_role   text := pg_catalog.current_setting('role');
                previous_claims text := pg_catalog.current_setting('request.jwt.claims', true);
                -- The legacy single-claim settings, which Supabase's auth.uid() prefers: a value
                -- left on a pooled connection would make this call run as someone else.
                previous_legacy text[] := ARRAY[
                    pg_catalog.current_setting('request.jwt.claim', true),
                    pg_catalog.current_setting('request.jwt.claim.sub', true),
                    pg_catalog.current_setting('request.jwt.claim.role', true),
                    pg_catalog.current_setting('request.jwt.claim.email', true)];
                claimed_role    text;
            BEGIN
                IF p_role IS NULL OR p_role NOT IN (\(DatabaseRole.allCases.map { SQLText.literal($0.rawValue) }.joined(separator: ", "))) THEN
                    RAISE EXCEPTION 'role % is not a request role (%)', p_role, \(SQLText.literal(DatabaseRole.allCases.map(\.rawValue).joined(separator: ", ")))
                        USING ERRCODE = \(ProjectErrorCode.invalidInput.sqlLiteral), COLUMN = 'role';
                END IF;
                -- The role is the one switched to; claims naming another would make auth.role()
                -- say what the grants do not.
                claimed_role := NULLIF(p_claims, '')::jsonb ->> 'role';
                IF claimed_role IS DISTINCT FROM p_role THEN
                    RAISE EXCEPTION 'claims name role %, but the call runs as %', COALESCE(claimed_role, 'none'), p_role
                        USING ERRCODE = \(ProjectErrorCode.invalidInput.sqlLiteral), COLUMN = 'claims';
                END IF;
                PERFORM pg_catalog.set_config('role', p_role, true),
                        pg_catalog.set_config('request.jwt.claims', p_claims, true),
                        pg_catalog.set_config('request.jwt.claim', '', true),
                        pg_catalog.set_config('request.jwt.claim.sub', '', true),
                        pg_catalog.set_config('request.jwt.claim.role', '', true),
                        pg_catalog.set_config('request.jwt.claim.email', '', true);
                -- $1 of the statement is p_arguments; the statement casts its elements.
                RETURN QUERY EXECUTE p_statement USING p_arguments;
                PERFORM pg_catalog.set_config('role', previous_role, true),
                        pg_catalog.set_config('request.jwt.claims', COALESCE(previous_claims, ''), true),
                        pg_catalog.set_config('request.jwt.claim', COALESCE(previous_legacy[1], ''), true),
                        pg_catalog.set_config('request.jwt.claim.sub', COALESCE(previous_legacy[2], ''), true),
                        pg_catalog.set_config('request.jwt.claim.role', COALESCE(previous_legacy[3], ''), true),
                        pg_catalog.set_config('request.jwt.claim.email', COALESCE(previous_legacy[4], ''), true);
            END
            """)

    static var repeatables: [RepeatableObject] {
        [function.repeatableObject(source: "InvariantsSchema.CoreCallAs", executableBy: [])]
    }
}
