
/// Module `core`: the framework's own schema `invariants` — the table of error codes the
/// generated SQL raises and the client maps (`ProjectErrorCode`), the audit of counter
/// repairs every counter module writes, the shared `updated_at` trigger function and
/// `invariants.call_as`. Every other module depends on it.
public enum CoreModule {
    public static var module: Module {
        Module("core", summary: "the invariants schema: error codes, counter repair audit, call_as, shared trigger functions",
               migrations: [migration, repairAuditMigration, privateSchemaMigration], repeatables: repeatables)
    }

    static let errorCodes = QualifiedName("invariants", "error_codes")

    public static var migration: Migration {
        Migration(
            module: "core", version: 1, name: "invariants_core", source: "InvariantsSchema.CoreModule.migration",
            steps: [
                Schema.invariants.createStep(),
                MigrationStep("""
                    CREATE TABLE \(errorCodes.sql) (
                        "sqlstate"    text PRIMARY KEY CHECK ("sqlstate" ~ '^IV[0-9]{3}$'),
                        "name"        text NOT NULL UNIQUE,
                        "description" text NOT NULL
                    )
                    """),
                MigrationStep("COMMENT ON TABLE \(errorCodes.sql) IS \(SQLText.literal("SQLSTATE codes raised by the generated SQL (class IV); the Swift client maps each to a typed error."))"),
                MigrationStep("""
                    INSERT INTO \(errorCodes.sql) ("sqlstate", "name", "description") VALUES
                    \(ProjectErrorCode.allCases.map { "    (\(SQLText.literal($0.rawValue)), \(SQLText.literal(String(describing: $0))), \(SQLText.literal($0.summary)))" }.joined(separator: ",\n"))
                    """),
                MigrationStep("REVOKE ALL ON \(errorCodes.sql) FROM PUBLIC"),
            ]
        )
    }

    /// `invariants.counter_repairs`, written by every counter's repair (linear history: part of
    /// `0005_gig_responses`).
    public static var repairAuditMigration: Migration {
        Migration(module: "core", version: 2, name: "counter_repairs", source: "InvariantsSchema.CoreModule.repairAuditMigration",
                  steps: CounterCache.auditTable.createSteps())
    }

    /// Schema `invariants_private`: the SECURITY DEFINER helpers behind the apps' API functions
    /// (``PrivilegedFunction``), kept out of the schemas PostgREST serves.
    public static var privateSchemaMigration: Migration {
        let schema = PrivilegedFunction.helperSchema
        let comment = "SECURITY DEFINER helpers behind the apps' API functions; not an API schema: never expose it."
        return Migration(
            module: "core", version: 3, name: "invariants_private", source: "InvariantsSchema.CoreModule.privateSchemaMigration",
            steps: [
                schema.createStep(),
                MigrationStep("COMMENT ON SCHEMA " + SQLText.identifier(schema.name) + " IS " + SQLText.literal(comment)),
            ])
    }

    public static var repeatables: [RepeatableObject] {
        CoreCallAs.repeatables + [
            schemaUsage, privateSchemaUsage, CounterCache.auditSecurity, UpdatedAt.sharedFunction(column: "updated_at"),
        ]
    }

    /// `USAGE` on schema `invariants` for `service_role`: the drift views, the audit and the
    /// repair functions granted to it live there, and a grant on an object is useless without
    /// USAGE on its schema (42501). The request roles get none: nothing there is theirs.
    public static var schemaUsage: RepeatableObject {
        let schema = SQLText.identifier("invariants")
        return RepeatableObject(
            kind: .grant, key: "grant usage on schema invariants", source: "CoreModule.schemaUsage",
            statements: [
                "REVOKE ALL ON SCHEMA \(schema) FROM PUBLIC, \(DatabaseRole.allSQL)",
                "GRANT USAGE ON SCHEMA \(schema) TO \(DatabaseRole.serviceRole.sql)",
            ],
            dropStatements: ["REVOKE USAGE ON SCHEMA \(schema) FROM \(DatabaseRole.serviceRole.sql)"])
    }

    /// `USAGE` on schema `invariants_private` for `authenticated` and `service_role`: the API's
    /// entry points run with the caller's rights and call the helpers there. Each helper's
    /// EXECUTE is granted on its own; anon gets nothing.
    public static var privateSchemaUsage: RepeatableObject {
        let schema = SQLText.identifier(PrivilegedFunction.helperSchema.name)
        let users = [DatabaseRole.authenticated, .serviceRole].map(\.sql).joined(separator: ", ")
        return RepeatableObject(
            kind: .grant, key: "grant usage on schema invariants_private", source: "CoreModule.privateSchemaUsage",
            statements: [
                "REVOKE ALL ON SCHEMA \(schema) FROM PUBLIC, \(DatabaseRole.allSQL)",
                "GRANT USAGE ON SCHEMA \(schema) TO \(users)",
            ],
            dropStatements: ["REVOKE USAGE ON SCHEMA \(schema) FROM \(users)"])
    }
}
