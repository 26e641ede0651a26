import InvariantsSchema

/// Declarations shared by the golden tests and the real-PostgreSQL tests.
enum Fixtures {
    static let users = Table("public", "users") {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("email", .text, nullable: false)
        PrimaryKey("id")
        Unique("email")
    }

    static let workspaceMembers = Table("public", "workspace_members") {
        Column("workspace_id", .bigint, nullable: false)
        Column("user_id", .uuid, nullable: false)
        PrimaryKey("workspace_id", "user_id")
        ForeignKey(["user_id"], references: QualifiedName("public", "users"), ["id"], onDelete: .cascade)
    }

    static let longColumn = "reviewer_id_with_a_deliberately_long_name_for_truncation"

    /// A representative table that uses every feature of the declaration API.
    static let sessions = Table("public", "sessions", comment: "Chat sessions; the panel's models live in session_config.") {
        Column("id", .uuid, nullable: false, default: "gen_random_uuid()")
        Column("user_id", .uuid, nullable: false, comment: "Owner (public.users.id).")
        Column("workspace_id", .bigint)
        Column(longColumn, .uuid)
        Column("title", .text, nullable: false, default: "''")
        Column("title_lower", .text, generatedAs: "lower(title)")
        Column("status", .varchar(16), nullable: false, default: "'open'")
        Column("session_config", .jsonb, nullable: false, default: "'{}'::jsonb", comment: "Models on the panel: it's a JSON object.")
        Column("raw_payload", .json)
        Column("tags", .textArray, nullable: false, default: "'{}'")
        Column("price", .numeric(precision: 12, scale: 2))
        Column("score", .doublePrecision)
        Column("ratio", .real)
        Column("position", .smallint)
        Column("seq", .bigint, nullable: false, identity: .always)
        Column("messages", .integer, nullable: false, default: "0")
        Column("archived", .boolean, nullable: false, default: "false")
        Column("day", .date)
        Column("thumbnail", .bytea)
        Column("created_at", .timestamptz, nullable: false, default: "now()")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        Column("deleted_at", .timestamptz)
        PrimaryKey("id")
        ForeignKey(["user_id"], references: QualifiedName("public", "users"), ["id"], onDelete: .cascade, onUpdate: .restrict)
        ForeignKey(
            ["workspace_id", "user_id"], references: QualifiedName("public", "workspace_members"), ["workspace_id", "user_id"],
            onDelete: .setNull(columns: ["workspace_id"]))
        ForeignKey([longColumn], references: QualifiedName("public", "users"), ["id"], onDelete: .setNull)
        Unique("user_id", "workspace_id", nullsNotDistinct: true)
        Check("status IN ('open', 'closed')", columns: ["status"])
        Check("price >= 0", name: "sessions_price_non_negative")
        Index("user_id", .descending("created_at"))
        Index(.expression("lower(title)"), unique: true, include: ["id"], where: "deleted_at IS NULL", concurrently: true)
        Index("session_config", method: .gin, name: "sessions_config_gin")
    }

    /// A table with a `json` column, where `NEW IS DISTINCT FROM OLD` would fail.
    static let documents = Table("public", "documents") {
        Column("id", .integer, nullable: false)
        Column("doc", .json, nullable: false)
        Column("note", .text)
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
    }

    static let updatedAtObjects: [RepeatableObject] = try! RepeatableObject.merged([
        UpdatedAt(sessions).repeatableObjects(),
        UpdatedAt(documents).repeatableObjects(),
    ])

    /// Every helper for later migrations, applied to `sessions` (the last one drops it).
    static var helperSteps: [MigrationStep] {
        let t = sessions
        var steps = t.addColumnSteps(Column("summary", .text, comment: "Short summary."))
        steps += t.dropColumnSteps("summary")
        steps += t.addConstraintSteps(.check(Check("messages >= 0", columns: ["messages"])), notValid: true)
        steps += t.validateConstraintSteps("sessions_messages_check")
        steps += t.addConstraintSteps(.unique(Unique("title", "user_id")))
        steps += t.dropConstraintSteps("sessions_title_user_id_key")
        steps += t.createIndexSteps(Index("status", where: "archived = false", concurrently: true))
        steps += t.dropIndexSteps(Index("status", concurrently: true))
        steps += [Schema.invariants.createStep()]
        steps += t.dropTableSteps()
        return steps
    }

    // Hostile names: each tries to end its identifier, string, comment or dollar quote.
    static let hostileSchema = "ev\"il'; DROP SCHEMA public CASCADE; --\n$$"
    static let hostileTable = "t\"; CREATE TABLE pwned(); --'$$\n$fn$ x"
    static let hostileColumn = "c\"'); DROP TABLE pwned; $$ $fn$\r\n--"
    static let hostileStamp = "u\"pd'$fn$;\n$fn1$ at"
    static let hostileComment = "it's\"; DROP TABLE pwned; --\n$$ ok"

    static let hostile = Table(hostileSchema, hostileTable, comment: hostileComment) {
        Column("id", .integer, nullable: false)
        Column(hostileColumn, .text, comment: hostileComment)
        Column(hostileStamp, .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        Check("id > 0", columns: [hostileColumn])
        Index(.column(hostileColumn))
    }

    static let hostileUpdatedAt = UpdatedAt(table: hostile.qualifiedName, column: hostileStamp)
}

/// Text of steps and objects as committed in the golden files (and fed to psql).
enum Script {
    static func steps(_ steps: [MigrationStep]) -> String {
        steps.map { step in
            var header = ""
            if !step.transactional {
                header = "-- outside transaction"
                if let index = step.rebuildsInvalidIndex {
                    header += "; rebuilds invalid index \(SQLText.commentSafe(index.description))"
                }
                header += "\n"
            }
            return header + step.sql + ";\n"
        }.joined(separator: "\n")
    }

    static func objects(_ objects: [RepeatableObject]) -> String {
        objects.map { object in
            "-- \(object.kind.rawValue): \(SQLText.commentSafe(object.key))\n"
                + "-- source: \(SQLText.commentSafe(object.source))\n"
                + object.statements.map { $0 + ";\n" }.joined()
                + "-- drop:\n" + object.dropStatements.map { "-- " + SQLText.commentSafe($0) + "\n" }.joined()
        }.joined(separator: "\n")
    }

    static func apply(_ objects: [RepeatableObject]) -> String {
        objects.flatMap(\.statements).map { $0 + ";\n" }.joined()
    }
}
