import InvariantsSchema

/// Seed 004's API routes as stored functions, each one call:
/// - `gig.responses.delete` → `public.delete_response(response, workspace)`; a gig with its
///   responses → `public.delete_gig(gig, workspace)` (direct DELETE on gigs is revoked: see
///   ``deleteGig``);
/// - `gig.responses.count` → `public.gig_response_counts(gig, workspace)` (total, new,
///   gigResponses, gigNewResponses, isSynced — one snapshot, so `is_synced` never flickers);
/// - `gig.syncResponseCounts` / `gig.syncAllResponseCounts` → `public.sync_gig_response_counts`
///   and `public.sync_workspace_response_counts` (`force` rewrites even matching counters);
///   all workspaces: `public.sync_all_response_counts(force)` for the backend.
///
/// Access: the backend (`service_role`) may act on any workspace; a user only on workspaces they
/// are a member of (IV403 otherwise). "The backend" is decided by grants and roles, never by
/// the claims' `role` (any session can set claims). A response or gig of another workspace is "not found"
/// (IV404) and nothing changes.
enum GigResponsesFunctions {
    static let invalid = ProjectErrorCode.invalidInput.sqlLiteral
    static let notFound = ProjectErrorCode.notFound.sqlLiteral
    static let forbidden = ProjectErrorCode.forbidden.sqlLiteral

    /// The caller may act for the backend: a role check, which claims cannot forge. Only for
    /// functions with the caller's rights, where `current_user` is the caller's role.
    static let callerIsBackend = "pg_catalog.pg_has_role('service_role', 'USAGE')"

    /// Each of `required` is not NULL (IV422 naming it).
    static func requireArguments(_ required: [String]) -> String {
        required.map { argument in
            let field = String(argument.dropFirst(2))
            return """
                IF \(argument) IS NULL THEN
                        RAISE EXCEPTION '\(field) is required' USING ERRCODE = \(invalid), COLUMN = '\(field)';
                    END IF;
                """
        }.joined(separator: "\n    ")
    }

    /// Required arguments, then membership of `auth.uid()` in the workspace (IV403). With
    /// `backendSkips`, a caller holding `service_role`'s rights skips the membership check.
    static func requireAccess(_ required: [String], backendSkips: Bool = false) -> String {
        let skip = backendSkips ? "NOT \(callerIsBackend) AND " : ""
        return """
            \(requireArguments(required))
                IF \(skip)NOT EXISTS (
                    SELECT 1 FROM public.workspace_members AS m
                    WHERE m.workspace_id = p_workspace_id AND m.user_id = auth.uid()
                ) THEN
                    RAISE EXCEPTION 'not a member of workspace %', p_workspace_id
                        USING ERRCODE = \(forbidden), COLUMN = 'workspace_id';
                END IF;
            """
    }

    /// Invoker rights: a user deletes under RLS as with a direct DELETE; the counter trigger
    /// (SECURITY DEFINER) keeps the gig's counters.
    static let deleteResponse = StoredFunction(
        QualifiedName("public", "delete_response"),
        arguments: [.init("p_response_id", .uuid), .init("p_workspace_id", .uuid)],
        returns: "void",
        body: """
            BEGIN
                \(requireAccess(["p_response_id", "p_workspace_id"], backendSkips: true))
                DELETE FROM public.responses AS r
                WHERE r.id = p_response_id AND r.workspace_id = p_workspace_id;
                IF NOT FOUND THEN
                    -- Same answer for another workspace's response and a missing one.
                    RAISE EXCEPTION 'response % not found in workspace %', p_response_id, p_workspace_id
                        USING ERRCODE = \(notFound), COLUMN = 'response_id';
                END IF;
            END
            """)

    static let counts = StoredFunction(
        QualifiedName("public", "gig_response_counts"),
        arguments: [.init("p_gig_id", .uuid), .init("p_workspace_id", .uuid)],
        returnsTable: [
            .init("total", .bigint), .init("new", .bigint), .init("gig_responses", .bigint),
            .init("gig_new_responses", .bigint), .init("is_synced", .boolean),
        ],
        volatility: .stable,
        body: """
            BEGIN
                \(requireAccess(["p_gig_id", "p_workspace_id"], backendSkips: true))
                -- One statement, one snapshot: a writer's response and its counter change are
                -- seen together or not at all. The casts: an adopted table keeps the app's
                -- integer counters (widening them would rewrite it).
                RETURN QUERY
                SELECT a.total, a.new_total, g.responses::bigint, g.new_responses::bigint,
                       a.total = g.responses AND a.new_total = g.new_responses
                FROM public.gigs AS g
                CROSS JOIN LATERAL (
                    SELECT pg_catalog.count(*) AS total,
                           pg_catalog.count(*) FILTER (WHERE r.status = 'NEW') AS new_total
                    FROM public.responses AS r
                    WHERE r.entity_type = 'gig' AND r.entity_id = g.id
                ) AS a
                WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
                        USING ERRCODE = \(notFound), COLUMN = 'gig_id';
                END IF;
            END
            """)

    /// What every sync returns: gigs examined, gigs rewritten.
    static let syncResult: [StoredFunction.ResultColumn] = [.init("checked", .bigint), .init("fixed", .bigint)]

    /// The repair of one gig once access is settled: the gig must be in the workspace.
    static func repairGigBody(access: String) -> String {
        """
        BEGIN
            \(access)
            IF NOT EXISTS (SELECT 1 FROM public.gigs AS g WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id) THEN
                RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
                    USING ERRCODE = \(notFound), COLUMN = 'gig_id';
            END IF;
            RETURN QUERY
            SELECT r.checked, r.fixed
            FROM invariants.repair_gig_responses(p_gig_id, p_workspace_id, COALESCE(p_force, false), NULL, NULL) AS r;
        END
        """
    }

    /// The repair of a workspace's gigs once access is settled.
    static func repairWorkspaceBody(access: String) -> String {
        """
        BEGIN
            \(access)
            IF NOT EXISTS (SELECT 1 FROM public.workspaces AS w WHERE w.id = p_workspace_id) THEN
                RAISE EXCEPTION 'workspace % not found', p_workspace_id
                    USING ERRCODE = \(notFound), COLUMN = 'workspace_id';
            END IF;
            RETURN QUERY
            SELECT r.checked, r.fixed
            FROM invariants.repair_gig_responses(NULL, p_workspace_id, COALESCE(p_force, false), NULL, NULL) AS r;
        END
        """
    }

    /// Owner's rights (users may not write counters), in two helpers: a member's, which checks
    /// membership, and the backend's (EXECUTE granted to `service_role` only), which does not.
    /// The entry point picks by grant, not by the claims' role.
    static let syncGig = PrivilegedFunction(
        StoredFunction(
            QualifiedName("public", "sync_gig_response_counts"),
            arguments: [.init("p_gig_id", .uuid), .init("p_workspace_id", .uuid), .init("p_force", .boolean)],
            returnsTable: syncResult,
            body: repairGigBody(access: requireAccess(["p_gig_id", "p_workspace_id"]))),
        serviceBody: repairGigBody(access: requireArguments(["p_gig_id", "p_workspace_id"])))

    static let syncWorkspace = PrivilegedFunction(
        StoredFunction(
            QualifiedName("public", "sync_workspace_response_counts"),
            arguments: [.init("p_workspace_id", .uuid), .init("p_force", .boolean)],
            returnsTable: syncResult,
            body: repairWorkspaceBody(access: requireAccess(["p_workspace_id"]))),
        serviceBody: repairWorkspaceBody(access: requireArguments(["p_workspace_id"])))

    /// A gig and its responses, deadlock-free. The cascade alone locks the gig, then its
    /// responses, while a response update locks the response, then (its counter trigger) the
    /// gig: opposite orders, which deadlocked (40P01) under load. Locking the gig's responses
    /// first, in key order, makes every path take responses before the gig. Direct DELETE on
    /// gigs is revoked from the request roles, so this is the way to delete one; owner's
    /// rights for that reason, membership checked here.
    static let deleteGig = PrivilegedFunction(
        StoredFunction(
            QualifiedName("public", "delete_gig"),
            arguments: [.init("p_gig_id", .uuid), .init("p_workspace_id", .uuid)],
            returns: "void",
            body: deleteGigBody(access: requireAccess(["p_gig_id", "p_workspace_id"]))),
        serviceBody: deleteGigBody(access: requireArguments(["p_gig_id", "p_workspace_id"])))

    /// Locks the gig's responses in key order, then deletes the gig (the cascade takes them).
    static func deleteGigBody(access: String) -> String {
        """
        BEGIN
            \(access)
            PERFORM 1 FROM public.responses AS r
            WHERE r.workspace_id = p_workspace_id AND r.gig_id = p_gig_id
            ORDER BY r.id
            FOR UPDATE;
            DELETE FROM public.gigs AS g WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
                    USING ERRCODE = \(notFound), COLUMN = 'gig_id';
            END IF;
        END
        """
    }

    /// The backend's "all workspaces" in one transaction. The CLI (`invariants sync-counts
    /// --all`) calls the repair in batches instead, one transaction each, with progress.
    static let syncAll = StoredFunction(
        QualifiedName("public", "sync_all_response_counts"),
        arguments: [.init("p_force", .boolean)],
        returnsTable: syncResult,
        securityDefiner: true,
        body: """
            BEGIN
                RETURN QUERY
                SELECT r.checked, r.fixed
                FROM invariants.repair_gig_responses(NULL, NULL, COALESCE(p_force, false), NULL, NULL) AS r;
            END
            """)

    /// A user makes a workspace and becomes its owner (owner's rights: users may not insert
    /// workspaces or memberships directly).
    static let createWorkspace = PrivilegedFunction(StoredFunction(
        QualifiedName("public", "create_workspace"),
        arguments: [.init("p_name", .text)],
        returns: "uuid",
        body: """
            DECLARE
                new_id uuid;
            BEGIN
                IF auth.uid() IS NULL THEN
                    RAISE EXCEPTION 'only a signed-in user can create a workspace' USING ERRCODE = \(forbidden);
                END IF;
                IF p_name IS NULL OR pg_catalog.char_length(pg_catalog.btrim(p_name)) NOT BETWEEN 1 AND 200 THEN
                    RAISE EXCEPTION 'name must be 1 to 200 characters' USING ERRCODE = \(invalid), COLUMN = 'name';
                END IF;
                INSERT INTO public.workspaces (name) VALUES (pg_catalog.btrim(p_name)) RETURNING id INTO new_id;
                INSERT INTO public.workspace_members (workspace_id, user_id, role) VALUES (new_id, auth.uid(), 'owner');
                RETURN new_id;
            END
            """))

    static var repeatables: [RepeatableObject] {
        let source = "GigResponses.GigResponsesFunctions"
        return [
            deleteResponse.repeatableObject(source: source, executableBy: [.authenticated, .serviceRole]),
            counts.repeatableObject(source: source, executableBy: [.authenticated, .serviceRole]),
            syncAll.repeatableObject(source: source, executableBy: [.serviceRole]),
        ] + syncGig.repeatableObjects(source: source, executableBy: [.authenticated, .serviceRole])
            + syncWorkspace.repeatableObjects(source: source, executableBy: [.authenticated, .serviceRole])
            + deleteGig.repeatableObjects(source: source, executableBy: [.authenticated, .serviceRole])
            + createWorkspace.repeatableObjects(source: source, executableBy: [.authenticated])
    }
}
