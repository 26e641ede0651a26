extension Table {
    /// The steps that create this table: `CREATE TABLE` with the columns and then the
    /// constraints in declared order, `COMMENT ON` the table and its columns, then one
    /// `CREATE INDEX` per index (a concurrent one in its own non-transactional step).
    public func createSteps() -> [MigrationStep] {
        var elements = columns.map(\.definitionSQL)
        elements += constraints.map { $0.sql(table: name) }
        let body = elements.map { "    " + $0 }.joined(separator: ",\n")
        var steps = [MigrationStep("CREATE TABLE \(qualifiedName.sql) (\n\(body)\n)")]
        steps += commentSteps()
        steps += indexes.map { $0.createStep(on: qualifiedName) }
        return steps
    }

    /// `COMMENT ON TABLE` (if any), then `COMMENT ON COLUMN` for each commented column.
    public func commentSteps() -> [MigrationStep] {
        var steps: [MigrationStep] = []
        if let comment {
            steps.append(MigrationStep("COMMENT ON TABLE \(qualifiedName.sql) IS \(SQLText.literal(comment))"))
        }
        for column in columns {
            if let step = columnCommentStep(column) { steps.append(step) }
        }
        return steps
    }

    func columnCommentStep(_ column: Column) -> MigrationStep? {
        guard let comment = column.comment else { return nil }
        return MigrationStep(
            "COMMENT ON COLUMN \(qualifiedName.sql).\(SQLText.identifier(column.name)) IS \(SQLText.literal(comment))")
    }
}
