public import InvariantsSchema

/// The project's own schema `invariants`: the table of error codes the generated SQL
/// raises and the client maps (``ProjectErrorCode``), readable by a DBA in the database.
public enum CoreModule {
    static let errorCodes = QualifiedName("invariants", "error_codes")

    public static var migration: Migration {
        Migration(
            version: 1, name: "invariants_core", source: "InvariantsCatalog.CoreModule.migration",
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

    public static var repeatables: [RepeatableObject] { CoreCallAs.repeatables }
}
