import InvariantsSchema

/// Seed 004's API routes as stored functions, each one call:
/// - `gig.responses.delete` → `public.delete_response(response, workspace)`;
/// - `gig.responses.count` → `public.gig_response_counts(gig, workspace)` (total, new,
///   gigResponses, gigNewResponses, isSynced — one snapshot, so `is_synced` never flickers);
/// - `gig.syncResponseCounts` / `gig.syncAllResponseCounts` → `public.sync_gig_response_counts`
///   and `public.sync_workspace_response_counts` (`force` rewrites even matching counters);
///   all workspaces: `public.sync_all_response_counts(force)` for the backend.
///
/// Access: the backend (`service_role`) may act on any workspace; a user only on workspaces they
/// are a member of (IV403 otherwise). A response or gig of another workspace is "not found"
/// (IV404) and nothing changes.
enum GigResponsesFunctions {
    static let invalid = ProjectErrorCode.invalidInput.sqlLiteral
    static let notFound = ProjectErrorCode.notFound.sqlLiteral
    static let forbidden = ProjectErrorCode.forbidden.sqlLiteral

    /// Required arguments, then membership (skipped for the backend).
    static func requireAccess(_ required: [String]) -> String {
        let checks = required.map { argument in
            let field = String(argument.dropFirst(2))
            return """
                IF \(argument) IS NULL THEN
                        RAISE EXCEPTION '\(field) is required' USING ERRCODE = \(invalid), COLUMN = '\(field)';
                    END IF;
                """
        }.joined(separator: "\n    ")
        return """
            \(checks)
                IF auth.role() IS DISTINCT FROM 'service_role' AND NOT EXISTS (
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
                \(requireAccess(["p_response_id", "p_workspace_id"]))
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
                \(requireAccess(["p_gig_id", "p_workspace_id"]))
                -- One statement, one snapshot: a writer's response and its counter change are
                -- seen together or not at all.
                RETURN QUERY
                SELECT a.total, a.new_total, g.responses, g.new_responses,
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

    /// Definer rights: counters are not writable by users; access is checked above.
    static let syncGig = StoredFunction(
        QualifiedName("public", "sync_gig_response_counts"),
        arguments: [.init("p_gig_id", .uuid), .init("p_workspace_id", .uuid), .init("p_force", .boolean)],
        returnsTable: syncResult,
        securityDefiner: true,
        body: """
            BEGIN
                \(requireAccess(["p_gig_id", "p_workspace_id"]))
                IF NOT EXISTS (SELECT 1 FROM public.gigs AS g WHERE g.id = p_gig_id AND g.workspace_id = p_workspace_id) THEN
                    RAISE EXCEPTION 'gig % not found in workspace %', p_gig_id, p_workspace_id
                        USING ERRCODE = \(notFound), COLUMN = 'gig_id';
                END IF;
                RETURN QUERY
                SELECT r.checked, r.fixed
                FROM invariants.repair_gig_responses(p_gig_id, p_workspace_id, COALESCE(p_force, false), NULL, NULL) AS r;
            END
            """)

    static let syncWorkspace = StoredFunction(
        QualifiedName("public", "sync_workspace_response_counts"),
        arguments: [.init("p_workspace_id", .uuid), .init("p_force", .boolean)],
        returnsTable: syncResult,
        securityDefiner: true,
        body: """
            BEGIN
                \(requireAccess(["p_workspace_id"]))
                IF NOT EXISTS (SELECT 1 FROM public.workspaces AS w WHERE w.id = p_workspace_id) THEN
                    RAISE EXCEPTION 'workspace % not found', p_workspace_id
                        USING ERRCODE = \(notFound), COLUMN = 'workspace_id';
                END IF;
                RETURN QUERY
                SELECT r.checked, r.fixed
                FROM invariants.repair_gig_responses(NULL, p_workspace_id, COALESCE(p_force, false), NULL, NULL) AS r;
            END
            """)

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

    /// A user makes a workspace and becomes its owner.
    static let createWorkspace = StoredFunction(
        QualifiedName("public", "create_workspace"),
        arguments: [.init("p_name", .text)],
        returns: "uuid",
        securityDefiner: true,
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
            """)

    static var repeatables: [RepeatableObject] {
        let source = "GigResponses.GigResponsesFunctions"
        return [
            deleteResponse.repeatableObject(source: source, executableBy: [.authenticated, .serviceRole]),
            counts.repeatableObject(source: source, executableBy: [.authenticated, .serviceRole]),
            syncGig.repeatableObject(source: source, executableBy: [.authenticated, .serviceRole]),
            syncWorkspace.repeatableObject(source: source, executableBy: [.authenticated, .serviceRole]),
            syncAll.repeatableObject(source: source, executableBy: [.serviceRole]),
            createWorkspace.repeatableObject(source: source, executableBy: [.authenticated]),
        ]
    }
}
