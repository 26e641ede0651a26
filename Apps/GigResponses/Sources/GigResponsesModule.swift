public import InvariantsSchema

/// Seed 004: a hiring app's gigs and the responses (applications) to them, per workspace.
///
/// The seed kept `gigs.responses` and `gigs.new_responses` by hand, left orphan responses when
/// a gig was deleted and needed a slow resync script. Here:
/// - the counters are a ``CounterCache`` (exact on every write path, TRUNCATE included, and
///   under concurrent writers), with a drift view, a set-based repair and an audit of repairs
///   for data loaded with triggers off (a restore, a bulk import);
/// - a response points at its gig polymorphically (`entity_type = 'gig'`, `entity_id`) as in
///   the seed, and a stored generated column `gig_id` turns that into a real composite foreign
///   key `(workspace_id, gig_id) → gigs (workspace_id, id) ON DELETE CASCADE`: PostgreSQL itself
///   refuses a response to a missing gig, deletes a gig's responses with it (TRUNCATE and
///   REPEATABLE READ included) and keeps a response in its gig's workspace;
/// - workspaces are the tenant: members read and write their workspaces' gigs and responses
///   and nothing else (``RowLevelSecurity`` with a tenant predicate).
///
/// Entity types: only `gig` has a parent table here; another type (a vacancy, say) needs its
/// own generated column and foreign key in a new migration, and its name added to the check.
public enum GigResponsesModule {
    public static var module: Module {
        Module("gig_responses", dependsOn: ["core", "auth"], summary: "seed 004: workspaces, gigs, responses, response counters",
               migrations: [migration], repeatables: repeatables, checks: checks, counters: [counters],
               tables: [responses, gigs, workspaceMembers, workspaces].map(\.qualifiedName),
               declaredTables: [responses, gigs, workspaceMembers, workspaces])
    }

    public static let workspaces = Table("public", "workspaces", comment: "Seed 004: the tenant; gigs and responses belong to one.") {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("name", .text, nullable: false)
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        Check("char_length(btrim(name)) BETWEEN 1 AND 200", columns: ["name"])
    }

    public static let workspaceMembers = Table(
        "public", "workspace_members", comment: "Who may read and write a workspace's gigs and responses."
    ) {
        Column("workspace_id", .uuid, nullable: false)
        Column("user_id", .uuid, nullable: false)
        Column("role", .text, nullable: false, default: "'member'")
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("workspace_id", "user_id")
        ForeignKey(["workspace_id"], references: workspaces.qualifiedName, ["id"], onDelete: .cascade)
        ForeignKey(["user_id"], references: QualifiedName("auth", "users"), ["id"], onDelete: .cascade)
        Check("role IN ('owner', 'admin', 'member')", columns: ["role"])
        // Every tenant policy asks "which workspaces is this user in?".
        Index("user_id", "workspace_id")
    }

    public static let gigs = Table(
        "public", "gigs",
        comment: "Seed 004: a gig (job) with its response counters, kept by the database (CounterCache gig_responses)."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("workspace_id", .uuid, nullable: false)
        Column("title", .text, nullable: false)
        Column("responses", .bigint, nullable: false, default: "0", comment: "Responses to this gig; kept by the database.")
        Column("new_responses", .bigint, nullable: false, default: "0",
               comment: "Responses with status NEW; kept by the database.")
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["workspace_id"], references: workspaces.qualifiedName, ["id"], onDelete: .cascade)
        // Target of responses' (workspace_id, gig_id) key: a response stays in its gig's workspace.
        Unique("workspace_id", "id")
        Check("responses >= 0 AND new_responses >= 0 AND new_responses <= responses", name: "gigs_counters_valid")
        Check("char_length(btrim(title)) BETWEEN 1 AND 500", columns: ["title"])
    }

    /// The hiring pipeline a response moves through; `NEW` is what `new_responses` counts.
    public static let statuses = ["NEW", "VIEWED", "SHORTLISTED", "INTERVIEW", "OFFER", "HIRED", "REJECTED"]

    public static let responses = Table(
        "public", "responses",
        comment: "Seed 004: a response (application) to an entity; entity_type 'gig' points at public.gigs."
    ) {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("workspace_id", .uuid, nullable: false)
        Column("entity_type", .text, nullable: false, default: "'gig'")
        Column("entity_id", .uuid, nullable: false)
        Column(
            "gig_id", .uuid, generatedAs: "CASE WHEN entity_type = 'gig' THEN entity_id END",
            comment: "entity_id when entity_type = 'gig': the column the foreign key to gigs uses.")
        Column("status", .text, nullable: false, default: "'NEW'")
        Column("candidate_name", .text)
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(
            ["workspace_id", "gig_id"], references: gigs.qualifiedName, ["workspace_id", "id"], onDelete: .cascade,
            name: "responses_entity_id_gig_fk")
        Check("entity_type IN ('gig')", columns: ["entity_type"])
        Check("status IN (" + statuses.map { "'\($0)'" }.joined(separator: ", ") + ")", columns: ["status"])
        Check("char_length(candidate_name) <= 200", columns: ["candidate_name"])
        // The foreign key's cascade and the members' listings look responses up by workspace and gig;
        // the counters by (entity_type, entity_id).
        Index("workspace_id", "gig_id")
        Index("entity_type", "entity_id")
    }

    /// `gigs.responses` and `gigs.new_responses`. The seed's own monitoring query reads the
    /// columns, so they stay exact (no pending deltas: not `.deltas`). Statement strategy: bulk
    /// imports and moves touch many gigs in one statement, and it locks them in key order (the
    /// row strategy deadlocks on opposite-order bulk statements, measured); single-row inserts
    /// cost about the same either way (docs/benchmarks.md).
    public static let counters = CounterCache(
        name: "gig_responses", parent: gigs, child: responses,
        link: .polymorphic(typeColumn: "entity_type", type: "gig", idColumn: "entity_id"),
        scope: "workspace_id",
        counters: [.count("responses"), .count("new_responses", where: .init("status", in: ["NEW"]))],
        strategy: .statement)

    public static var migration: Migration {
        Migration(
            module: "gig_responses", version: 1, name: "gig_responses", source: "GigResponses.GigResponsesModule.migration",
            steps: workspaces.createSteps() + workspaceMembers.createSteps() + gigs.createSteps()
                + responses.createSteps() + counters.migrationSteps())
    }

    public static var repeatables: [RepeatableObject] {
        [
            // The counters are derived: a new response does not make the gig "updated".
            UpdatedAt(gigs, ignoring: ["responses", "new_responses"]).repeatableObjects(),
            UpdatedAt(responses).repeatableObjects(),
            counters.repeatableObjects(),
            // Members see their workspaces; workspaces and memberships are made by the backend
            // (or public.create_workspace, which makes the caller its owner).
            RowLevelSecurity.tenant(workspaces, column: "id", membership: workspaceMembers).repeatableObjects(),
            RowLevelSecurity.owner(workspaceMembers).repeatableObjects(),
            // No DELETE for members: a gig is deleted through public.delete_gig, which locks its
            // responses before the gig (a plain DELETE's cascade deadlocks against response updates).
            RowLevelSecurity.tenant(
                gigs, membership: workspaceMembers, insertColumns: ["id", "workspace_id", "title"],
                updateColumns: ["title"]
            ).repeatableObjects(),
            RowLevelSecurity.tenant(
                responses, membership: workspaceMembers,
                insertColumns: ["id", "workspace_id", "entity_type", "entity_id", "status", "candidate_name"],
                updateColumns: ["entity_type", "entity_id", "status", "candidate_name"], delete: true
            ).repeatableObjects(),
            GigResponsesFunctions.repeatables,
        ].flatMap { $0 }
    }
}
