extension Table {
    /// Mistakes PostgreSQL would reject or silently alter, each as one readable sentence;
    /// empty when the declaration is consistent. Check it in a test of your catalog.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        let label = SQLText.commentSafe(qualifiedName.description)
        func tooLong(_ text: String, _ what: String) {
            if text.utf8.count > ObjectName.maxBytes {
                errors.append("\(label): \(what) \(SQLText.commentSafe(text)) is longer than 63 bytes")
            }
        }
        tooLong(schema, "schema name")
        tooLong(name, "table name")
        var seenColumns = Set<String>()
        for column in columns {
            tooLong(column.name, "column name")
            if !seenColumns.insert(column.name).inserted {
                errors.append("\(label): column \(SQLText.commentSafe(column.name)) is declared twice")
            }
            if column.generatedExpression != nil && (column.defaultExpression != nil || column.identity != nil) {
                errors.append("\(label): generated column \(SQLText.commentSafe(column.name)) cannot have a default")
            }
        }
        func requireColumns(_ names: [String], _ what: String) {
            for missing in names where !seenColumns.contains(missing) {
                errors.append("\(label): \(what) names unknown column \(SQLText.commentSafe(missing))")
            }
        }
        var seenNames = Set<String>()
        func requireUnique(_ objectName: String) {
            tooLong(objectName, "constraint or index name")
            if !seenNames.insert(objectName).inserted {
                errors.append("\(label): name \(SQLText.commentSafe(objectName)) is used twice; give one a name")
            }
        }
        if constraints.filter({ if case .primaryKey = $0 { true } else { false } }).count > 1 {
            errors.append("\(label): more than one primary key")
        }
        for constraint in constraints {
            requireUnique(constraint.resolvedName(table: name))
            requireColumns(constraint.columns, "constraint \(SQLText.commentSafe(constraint.resolvedName(table: name)))")
            if case .foreignKey(let key) = constraint {
                if key.columns.count != key.referencedColumns.count || key.columns.isEmpty {
                    errors.append("\(label): foreign key column counts differ")
                }
                if !key.onUpdate.columns.isEmpty {
                    errors.append("\(label): ON UPDATE cannot name columns")
                }
                for column in key.onDelete.columns where !key.columns.contains(column) {
                    errors.append("\(label): ON DELETE column \(SQLText.commentSafe(column)) is not in the key")
                }
            }
        }
        for index in indexes {
            requireUnique(index.resolvedName(table: name))
            requireColumns(index.keys.compactMap(\.columnName) + index.include, "index")
        }
        return errors
    }
}
