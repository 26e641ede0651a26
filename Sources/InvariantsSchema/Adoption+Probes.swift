/// A catalog probe: whether an adoption step is done (`EXISTS (SELECT FROM <catalog> WHERE …)`).
/// On one line when it fits; else the `FROM` and each condition on a line of their own, as a DBA
/// writes it, since `invariants plan` prints the probe and `adopt.sql` holds it.
struct CatalogProbe {
    /// The catalog and its alias: `pg_catalog.pg_constraint AS k`.
    var from: String
    /// The conditions, joined by `AND`. A condition's own continuation lines are indented
    /// relative to where it starts (see ``AdoptionBuilder/constraintColumns``).
    var conditions: [String]
    /// `NOT EXISTS`.
    var negated = false

    /// `[NOT] EXISTS (…)`; continuation lines indented by `indent` (where the expression starts
    /// its line), `head` being what precedes it on its first line (`SELECT `, `OR `).
    func expression(head: String = "SELECT ", indent: String = "") -> String {
        let keyword = negated ? "NOT EXISTS" : "EXISTS"
        let line = "\(keyword) (SELECT FROM \(from) WHERE \(conditions.joined(separator: " AND ")))"
        if !line.contains("\n"), SQLLines.fits(indent + head + line) { return line }
        let conditionIndent = indent + "      "
        let wheres = conditions.enumerated().map { offset, condition in
            indent + (offset == 0 ? "    WHERE " : "      AND ") + AdoptionBuilder.placed(condition, at: conditionIndent)
        }
        return "\(keyword) (\n\(indent)    SELECT FROM \(from)\n" + wheres.joined(separator: "\n") + "\n\(indent))"
    }

    /// `SELECT [NOT] EXISTS (…)`: a step's `done` query.
    var query: String { "SELECT " + expression() }

    /// `SELECT <first> <joiner> <second>` (`OR`, `AND NOT`): on one line when it
    /// fits, else the second probe on a line of its own.
    static func either(_ first: CatalogProbe, _ joiner: String, _ second: CatalogProbe) -> String {
        let line = "SELECT \(first.expression()) \(joiner) \(second.expression(head: "SELECT x \(joiner) "))"
        if !line.contains("\n"), SQLLines.fits(line) { return line }
        return "SELECT \(first.expression())\n    \(joiner) \(second.expression(head: joiner + " ", indent: "    "))"
    }
}

extension AdoptionBuilder {
    static func name(_ table: QualifiedName) -> String { ObjectName.keyPart(table.schema) + "." + ObjectName.keyPart(table.name) }
    static func regclass(_ table: QualifiedName) -> String { "pg_catalog.to_regclass(\(SQLText.literal(name(table))))" }

    /// A constraint named `constraint` on `table`, validated if asked, and on exactly `columns`
    /// if given (the app's constraint may carry the same name). With `foreignKey`, only a key of
    /// that definition counts (referenced table and columns, actions): the app's may have our
    /// name and the same columns but another `ON DELETE`.
    static func constraintProbe(_ table: QualifiedName, _ constraint: String, validated: Bool = false,
                                columns: [String]? = nil, foreignKey: ForeignKey? = nil) -> CatalogProbe {
        var conditions = ["k.conrelid = \(regclass(table))", "k.conname = \(SQLText.literal(constraint))"]
        if validated { conditions.append("k.convalidated") }
        if let columns { conditions.append("\(constraintColumns) = \(textArray(columns))") }
        if let key = foreignKey {
            conditions += ["k.contype = 'f'", "k.confrelid = \(regclass(key.referencedTable))",
                           "\(referencedColumns) = \(textArray(key.referencedColumns))",
                           "k.confdeltype = '\(key.onDelete.catalogCode)'", "k.confupdtype = '\(key.onUpdate.catalogCode)'"]
        }
        return CatalogProbe(from: "pg_catalog.pg_constraint AS k", conditions: conditions)
    }

    /// `SELECT EXISTS (…)` of ``constraintProbe(_:_:validated:columns:foreignKey:)``.
    static func constraintExists(_ table: QualifiedName, _ constraint: String, validated: Bool = false,
                                 columns: [String]? = nil, foreignKey: ForeignKey? = nil) -> String {
        constraintProbe(table, constraint, validated: validated, columns: columns, foreignKey: foreignKey).query
    }

    /// Whether `table` has every one of `columns`.
    static func columnsExist(_ table: QualifiedName, _ columns: [String]) -> String {
        let names = columns.map(SQLText.literal).joined(separator: ", ")
        let line = "SELECT pg_catalog.count(*) = \(columns.count) FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = \(regclass(table))"
            + " AND a.attname IN (\(names)) AND a.attnum > 0 AND NOT a.attisdropped"
        if SQLLines.fits(line) { return line }
        return """
            SELECT pg_catalog.count(*) = \(columns.count)
            FROM pg_catalog.pg_attribute AS a
            WHERE a.attrelid = \(regclass(table))
              AND a.attname IN (\(names))
              AND a.attnum > 0 AND NOT a.attisdropped
            """
    }

    /// A column of `table` named `column`, with further `conditions` on alias `a` of pg_attribute.
    static func attributeProbe(_ table: QualifiedName, _ column: String, _ conditions: [String],
                               negated: Bool = false) -> CatalogProbe {
        CatalogProbe(from: "pg_catalog.pg_attribute AS a",
                     conditions: ["a.attrelid = \(regclass(table))", "a.attname = \(SQLText.literal(column))"] + conditions,
                     negated: negated)
    }

    /// A valid index named `index`.
    static func validIndexProbe(_ index: QualifiedName) -> CatalogProbe {
        CatalogProbe(from: "pg_catalog.pg_index AS i", conditions: ["i.indexrelid = \(regclass(index))", "i.indisvalid"])
    }

    static func validIndexExists(_ index: QualifiedName) -> String { validIndexProbe(index).query }

    /// The constraint's column names in key order, on alias `k` of pg_constraint; continuation
    /// lines are indented relative to where it starts.
    static let constraintColumns = keyColumns("k.conkey", relation: "k.conrelid")

    /// A foreign key's referenced column names in key order, on alias `k` of pg_constraint.
    static let referencedColumns = keyColumns("k.confkey", relation: "k.confrelid")

    private static func keyColumns(_ key: String, relation: String) -> String {
        """
        ARRAY(
            SELECT a.attname::text
            FROM pg_catalog.unnest(\(key)) WITH ORDINALITY AS u (attnum, position)
            JOIN pg_catalog.pg_attribute AS a ON a.attrelid = \(relation) AND a.attnum = u.attnum
            ORDER BY u.position
        )
        """
    }

    /// `text` with its continuation lines indented by `indent` (where it is placed in a query).
    static func placed(_ text: String, at indent: String) -> String {
        text.replacingOccurrences(of: "\n", with: "\n" + indent)
    }

    static func textArray(_ values: [String]) -> String {
        "ARRAY[" + values.map(SQLText.literal).joined(separator: ", ") + "]::text[]"
    }
}
