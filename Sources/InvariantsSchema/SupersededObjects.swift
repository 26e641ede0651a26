/// An app's foreign key on `columns` referencing `table`, dropped when the declared key replaces it.
public struct SupersededForeignKey: Sendable, Hashable {
    /// The app's key columns, in order.
    public var columns: [String]
    /// The table the app's key references.
    public var references: QualifiedName
    /// The app's key on `columns` → `references`.
    public init(_ columns: [String], references: QualifiedName) {
        self.columns = columns
        self.references = references
    }
}

/// An app's own trigger that a module's repeatable trigger replaces: seed 002's
/// `save_completed_generation_to_history`, which inserted a history card for every completed job.
///
/// Recognised by its definition, not its name (the app's may carry ours, and `CREATE OR REPLACE
/// TRIGGER` would silently take it over and leave its function behind): a trigger on ``table``
/// whose function writes ``writes`` (`INSERT INTO` or `UPDATE` of it in the body), that is not
/// ours (schema `invariants`) and not an extension's. The trigger, then its function when no
/// other trigger uses it, are dropped in the transaction that installs the repeatable set, so
/// no row is handled by both or by neither.
public struct SupersededTrigger: Sendable, Hashable {
    /// The table the app's trigger is on.
    public var table: QualifiedName
    /// The table its function writes.
    public var writes: QualifiedName

    /// The app's trigger on `table` whose function writes `writes`.
    public init(on table: QualifiedName, writes: QualifiedName) {
        self.table = table
        self.writes = writes
    }

    /// A query returning the `DROP TRIGGER` and `DROP FUNCTION` statements (text, in order) of
    /// every such trigger; no rows when there is none.
    public var dropQuery: String {
        let table = SQLText.literal(table.schema + "." + table.name)
        // `INSERT INTO public.generations`, `update "generations"`: schema optional, quotes optional.
        let target = "(\"?\(writes.schema)\"?\\s*\\.\\s*)?\"?\(writes.name)\"?"
        let pattern = SQLText.literal("(insert\\s+into|update)\\s+\(target)([\\s(]|$)")
        return """
            WITH superseded AS (
                SELECT t.tgname, t.tgfoid, n.nspname, p.proname
                FROM pg_catalog.pg_trigger AS t
                JOIN pg_catalog.pg_proc AS p ON p.oid = t.tgfoid
                JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
                WHERE t.tgrelid = pg_catalog.to_regclass(\(table)) AND NOT t.tgisinternal
                  AND n.nspname <> 'invariants'
                  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS d
                                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e')
                  AND p.prosrc ~* \(pattern)
            )
            SELECT statement FROM (
                SELECT 1 AS part, s.tgname::text AS name,
                       pg_catalog.format('DROP TRIGGER %I ON %s', s.tgname, \(SQLText.literal(self.table.sql))) AS statement
                FROM superseded AS s
                UNION ALL
                -- Its function, unless another trigger still uses it.
                SELECT DISTINCT 2, s.proname::text,
                       pg_catalog.format('DROP FUNCTION %I.%I(%s)', s.nspname, s.proname, pg_catalog.pg_get_function_identity_arguments(s.tgfoid))
                FROM superseded AS s
                WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS o
                                  WHERE o.tgfoid = s.tgfoid
                                    AND NOT (o.tgrelid = pg_catalog.to_regclass(\(table))
                                             AND o.tgname IN (SELECT x.tgname FROM superseded AS x)))
            ) AS drops
            ORDER BY part, name
            """
    }
}
