/// Invariant: the database owns a row's "last changed" timestamp.
///
/// - On INSERT the column is set to the server clock (`now()`), whatever the client sent.
/// - On UPDATE the old value is copied into the new row first; if the row is then
///   unchanged (record-image equality `NEW *= OLD`, which works for `json` columns where
///   `IS DISTINCT FROM` fails), the update is a no-op and the value stays; otherwise it
///   becomes `now()`. A client-sent value on UPDATE is therefore always ignored.
///
/// Renders one trigger function per column name (`invariants.touch_<column>()`, shared by
/// every table with that column and no stored generated columns) and one `BEFORE INSERT OR UPDATE … FOR EACH ROW` trigger per
/// table named `zz_invariants_<column>`: BEFORE triggers fire in name order, so it runs
/// after the table's other BEFORE triggers and sees their changes.
///
/// ```swift
/// let objects = try RepeatableObject.merged([
///     UpdatedAt(table: QualifiedName("public", "sessions")).repeatableObjects(),
///     UpdatedAt(table: QualifiedName("public", "messages")).repeatableObjects(),
/// ])
/// ```
/// The function lives in ``Schema/invariants``; create it with `Schema.invariants.createStep()`
/// in a migration. It needs no SECURITY DEFINER: it only edits `NEW`.
public struct UpdatedAt: Hashable, Sendable {
    public var table: QualifiedName
    public var column: String
    /// The table's stored generated columns. In a BEFORE UPDATE trigger they are NULL in
    /// `NEW` (computed later), so the function copies them from `OLD` before comparing;
    /// otherwise every no-op update would bump. A table with generated columns gets its
    /// own function, `invariants.touch_<schema>_<table>_<column>`.
    public var generatedColumns: [String]
    /// When not empty, the trigger fires only for an UPDATE that sets one of these columns
    /// (`BEFORE INSERT OR UPDATE OF …`): the table's other columns are derived (counters kept
    /// by a ``CounterCache``), and changing them alone neither bumps the timestamp nor pays
    /// for the trigger.
    public var updateColumns: [String]

    /// `column` of `table`; `generatedColumns` are the table's stored generated columns,
    /// `updateColumns` the only columns whose update bumps it (empty: all).
    public init(table: QualifiedName, column: String = "updated_at", generatedColumns: [String] = [], updateColumns: [String] = []) {
        self.table = table
        self.column = column
        self.generatedColumns = generatedColumns
        self.updateColumns = updateColumns
    }

    /// For a declared table: takes its stored generated columns from the declaration.
    /// `ignoring`: derived columns whose change alone is not an update of the row.
    public init(_ table: Table, column: String = "updated_at", ignoring: [String] = []) {
        let generated = table.columns.filter { $0.generatedExpression != nil }.map(\.name)
        let watched = ignoring.isEmpty
            ? []
            // The column itself stays watched: a client that writes it is overruled.
            : table.columns.map(\.name).filter { !ignoring.contains($0) && !generated.contains($0) }
        self.init(table: table.qualifiedName, column: column, generatedColumns: generated, updateColumns: watched)
    }

    /// `invariants.touch_<column>`, shared by every table without generated columns;
    /// `invariants.touch_<schema>_<table>_<column>` for a table with them.
    public var functionName: QualifiedName {
        let base = generatedColumns.isEmpty ? column : "\(table.schema)_\(table.name)_\(column)"
        return Schema.invariants(ObjectName.fitted("touch_" + base))
    }

    /// `zz_invariants_<column>`: sorts after ordinary trigger names.
    public var triggerName: String { ObjectName.fitted("zz_invariants_" + column) }

    /// The trigger function.
    public var function: StoredFunction {
        let col = SQLText.identifier(column)
        var generatedCopies = ""
        if !generatedColumns.isEmpty {
            generatedCopies = "\n    -- Stored generated columns are NULL in NEW until after this trigger."
            for name in generatedColumns {
                let g = SQLText.identifier(name)
                generatedCopies += "\n    NEW.\(g) := OLD.\(g);"
            }
        }
        let body = """
            BEGIN
                -- Invariant updated_at on column \(SQLText.commentSafe(column)): the server clock owns it.
                IF TG_OP = 'INSERT' THEN
                    NEW.\(col) := pg_catalog.now();
                    RETURN NEW;
                END IF;
                -- Keep the old value; bump it only when something else changed.
                -- Record-image equality (*=) works for every column type, json included.
                NEW.\(col) := OLD.\(col);\(generatedCopies)
                IF NEW *= OLD THEN
                    RETURN NEW;
                END IF;
                NEW.\(col) := pg_catalog.now();
                RETURN NEW;
            END
            """
        return StoredFunction(functionName, returns: "trigger", searchPath: [], body: body)
    }

    /// The table's `BEFORE INSERT OR UPDATE [OF …] … FOR EACH ROW` trigger.
    public var trigger: Trigger {
        Trigger(triggerName, on: table, .before, [.insert, .update(of: updateColumns)], executing: function)
    }

    /// `CREATE OR REPLACE TRIGGER … BEFORE INSERT OR UPDATE … FOR EACH ROW EXECUTE FUNCTION …`.
    public var triggerSQL: String { trigger.createSQL }

    /// The trigger function (shared key per column name) and this table's trigger.
    public func repeatableObjects() -> [RepeatableObject] {
        let function = function
        let tableKey = ObjectName.keyPart(table.schema) + "." + ObjectName.keyPart(table.name)
        let functionObject = RepeatableObject(
            kind: .triggerFunction,
            key: "function " + function.keySignature,
            source: generatedColumns.isEmpty
                ? "UpdatedAt(column: \(ObjectName.keyPart(column)))"
                : "UpdatedAt(table: \(tableKey), column: \(ObjectName.keyPart(column)))",
            statements: [function.createSQL, function.revokeFromPublicSQL],
            dropStatements: [function.dropSQL])
        let triggerObject = trigger.repeatableObject(
            source: "UpdatedAt(table: \(tableKey), column: \(ObjectName.keyPart(column)))")
        return [functionObject, triggerObject]
    }
}
