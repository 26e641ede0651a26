public import InvariantsSchema

/// Seed 004: a hiring app's gigs and the responses (applications) to them, per workspace.
///
/// The seed kept `gigs.responses` and `gigs.new_responses` by hand, left orphan responses when
/// a gig was deleted and needed a slow resync script. Here:
/// - the counters are a ``CounterCache`` (exact on every write path, TRUNCATE included, and
///   under concurrent writers), with a drift view, a set-based repair and an audit of repairs
///   for data loaded with triggers off (a restore, a bulk import);
/// - a response points at its gig polymorphically (`entity_type = 'gig'`, `entity_id`) as in
///   the seed, and a column `gig_id` kept by a trigger (``PolymorphicKey``) turns that into a real composite foreign
///   key `(workspace_id, gig_id) → gigs (workspace_id, id) ON DELETE CASCADE`: PostgreSQL itself
///   refuses a response to a missing gig, deletes a gig's responses with it (TRUNCATE and
///   REPEATABLE READ included) and keeps a response in its gig's workspace;
/// - workspaces are the tenant: members read and write their workspaces' gigs and responses
///   and nothing else (``RowLevelSecurity`` with a tenant predicate).
///
/// Entity types: only `gig` has a parent table here; another type (a vacancy, say) needs its
/// own kept key column and foreign key in a new migration, and its name added to the check.
public enum GigResponsesModule {
    public static var module: Module {
        Module("gig_responses", dependsOn: ["core", "auth"], summary: "seed 004: workspaces, gigs, responses, response counters",
               migrations: [migration, gigKeyByTriggerMigration, validateGigKeyMigration], repeatables: repeatables, checks: checks, counters: [counters],
               tables: [responses, gigs, workspaceMembers, workspaces].map(\.qualifiedName),
               declaredTables: [responses, gigs, workspaceMembers, workspaces], adoption: adoption)
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

    /// `responses` as it is today: `gig_id` a plain column kept by ``gigKey`` (version 2).
    public static let responses = responsesTable(gigKey: Column(
        "gig_id", .uuid, comment: "entity_id when entity_type = 'gig' (kept by a trigger): the column the foreign key to gigs uses."))

    /// `responses` as version 1 created it (released): `gig_id` a stored generated column.
    public static let responsesAsCreated = responsesTable(gigKey: Column(
        "gig_id", .uuid, generatedAs: "CASE WHEN entity_type = 'gig' THEN entity_id END",
        comment: "entity_id when entity_type = 'gig': the column the foreign key to gigs uses."))

    /// `gig_id`: the polymorphic reference's id when it points at a gig.
    public static let gigKey = PolymorphicKey(
        table: QualifiedName("public", "responses"), column: "gig_id", typeColumn: "entity_type", type: "gig", idColumn: "entity_id")

    private static func responsesTable(gigKey: Column) -> Table {
        Table(
            "public", "responses",
            comment: "Seed 004: a response (application) to an entity; entity_type 'gig' points at public.gigs."
        ) {
            Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
            Column("workspace_id", .uuid, nullable: false)
            Column("entity_type", .text, nullable: false, default: "'gig'")
            Column("entity_id", .uuid, nullable: false)
            gigKey
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
            if gigKey.generatedExpression == nil { GigResponsesModule.gigKey.check }
            // The foreign key's cascade and the members' listings look responses up by workspace and gig;
            // the counters by (entity_type, entity_id).
            Index("workspace_id", "gig_id")
            Index("entity_type", "entity_id")
        }
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
                + responsesAsCreated.createSteps() + counters.migrationSteps())
    }

    /// `gig_id` becomes a plain column kept by a trigger, the shape a database that already
    /// has `responses` can reach online (see ``PolymorphicKey``). `DROP EXPRESSION` keeps the
    /// values and does not rewrite the table; a bridge trigger keeps it from the same transaction on,
    /// and the CHECK is `NOT VALID` here, validated by version 3 under a weaker lock.
    public static var gigKeyByTriggerMigration: Migration {
        Migration(
            module: "gig_responses", version: 2, name: "gig_key_by_trigger",
            source: "GigResponses.GigResponsesModule.gigKeyByTriggerMigration",
            // The expression goes first (a BEFORE trigger's WHEN may not read a generated column);
            // the key is kept from this transaction on, by a bridge the repeatable set's trigger replaces.
            steps: [MigrationStep("ALTER TABLE \(responses.qualifiedName.sql)\n    ALTER COLUMN \"gig_id\" DROP EXPRESSION IF EXISTS")]
                + gigKey.bridgeStatements.map { MigrationStep($0) } + [MigrationStep(repointUpdatedAt)]
                + responses.addConstraintSteps(.check(gigKey.check), notValid: true)
                + responses.commentSteps().filter { $0.sql.contains("\"gig_id\"") })
    }

    /// Version 1's updated_at trigger on responses ran a function of its own that copied the
    /// generated `gig_id` from OLD; the repeatable set drops that function before it applies the
    /// trigger, so the trigger moves to the shared function here, where one exists already (a
    /// fresh install has no trigger yet: the repeatable set creates it).
    static var repointUpdatedAt: String {
        let trigger = UpdatedAt(responses).trigger
        return """
            DO $repoint$
            BEGIN
                IF pg_catalog.to_regprocedure(\(SQLText.literal(trigger.function.schema + "." + trigger.function.name + "()"))) IS NOT NULL
                   AND EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                               WHERE t.tgrelid = \(SQLText.literal(responses.qualifiedName.sql))::regclass
                                 AND t.tgname = \(SQLText.literal(trigger.name))) THEN
                    \(trigger.createSQL.replacingOccurrences(of: "\n", with: "\n        "));
                END IF;
            END
            $repoint$
            """
    }

    /// `VALIDATE CONSTRAINT` of the `gig_id` check (SHARE UPDATE EXCLUSIVE: writes go on).
    public static var validateGigKeyMigration: Migration {
        Migration(
            module: "gig_responses", version: 3, name: "validate_gig_key",
            source: "GigResponses.GigResponsesModule.validateGigKeyMigration",
            steps: responses.validateConstraintSteps(gigKey.check.resolvedName(table: responses.name)))
    }

    /// Seed 004's database as its app (Drizzle) made it: `workspaces`, `gigs` with integer
    /// counters that drifted, `responses` with orphans of deleted gigs, and maybe the app's own
    /// cascade key `responses_entity_id_gig_fk` on `entity_id` alone (it breaks the polymorphism;
    /// the composite key replaces it, same name). `workspace_members` is ours: created.
    public static var adoption: Adoption {
        Adoption(
            module: "gig_responses", version: 3, source: "GigResponses.GigResponsesModule.adoption",
            tables: [
                AdoptedTable(workspaces, expects: ["id", "name"]),
                AdoptedTable(workspaceMembers, expects: ["workspace_id", "user_id"]),
                AdoptedTable(gigs, expects: ["id", "workspace_id", "title"], afterBackfill: ["gigs_counters_valid"]),
                AdoptedTable(responses, expects: ["id", "workspace_id", "entity_type", "entity_id", "status"],
                             superseding: [SupersededForeignKey(["entity_id"], references: gigs.qualifiedName)]),
            ],
            keys: [gigKey], counters: [counters])
    }

    public static var repeatables: [RepeatableObject] {
        [
            // The counters are derived: a new response does not make the gig "updated".
            UpdatedAt(gigs, ignoring: ["responses", "new_responses"]).repeatableObjects(),
            UpdatedAt(responses).repeatableObjects(),
            gigKey.repeatableObjects(),
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
