/// Steps for later, versioned migrations of an existing table. Each returns complete
/// statements for a ``Migration``; none of them touch data.
extension Table {
    /// `ALTER TABLE … ADD COLUMN …`, plus its `COMMENT ON COLUMN` when it has a comment.
    public func addColumnSteps(_ column: Column) -> [MigrationStep] {
        [alter("ADD COLUMN " + column.definitionSQL)] + [columnCommentStep(column)].compactMap { $0 }
    }

    /// `ALTER TABLE … DROP COLUMN "name"`.
    public func dropColumnSteps(_ columnName: String) -> [MigrationStep] {
        [alter("DROP COLUMN " + SQLText.identifier(columnName))]
    }

    /// `ALTER TABLE … ALTER COLUMN "name" TYPE …`. Use it only where PostgreSQL needs no
    /// rewrite (`varchar(n)` → `text`, a wider `varchar`): other changes rewrite the table
    /// under ACCESS EXCLUSIVE.
    public func changeColumnTypeSteps(_ columnName: String, to type: ColumnType) -> [MigrationStep] {
        [alter("ALTER COLUMN " + SQLText.identifier(columnName) + " TYPE " + type.sql)]
    }

    /// ``changeColumnTypeSteps(_:to:)`` for a column that views read. PostgreSQL refuses
    /// `ALTER COLUMN … TYPE` on such a column (0A000, "cannot alter type of a column used by a
    /// view or rule"), so `views` are dropped first (in reverse order: a view over another goes
    /// first) and created again with their grants after (in order), all in the migration's one
    /// transaction: readers wait on the lock and never see a view missing. The views are the
    /// repeatable set's, rendered the same, so the ledger's checksum for each stays current; on a
    /// database without them yet (a fresh install) they are created here and the repeatable set
    /// replaces them with the same text.
    public func changeColumnTypeSteps(_ columnName: String, to type: ColumnType, recreating views: [View]) -> [MigrationStep] {
        views.reversed().map { MigrationStep($0.dropSQL) } + changeColumnTypeSteps(columnName, to: type)
            + views.flatMap { view in ([view.createSQL] + view.grantStatements).map { MigrationStep($0) } }
    }

    /// `ALTER TABLE … ADD CONSTRAINT …`. With `notValid` (foreign keys and checks only) existing
    /// rows are not checked now; validate them in a later migration with
    /// ``validateConstraintSteps(_:)``, which takes a weaker lock.
    public func addConstraintSteps(_ constraint: TableConstraint, notValid: Bool = false) -> [MigrationStep] {
        let suffix = notValid && constraint.canBeNotValid ? " NOT VALID" : ""
        return [alter("ADD " + constraint.sql(table: name) + suffix)]
    }

    /// `ALTER TABLE … VALIDATE CONSTRAINT "name"`.
    public func validateConstraintSteps(_ constraintName: String) -> [MigrationStep] {
        [alter("VALIDATE CONSTRAINT " + SQLText.identifier(constraintName))]
    }

    /// `ALTER TABLE … DROP CONSTRAINT "name"`.
    public func dropConstraintSteps(_ constraintName: String) -> [MigrationStep] {
        [alter("DROP CONSTRAINT " + SQLText.identifier(constraintName))]
    }

    /// `CREATE INDEX …` on this table (outside a transaction when the index is concurrent).
    public func createIndexSteps(_ index: Index) -> [MigrationStep] {
        [index.createStep(on: qualifiedName)]
    }

    /// `DROP INDEX [CONCURRENTLY] IF EXISTS "schema"."name"`.
    public func dropIndexSteps(_ index: Index) -> [MigrationStep] {
        let target = QualifiedName(schema, index.resolvedName(table: name)).sql
        return index.concurrently
            ? [.outsideTransaction("DROP INDEX CONCURRENTLY IF EXISTS " + target)]
            : [MigrationStep("DROP INDEX IF EXISTS " + target)]
    }

    /// `DROP TABLE "schema"."name"` (no CASCADE: dependent objects make it fail loudly).
    public func dropTableSteps() -> [MigrationStep] {
        [MigrationStep("DROP TABLE " + qualifiedName.sql)]
    }

    private func alter(_ clause: String) -> MigrationStep {
        MigrationStep("ALTER TABLE \(qualifiedName.sql)\n    \(clause)")
    }
}
