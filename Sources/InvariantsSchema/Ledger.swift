/// The migrator's ledger: which migrations ran, and which version of each repeatable
/// object is live. One definition, used by the migrator and written into every generated
/// file, so `psql -f` leaves the same ledger as `invariants migrate`.
public enum Ledger {
    public static let schema = "invariants"
    public static let migrationsTable = QualifiedName(schema, "schema_migrations")
    public static let repeatableTable = QualifiedName(schema, "repeatable_objects")

    /// Key of the advisory lock every migrator and every generated file takes, so that two
    /// migrators (app instances, CI jobs, a DBA with psql) never apply the same change twice.
    public static let advisoryLockKey: Int64 = 0x496E_7661_7269_616E  // "Invarian"

    /// Idempotent statements that create the ledger.
    public static let bootstrapStatements: [String] = [
        "CREATE SCHEMA IF NOT EXISTS \(SQLText.identifier(schema))",
        """
        CREATE TABLE IF NOT EXISTS \(migrationsTable.sql) (
            "version"      integer     PRIMARY KEY CHECK ("version" > 0),
            "name"         text        NOT NULL,
            "checksum"     text        NOT NULL,
            "applied_at"   timestamptz NOT NULL DEFAULT now(),
            "applied_by"   text        NOT NULL DEFAULT current_user,
            "execution_ms" integer     NOT NULL DEFAULT 0 CHECK ("execution_ms" >= 0)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS \(repeatableTable.sql) (
            "key"             text        PRIMARY KEY,
            "kind"            text        NOT NULL,
            "checksum"        text        NOT NULL,
            "drop_statements" text[]      NOT NULL,
            "applied_at"      timestamptz NOT NULL DEFAULT now(),
            "applied_by"      text        NOT NULL DEFAULT current_user
        )
        """,
        "REVOKE ALL ON \(migrationsTable.sql), \(repeatableTable.sql) FROM PUBLIC",
    ]

    /// Takes the migration lock for the rest of the transaction (the psql route; the
    /// migrator polls `pg_try_advisory_lock` instead, see DESIGN.md traps).
    public static let transactionLockStatement = "SELECT pg_advisory_xact_lock(\(advisoryLockKey))"

    /// Refuses a migration that is already applied or whose predecessors are not.
    public static func guardStatement(for migration: Migration, tag: String) -> String {
        let label = SQLText.literal(MigrationFile.fileName(for: migration))
        return """
        DO $\(tag)$
        BEGIN
            IF EXISTS (SELECT 1 FROM \(migrationsTable.sql) WHERE "version" = \(migration.version)) THEN
                RAISE EXCEPTION 'migration % is already applied', \(label)
                    USING ERRCODE = \(ProjectErrorCode.conflict.sqlLiteral);
            END IF;
            IF (SELECT count(*) FROM \(migrationsTable.sql) WHERE "version" < \(migration.version)) <> \(migration.version - 1) THEN
                RAISE EXCEPTION 'migration % needs every earlier migration applied first', \(label)
                    USING ERRCODE = \(ProjectErrorCode.conflict.sqlLiteral);
            END IF;
        END
        $\(tag)$
        """
    }

    /// The ledger row of a migration; `execution_ms` is the time since the transaction began.
    public static func recordStatement(for migration: Migration, checksum: String) -> String {
        """
        INSERT INTO \(migrationsTable.sql) ("version", "name", "checksum", "execution_ms")
        VALUES (\(migration.version), \(SQLText.literal(migration.name)), \(SQLText.literal(checksum)),
                (extract(epoch FROM clock_timestamp() - now()) * 1000)::integer)
        """
    }

    /// Upserts the ledger row of a repeatable object.
    public static func recordStatement(for object: RepeatableObject) -> String {
        let drops = object.dropStatements.map(SQLText.literal).joined(separator: ", ")
        return """
        INSERT INTO \(repeatableTable.sql) ("key", "kind", "checksum", "drop_statements")
        VALUES (\(SQLText.literal(object.key)), \(SQLText.literal(object.kind.rawValue)), \(SQLText.literal(RepeatableSetFile.checksum(of: object))),
                ARRAY[\(drops)]::text[])
        ON CONFLICT ("key") DO UPDATE
            SET "kind" = EXCLUDED."kind", "checksum" = EXCLUDED."checksum",
                "drop_statements" = EXCLUDED."drop_statements",
                "applied_at" = now(), "applied_by" = current_user
        """
    }
}

// MARK: Module streams

extension Ledger {
    /// One row per applied migration of a module stream, keyed by module and version.
    public static let moduleMigrationsTable = QualifiedName(schema, "module_migrations")
    /// One row per module the database holds; `chosen` when the app asked for it (not only
    /// installed as another module's dependency).
    public static let installedModulesTable = QualifiedName(schema, "installed_modules")

    /// Idempotent statements that create the module ledger (and the repeatable ledger, keyed
    /// by module). A database on the linear ledger keeps `schema_migrations` as history.
    public static let moduleBootstrapStatements: [String] = [
        "CREATE SCHEMA IF NOT EXISTS \(SQLText.identifier(schema))",
        """
        CREATE TABLE IF NOT EXISTS \(moduleMigrationsTable.sql) (
            "module"         text        NOT NULL,
            "version"        integer     NOT NULL CHECK ("version" > 0),
            "name"           text        NOT NULL,
            "checksum"       text        NOT NULL,
            "applied_at"     timestamptz NOT NULL DEFAULT now(),
            "applied_by"     text        NOT NULL DEFAULT current_user,
            "execution_ms"   integer     NOT NULL DEFAULT 0 CHECK ("execution_ms" >= 0),
            "linear_version" integer     CHECK ("linear_version" > 0),
            PRIMARY KEY ("module", "version")
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS \(installedModulesTable.sql) (
            "module"       text        PRIMARY KEY,
            "chosen"       boolean     NOT NULL DEFAULT true,
            "installed_at" timestamptz NOT NULL DEFAULT now(),
            "installed_by" text        NOT NULL DEFAULT current_user
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS \(repeatableTable.sql) (
            "key"             text        PRIMARY KEY,
            "kind"            text        NOT NULL,
            "checksum"        text        NOT NULL,
            "drop_statements" text[]      NOT NULL,
            "applied_at"      timestamptz NOT NULL DEFAULT now(),
            "applied_by"      text        NOT NULL DEFAULT current_user
        )
        """,
        "ALTER TABLE \(repeatableTable.sql) ADD COLUMN IF NOT EXISTS \"module\" text",
        // One line, as every migration file written so far has it (their psql blocks hold it).
        "REVOKE ALL ON \(moduleMigrationsTable.sql), \(installedModulesTable.sql), \(repeatableTable.sql) FROM PUBLIC",
    ]

    /// Refuses a module migration that is already applied, whose predecessors in the module
    /// are not, whose dependencies are not applied through the versions they had when the file
    /// was rendered, or that would run on a database still on
    /// the linear ledger (`invariants migrate` maps that ledger first).
    public static func guardStatement(for migration: Migration, dependencies: [(module: String, version: Int)], tag: String) -> String {
        let module = migration.module ?? ""
        let label = SQLText.literal(migration.label)
        let moduleLiteral = SQLText.literal(module)
        var body = """
            IF to_regclass('\(migrationsTable.sql)') IS NOT NULL THEN
                IF EXISTS (SELECT 1 FROM \(migrationsTable.sql))
                   AND NOT EXISTS (SELECT 1 FROM \(moduleMigrationsTable.sql) WHERE "linear_version" IS NOT NULL) THEN
                    RAISE EXCEPTION 'this database is on the linear ledger of release 0.2 or earlier (%)', \(SQLText.literal(migrationsTable.description))
                        USING ERRCODE = \(ProjectErrorCode.conflict.sqlLiteral),
                              HINT = 'run `invariants migrate` once: it maps that ledger onto the modules in place';
                END IF;
            END IF;
            IF EXISTS (SELECT 1 FROM \(moduleMigrationsTable.sql) WHERE "module" = \(moduleLiteral) AND "version" = \(migration.version)) THEN
                RAISE EXCEPTION 'migration % is already applied', \(label)
                    USING ERRCODE = \(ProjectErrorCode.conflict.sqlLiteral);
            END IF;
            IF (SELECT count(*) FROM \(moduleMigrationsTable.sql) WHERE "module" = \(moduleLiteral) AND "version" < \(migration.version)) <> \(migration.version - 1) THEN
                RAISE EXCEPTION 'migration % needs every earlier migration of module % applied first', \(label), \(moduleLiteral)
                    USING ERRCODE = \(ProjectErrorCode.conflict.sqlLiteral);
            END IF;

        """
        for dependency in dependencies {
            // Applied, not only chosen: installed_modules records a choice before it is installed.
            body += """
                IF NOT EXISTS (SELECT 1 FROM \(moduleMigrationsTable.sql)
                               WHERE "module" = \(SQLText.literal(dependency.module)) AND "version" >= \(dependency.version)) THEN
                    RAISE EXCEPTION 'module % needs module % applied through version % first', \(moduleLiteral), \(SQLText.literal(dependency.module)), \(dependency.version)
                        USING ERRCODE = \(ProjectErrorCode.conflict.sqlLiteral);
                END IF;

            """
        }
        return "DO $\(tag)$\nBEGIN\n" + body + "END\n$\(tag)$"
    }

    /// The ledger rows of a module migration: the migration, and the module as installed
    /// (`chosen` when the app asked for it; a row that exists is left as it is).
    public static func recordStatements(for migration: Migration, checksum: String, chosen: Bool = true) -> [String] {
        let module = SQLText.literal(migration.module ?? "")
        return [
            """
            INSERT INTO \(moduleMigrationsTable.sql) ("module", "version", "name", "checksum", "execution_ms")
            VALUES (\(module), \(migration.version), \(SQLText.literal(migration.name)), \(SQLText.literal(checksum)),
                    (extract(epoch FROM clock_timestamp() - now()) * 1000)::integer)
            """,
            """
            INSERT INTO \(installedModulesTable.sql) ("module", "chosen") VALUES (\(module), \(chosen))
            ON CONFLICT ("module") DO NOTHING
            """,
        ]
    }

    /// Upserts the ledger rows of `objects`, all owned by `module`, in one multi-row statement
    /// (the end of a module's `repeatable.sql`).
    public static func recordStatement(for objects: [RepeatableObject], module: String) -> String {
        let rows = objects.map { object in
            let drops = SQLLines.list("ARRAY[", object.dropStatements.map(SQLText.literal), "]::text[], \(SQLText.literal(module)))",
                                      indent: "     ")
            return """
                (\(SQLText.literal(object.key)), \(SQLText.literal(object.kind.rawValue)),
                     \(SQLText.literal(RepeatableSetFile.checksum(of: object))),
                \(drops)
                """
        }
        return """
        INSERT INTO \(repeatableTable.sql) ("key", "kind", "checksum", "drop_statements", "module")
        VALUES
        \(rows.joined(separator: ",\n"))
        ON CONFLICT ("key") DO UPDATE
            SET "kind" = EXCLUDED."kind", "checksum" = EXCLUDED."checksum",
                "drop_statements" = EXCLUDED."drop_statements", "module" = EXCLUDED."module",
                "applied_at" = now(), "applied_by" = current_user
        """
    }

    /// Upserts the ledger row of a repeatable object owned by `module`.
    public static func recordStatement(for object: RepeatableObject, module: String) -> String {
        let drops = object.dropStatements.map(SQLText.literal).joined(separator: ", ")
        return """
        INSERT INTO \(repeatableTable.sql) ("key", "kind", "checksum", "drop_statements", "module")
        VALUES (\(SQLText.literal(object.key)), \(SQLText.literal(object.kind.rawValue)), \(SQLText.literal(RepeatableSetFile.checksum(of: object))),
                ARRAY[\(drops)]::text[], \(SQLText.literal(module)))
        ON CONFLICT ("key") DO UPDATE
            SET "kind" = EXCLUDED."kind", "checksum" = EXCLUDED."checksum",
                "drop_statements" = EXCLUDED."drop_statements", "module" = EXCLUDED."module",
                "applied_at" = now(), "applied_by" = current_user
        """
    }
}
