/// A column the app made with an older type that PostgreSQL changes to the declared one in place,
/// without rewriting the table or its indexes (same `relfilenode`):
/// - `varchar(n)` → `text`: binary-compatible (seed 003's `profiles.display_name varchar(100)`;
///   the declaration keeps the limit as a named check);
/// - `timestamp` → `timestamptz`: no rewrite when the session's `TimeZone` is UTC, which the
///   step sets for its own transaction. The app's stored wall-clock times are therefore read as
///   UTC — Supabase's server time zone, and `now()`'s on a UTC server (seed 003's
///   `created_at TIMESTAMP DEFAULT NOW()`). An app whose server ran in another zone corrects
///   the values after adoption (`UPDATE … SET created_at = (created_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/…'`).
///
/// Any other pair would rewrite the table under ACCESS EXCLUSIVE and is not accepted.
public struct ColumnConversion: Sendable, Hashable {
    /// The column, by name.
    public var column: String
    /// The type the app's table may have instead of the declared one.
    public var from: ColumnType

    /// `column` may be of type `from`; adoption changes it to the declared type in place.
    public init(_ column: String, from: ColumnType) {
        self.column = column
        self.from = from
    }

    /// Whether `from` → `type` is one of the in-place changes (see the type's documentation).
    public func isInPlace(to type: ColumnType) -> Bool {
        switch (from, type) {
        case (.varchar, .text), (.timestamp, .timestamptz): true
        default: false
        }
    }

    /// Statements run before the `ALTER` in its transaction.
    func settings(to type: ColumnType) -> [String] {
        if case .timestamp = from, type == .timestamptz { ["SET LOCAL TimeZone = 'UTC'"] } else { [] }
    }
}

extension AdoptionBuilder {
    /// Each declared conversion whose column is not of the declared type yet, then each column
    /// to make NOT NULL: a validated `CHECK (c IS NOT NULL)` first (a scan under SHARE UPDATE
    /// EXCLUSIVE, writes go on), which spares `SET NOT NULL` its own scan under ACCESS EXCLUSIVE;
    /// the check is dropped in that same transaction.
    func columnChangeSteps(_ adopted: AdoptedTable) -> [Adoption.Step] {
        let table = adopted.table
        var steps: [Adoption.Step] = []
        for conversion in adopted.converting {
            guard let column = table.column(conversion.column) else {
                preconditionFailure("\(table.qualifiedName): converts \(conversion.column), which it does not declare")
            }
            precondition(conversion.isInPlace(to: column.type),
                         "\(table.qualifiedName).\(column.name): \(conversion.from.sql) → \(column.type.sql) would rewrite the table")
            let name = Self.name(table.qualifiedName) + "." + column.name
            let note = conversion.settings(to: column.type).isEmpty ? "binary-compatible" : "TimeZone UTC: the values are read as UTC"
            steps.append(.init(
                .before, .transaction, "change \(name) from \(conversion.from.sql) to \(column.type.sql) in place (\(note); no rewrite)",
                done: Self.attributeProbe(table.qualifiedName, column.name, [
                    "a.attnum > 0", "NOT a.attisdropped",
                    "pg_catalog.format_type(a.atttypid, a.atttypmod) <> \(SQLText.literal(column.type.sql))",
                ], negated: true).query,
                statements: conversion.settings(to: column.type)
                    + ["ALTER TABLE \(table.qualifiedName.sql)\n    ALTER COLUMN \(SQLText.identifier(column.name)) TYPE \(column.type.sql)"]))
        }
        for columnName in adopted.settingNotNull {
            let name = Self.name(table.qualifiedName) + "." + columnName
            let check = Self.notNullCheckName(table, columnName)
            let column = SQLText.identifier(columnName)
            let notNull = Self.attributeProbe(table.qualifiedName, columnName, ["a.attnotnull"])
            steps += [
                .init(.before, .transaction, "add CHECK \(check) (\(columnName) IS NOT NULL) NOT VALID",
                      done: CatalogProbe.either(notNull, "OR", Self.constraintProbe(table.qualifiedName, check)),
                      statements: ["ALTER TABLE \(table.qualifiedName.sql)\n    ADD CONSTRAINT \(SQLText.identifier(check)) CHECK (\(column) IS NOT NULL) NOT VALID"]),
                .init(.before, .transaction, "validate \(check) (SHARE UPDATE EXCLUSIVE: writes go on)",
                      done: CatalogProbe.either(notNull, "OR", Self.constraintProbe(table.qualifiedName, check, validated: true)),
                      statements: table.validateConstraintSteps(check).map(\.sql)),
                .init(.before, .transaction, "set \(name) NOT NULL (the validated check spares the scan), then drop the check",
                      done: CatalogProbe.either(notNull, "AND NOT", Self.constraintProbe(table.qualifiedName, check)),
                      statements: ["ALTER TABLE \(table.qualifiedName.sql)\n    ALTER COLUMN \(column) SET NOT NULL",
                                   "ALTER TABLE \(table.qualifiedName.sql)\n    DROP CONSTRAINT IF EXISTS \(SQLText.identifier(check))"]),
            ]
        }
        return steps
    }

    /// The temporary check behind `SET NOT NULL` (not PostgreSQL 18's `<table>_<column>_not_null`).
    static func notNullCheckName(_ table: Table, _ column: String) -> String {
        ObjectName.derived(table: table.name, columns: [column], suffix: "adopt_not_null")
    }

    /// Rows of a column to make NOT NULL that are NULL: counted before anything changes.
    func notNullViolations(_ adopted: AdoptedTable) -> [Adoption.Violations] {
        adopted.settingNotNull.map { column in
            Adoption.Violations(
                table: adopted.table.qualifiedName, columns: [column], label: "\(column) NOT NULL (the rows hold NULL)",
                query: "SELECT pg_catalog.count(*) FROM \(adopted.table.qualifiedName.sql) WHERE \(SQLText.identifier(column)) IS NULL")
        }
    }

    /// A mismatch per view that reads a column to convert: PostgreSQL refuses `ALTER COLUMN …
    /// TYPE` on it ("cannot alter type of a column used by a view or rule").
    func conversionBlockers() -> String? {
        let rows = tables.flatMap { adopted in
            adopted.converting.compactMap { conversion -> String? in
                guard let column = adopted.table.column(conversion.column) else { return nil }
                return "(\(SQLText.literal(Self.name(adopted.table.qualifiedName))), \(SQLText.literal(column.name)), "
                    + "\(SQLText.literal(column.type.sql)))"
            }
        }
        guard !rows.isEmpty else { return nil }
        return """
            -- Columns to convert in place: a view reading one blocks the change.
            SELECT DISTINCT c.table_name || '.' || c.column_name || ': read by view '
                   || pg_catalog.quote_ident(s.nspname) || '.' || pg_catalog.quote_ident(v.relname)
                   || ', which blocks changing its type to ' || c.declared_type || ' (drop the view, adopt, create it again)'
            FROM (VALUES
                    \(rows.joined(separator: ",\n        "))
                 ) AS c (table_name, column_name, declared_type)
            JOIN pg_catalog.pg_attribute AS a
              ON a.attrelid = pg_catalog.to_regclass(c.table_name) AND a.attname = c.column_name
             AND pg_catalog.format_type(a.atttypid, a.atttypmod) <> c.declared_type
            JOIN pg_catalog.pg_depend AS d
              ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum
            JOIN pg_catalog.pg_rewrite AS r ON r.oid = d.objid
            JOIN pg_catalog.pg_class AS v ON v.oid = r.ev_class AND v.oid <> a.attrelid
            JOIN pg_catalog.pg_namespace AS s ON s.oid = v.relnamespace
            """
    }
}
