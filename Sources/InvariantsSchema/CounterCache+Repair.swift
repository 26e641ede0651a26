/// Companions of a ``CounterCache``: the audit table (one for every counter, created by a
/// migration), the pending-delta table of the ``CounterCache/Strategy/deltas`` strategy, the
/// drift view, the set-based repair and the fold.
extension CounterCache {
    /// `invariants.counter_repairs`: one row per counter column a repair changed.
    public static let auditTable = Table(
        "invariants", "counter_repairs",
        comment: "Every counter value a repair changed: which parent, which column, old and new value, when, by whom."
    ) {
        Column("id", .bigint, nullable: false, identity: .always)
        Column("counter", .text, nullable: false, comment: "The CounterCache name.")
        Column("parent_table", .text, nullable: false)
        Column("parent_key", .text, nullable: false)
        Column("scope", .text, comment: "The parent's scope (tenant) value, when the counter has one.")
        Column("column_name", .text, nullable: false)
        Column("old_value", .numeric, comment: "The stored value (plus pending deltas for a delta counter).")
        Column("new_value", .numeric, nullable: false)
        Column("repaired_at", .timestamptz, nullable: false, default: "now()")
        Column("repaired_by", .text, nullable: false, comment: "auth.uid() of the caller, else the session user.")
        PrimaryKey("id")
        Index("counter", "repaired_at")
    }

    /// The audit table's security: RLS on, readable by the backend only.
    public static var auditSecurity: RepeatableObject {
        let table = auditTable.qualifiedName.sql
        return RepeatableObject(
            kind: .tableSecurity, key: "table security invariants.counter_repairs", source: "CounterCache.auditTable",
            statements: [
                "ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY",
                "REVOKE ALL ON TABLE \(table) FROM PUBLIC, \(DatabaseRole.allSQL)",
                "GRANT SELECT ON TABLE \(table) TO \(DatabaseRole.serviceRole.sql)",
            ] + auditTable.identitySequences.flatMap(RowLevelSecurity.sequenceGrants),
            dropStatements: [])
    }

    /// `invariants.counter_deltas_<name>`: pending changes of a delta counter. Append-only
    /// for writers (no key, no lock on anything), emptied by the fold.
    public var deltaTable: Table {
        let counters = counters
        let keyType = parentKeyType
        return Table(
            "invariants", ObjectName.fitted("counter_deltas_" + name),
            comment: "Pending deltas of counter \(name), folded into \(parent.name) by \(foldFunctionName.name)()."
        ) {
            Column("parent_key", keyType, nullable: false)
            for (index, counter) in counters.enumerated() {
                Column("d\(index)", counter.summing == nil ? .bigint : .numeric, nullable: false,
                       comment: "Pending change of \(parent.name).\(counter.column).")
            }
            Index("parent_key")
        }
    }

    /// Steps a migration needs for this counter: the delta table of a delta counter.
    public func migrationSteps() -> [MigrationStep] {
        strategy == .deltas ? deltaTable.createSteps() : []
    }

    public var driftViewName: QualifiedName { Schema.invariants(ObjectName.fitted(name + "_drift")) }
    public var repairFunctionName: QualifiedName { Schema.invariants(ObjectName.fitted("repair_" + name)) }
    public var foldFunctionName: QualifiedName { Schema.invariants(ObjectName.fitted("fold_" + name)) }

    /// `(alias for the child key, WHERE for linked children)` used to count per parent: for a
    /// polymorphic link the id column itself, so an index on (type, id) serves the count.
    var linkedChildren: (key: String, condition: String) {
        switch link {
        case .foreignKey(let column):
            return ("r.\(SQLText.identifier(column))", "r.\(SQLText.identifier(column)) IS NOT NULL")
        case .polymorphic(let typeColumn, let type, let idColumn):
            return ("r.\(SQLText.identifier(idColumn))", "r.\(SQLText.identifier(typeColumn)) = \(SQLText.literal(type))")
        }
    }

    /// The name a counter's value has in the counted and pending subqueries (the counter's
    /// column name when it is a plain identifier).
    func valueColumn(_ index: Int) -> String { valueName(counters[index].column, index: index) }

    /// The children counted per parent (at column 0), one column per counter named after it:
    /// `SELECT key, <counter>… FROM child WHERE <linked> [AND extra] GROUP BY key`.
    func actualCounts(extraCondition: String? = nil) -> String {
        let (key, condition) = linkedChildren
        let aggregates = counters.enumerated().map { index, counter -> String in
            // count(*) is never NULL; a sum over no row is.
            let value = counter.summing.map { "sum(r.\(SQLText.identifier($0)))" } ?? "count(*)"
            let filtered = counter.filter.map { "\(value) FILTER (WHERE \(filterPredicate($0, "r")))" } ?? value
            return (counter.summing == nil ? filtered : "COALESCE(\(filtered), 0)") + " AS \(valueColumn(index))"
        }
        let conditions = [condition] + (extraCondition.map { [$0] } ?? [])
        return """
            SELECT \(([key + " AS key"] + aggregates).joined(separator: ",\n       "))
            FROM \(child.sql) AS r
            WHERE \(conditions.joined(separator: "\n  AND "))
            GROUP BY \(key)
            """
    }

    /// The pending deltas summed per parent (at column 0), one column per counter named after it.
    func pendingDeltas(extraCondition: String? = nil) -> String {
        // sum(bigint) is numeric: cast back, so a count stays an integer for readers.
        let sums = counters.indices.map { "sum(d.d\($0))::\(deltaType(counters[$0])) AS \(valueColumn($0))" }
        let condition = extraCondition.map { "\nWHERE \($0)" } ?? ""
        return """
            SELECT \((["d.parent_key AS key"] + sums).joined(separator: ",\n       "))
            FROM \(deltaTable.qualifiedName.sql) AS d\(condition)
            GROUP BY d.parent_key
            """
    }

    /// A parent's stored value as readers should see it: the column, plus pending deltas.
    func storedValue(_ index: Int, parentAlias: String, pendingAlias: String) -> String {
        let column = "\(parentAlias).\(SQLText.identifier(counters[index].column))"
        return strategy == .deltas ? "\(column) + COALESCE(\(pendingAlias).\(valueColumn(index)), 0)" : column
    }

    /// The exact values for one parent (`key` is a SQL expression): one row, columns named
    /// like the counters. For a delta counter it adds the pending deltas.
    public func exactValuesSQL(key: String) -> String {
        let values = counters.indices.map {
            "\(storedValue($0, parentAlias: "p", pendingAlias: "pending")) AS \(SQLText.identifier(counters[$0].column))"
        }.joined(separator: ", ")
        var sql = "SELECT \(values) FROM \(parent.sql) AS p"
        if strategy == .deltas {
            let pending = pendingDeltas(extraCondition: "d.parent_key = \(key)")
            sql += " LEFT JOIN (\(pending)) AS pending ON pending.key = p.\(parentKeySQL)"
        }
        return sql + " WHERE p.\(parentKeySQL) = \(key)"
    }

    /// `invariants.<name>_drift`: one row per parent and counter whose stored value (plus
    /// pending deltas) differs from the children's actual count. Empty when all is well.
    public var driftViewSQL: String {
        let scopeColumn = scope.map { "p.\(SQLText.identifier($0))" } ?? "NULL::text"
        let values = counters.indices.map { index in
            let stored = storedValue(index, parentAlias: "p", pendingAlias: "pending")
            let counted = "COALESCE(counted.\(valueColumn(index)), 0)"
            let separator = strategy == .deltas ? ",\n     " : ", "
            return "(\(SQLText.literal(counters[index].column))\(separator)(\(stored))::numeric\(separator)\(counted)::numeric)"
        }.joined(separator: ",\n    ")
        let pendingJoin = strategy == .deltas ? """

            LEFT JOIN (
                \(pendingDeltas().indentingContinuation(by: 4))
            ) AS pending ON pending.key = p.\(parentKeySQL)
            """ : ""
        return """
            CREATE OR REPLACE VIEW \(driftViewName.sql)
                WITH (security_invoker = true) AS
            SELECT p.\(parentKeySQL) AS parent_key, \(scopeColumn) AS scope, c.counter, c.stored, c.actual
            FROM \(parent.sql) AS p
            LEFT JOIN (
                \(actualCounts().indentingContinuation(by: 4))
            ) AS counted ON counted.key = p.\(parentKeySQL)\(pendingJoin)
            CROSS JOIN LATERAL (VALUES
                \(values)
            ) AS c (counter, stored, actual)
            WHERE c.stored IS DISTINCT FROM c.actual
            """
    }

    /// The set-based repair: `invariants.repair_<name>(parent, scope, force, after, batch)`.
    ///
    /// Correct while writers keep writing: it first locks the batch's parents in key order
    /// (`FOR NO KEY UPDATE`), then counts in a *new* statement, whose snapshot includes every
    /// writer that reached those parents first; writers that come later wait for the lock and
    /// apply their own delta on top of the repaired value. A count-and-update in one statement
    /// would lose a concurrent insert. Needs READ COMMITTED (a REPEATABLE READ snapshot would
    /// not see those writers). Returns what it checked and fixed and the last key of the batch,
    /// for the next call's `after`.
    public var repairFunction: StoredFunction {
        let table = parent.sql
        let key = parentKeySQL
        let scopeType = scopeType ?? .text
        let scopeCondition = scope.map { "(p_scope IS NULL OR p.\(SQLText.identifier($0)) = p_scope)" } ?? "p_scope IS NULL"
        let scopeValue = scope == nil ? "NULL::text" : "t.scope_value::text"
        let scopeSelect = scope.map { "p.\(SQLText.identifier($0))" } ?? "NULL"
        let deltas = strategy == .deltas
        func old(_ i: Int) -> String { valueColumn(i) + "_old" }
        func new(_ i: Int) -> String { valueColumn(i) + "_new" }
        func pending(_ i: Int) -> String { valueColumn(i) + "_pending" }
        // What the column must hold: the children counted, less the deltas still to fold.
        let targets = counters.indices.map { i in
            let counted = "COALESCE(counted.\(valueColumn(i)), 0)"
                + (deltas ? " - COALESCE(pending.\(valueColumn(i)), 0)" : "")
            return "p.\(SQLText.identifier(counters[i].column)) AS \(old(i)),\n       \(counted) AS \(new(i))"
        }.joined(separator: ",\n       ")
        let differs = counters.indices.map { "t.\(old($0)) IS DISTINCT FROM t.\(new($0))" }.joined(separator: "\nOR ")
        let sets = counters.indices.map { "\(SQLText.identifier(counters[$0].column)) = t.\(new($0))" }
            .joined(separator: ",\n    ")
        let auditValues = counters.indices.map { i in
            // Audited as readers see them: with the pending deltas.
            let withPending = deltas ? " + COALESCE(t.\(pending(i)), 0)" : ""
            // With pending deltas a value per line: the line stays under 120 columns.
            let separator = deltas ? ",\n     " : ", "
            return "(\(SQLText.literal(counters[i].column))\(separator)(t.\(old(i))\(withPending))::numeric"
                + "\(separator)(t.\(new(i))\(withPending))::numeric)"
        }.joined(separator: ",\n    ")
        let pendingSelect = deltas
            ? ",\n       " + counters.indices.map { "pending.\(valueColumn($0)) AS \(pending($0))" }.joined(separator: ", ") : ""
        let pendingJoin = deltas ? """

            LEFT JOIN (
                \(pendingDeltas(extraCondition: "d.parent_key = ANY (batch)").indentingContinuation(by: 4))
            ) AS pending ON pending.key = p.\(key)
            """ : ""
        let serialize = deltas
            ? "\n    -- One fold or repair at a time for a delta counter.\n    PERFORM pg_catalog.pg_advisory_xact_lock(\(foldLockKey));" : ""
        // A repair of every parent (no filter, no batch) counts every child without asking the
        // batch array of each: it holds every parent anyway (issue 17: 0.15 s of 1,000,000 rows).
        let counted = actualCounts(extraCondition: "(every_parent OR \(linkedChildren.key) = ANY (batch))")
        let target = """
            SELECT p.\(key) AS key, \(scopeSelect) AS scope_value,
                   \(targets)\(pendingSelect)
            FROM \(table) AS p
            LEFT JOIN (
                \(counted.indentingContinuation(by: 4))
            ) AS counted ON counted.key = p.\(key)\(pendingJoin)
            WHERE p.\(key) = ANY (batch)
            """
        let auditColumns = "counter, parent_table, parent_key, scope, column_name, old_value, new_value, repaired_by"
        let body = """
            DECLARE
                batch \(keyType)[];
                -- Who repairs, once: not per audited value (auth.uid() reads the claims each call).
                repairer text := COALESCE(auth.uid()::text, SESSION_USER::text);
                every_parent boolean := p_parent IS NULL AND p_scope IS NULL AND p_after IS NULL AND p_batch IS NULL;
            BEGIN
                -- Repair of counter cache \(SQLText.commentSafe(name)): \(SQLText.commentSafe(table)) from \(SQLText.commentSafe(child.sql)).
                IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
                    RAISE EXCEPTION 'counter repair needs READ COMMITTED, not %',
                        pg_catalog.current_setting('transaction_isolation')
                        USING ERRCODE = \(ProjectErrorCode.invalidInput.sqlLiteral);
                END IF;
                IF p_batch IS NOT NULL AND p_batch < 1 THEN
                    RAISE EXCEPTION 'batch size must be positive, got %', p_batch
                        USING ERRCODE = \(ProjectErrorCode.invalidInput.sqlLiteral), COLUMN = 'batch';
                END IF;\(serialize)

                -- 1. Lock the batch's parents in key order.
                SELECT pg_catalog.array_agg(s.key ORDER BY s.key) INTO batch
                FROM (
                    SELECT p.\(key) AS key FROM \(table) AS p
                    WHERE (p_parent IS NULL OR p.\(key) = p_parent)
                      AND \(scopeCondition)
                      AND (p_after IS NULL OR p.\(key) > p_after)
                    ORDER BY p.\(key)
                    LIMIT p_batch
                    FOR NO KEY UPDATE
                ) AS s;
                IF batch IS NULL THEN
                    RETURN QUERY SELECT 0::bigint, 0::bigint, NULL::\(keyType);
                    RETURN;
                END IF;

                -- 2. A new statement (a new snapshot): count, rewrite what differs (or all, when
                --    forced), audit each changed value.
                RETURN QUERY
                WITH target AS (
                    \(target.indentingContinuation(by: 8))
                ), rewritten AS (
                    UPDATE \(table) AS p SET
                        \(sets.indentingContinuation(by: 8))
                    FROM target AS t
                    WHERE p.\(key) = t.key
                      AND (p_force
                           OR \(differs.indentingContinuation(by: 15)))
                    RETURNING p.\(key)
                ), audited AS (
                    INSERT INTO invariants.counter_repairs (
                        \(auditColumns))
                    SELECT \(SQLText.literal(name)), \(SQLText.literal(parent.sql)), t.key::text, \(scopeValue),
                           v.column_name, v.old_value, v.new_value, repairer
                    FROM target AS t
                    CROSS JOIN LATERAL (VALUES
                        \(auditValues.indentingContinuation(by: 8))
                    ) AS v (column_name, old_value, new_value)
                    WHERE v.old_value IS DISTINCT FROM v.new_value
                    RETURNING 1
                )
                SELECT pg_catalog.cardinality(batch)::bigint,
                       (SELECT pg_catalog.count(*) FROM target AS t
                        WHERE \(differs.indentingContinuation(by: 15))),
                       batch[pg_catalog.cardinality(batch)]
                FROM (SELECT pg_catalog.count(*) FROM rewritten) AS r, (SELECT pg_catalog.count(*) FROM audited) AS x;
            END
            """
        return StoredFunction(
            repairFunctionName,
            arguments: [
                .init("p_parent", parentKeyType), .init("p_scope", scopeType), .init("p_force", .boolean),
                .init("p_after", parentKeyType), .init("p_batch", .integer),
            ],
            returns: "TABLE (checked bigint, fixed bigint, last_key \(keyType))",
            securityDefiner: true, searchPath: [], body: body)
    }

    /// The advisory lock key shared by the fold and the repair of a delta counter.
    var foldLockKey: String { "pg_catalog.hashtext(\(SQLText.literal("invariants.counter." + name)))" }

    /// `invariants.fold_<name>()`: moves pending deltas into the parent columns and returns
    /// how many delta rows it folded. One fold at a time (others return 0 at once); parents
    /// locked in key order. Nothing calls it by itself: schedule it (pg_cron every minute, as service_role). The repair counts pending deltas, so it needs no fold first.
    public var foldFunction: StoredFunction {
        let table = parent.sql
        let key = parentKeySQL
        let deltas = deltaTable.qualifiedName.sql
        let sums = counters.indices.map { "pg_catalog.sum(m.d\($0))::\(deltaType(counters[$0])) AS \(valueColumn($0))" }
            .joined(separator: ",\n               ")
        let sets = counters.indices.map {
            "\(SQLText.identifier(counters[$0].column)) = p.\(SQLText.identifier(counters[$0].column)) + g.\(valueColumn($0))"
        }.joined(separator: ",\n            ")
        let body = """
            DECLARE
                parents \(keyType)[];
                folded bigint;
            BEGIN
                -- Fold of counter cache \(SQLText.commentSafe(name)): \(SQLText.commentSafe(deltas)) → \(SQLText.commentSafe(table)).
                IF NOT pg_catalog.pg_try_advisory_xact_lock(\(foldLockKey)) THEN
                    RETURN 0;  -- another fold or repair is running
                END IF;
                SELECT pg_catalog.array_agg(s.key ORDER BY s.key) INTO parents
                FROM (
                    SELECT p.\(key) AS key FROM \(table) AS p
                    WHERE p.\(key) IN (SELECT d.parent_key FROM \(deltas) AS d)
                    ORDER BY p.\(key)
                    FOR NO KEY UPDATE
                ) AS s;
                -- Deltas of parents that no longer exist (deleted with their children) go too.
                WITH moved AS (
                    DELETE FROM \(deltas) AS d
                    WHERE d.parent_key = ANY (parents)
                       OR NOT EXISTS (SELECT 1 FROM \(table) AS p WHERE p.\(key) = d.parent_key)
                    RETURNING d.*
                ), grouped AS (
                    SELECT m.parent_key,
                           \(sums),
                           pg_catalog.count(*) AS folded_rows
                    FROM moved AS m
                    GROUP BY m.parent_key
                ), applied AS (
                    UPDATE \(table) AS p SET
                        \(sets)
                    FROM grouped AS g
                    WHERE p.\(key) = g.parent_key AND p.\(key) = ANY (parents)
                    RETURNING 1
                )
                SELECT COALESCE(pg_catalog.sum(g.folded_rows), 0)::bigint INTO folded
                FROM grouped AS g, (SELECT pg_catalog.count(*) FROM applied) AS a;
                RETURN folded;
            END
            """
        return StoredFunction(foldFunctionName, returns: "bigint", securityDefiner: true, searchPath: [], body: body)
    }

    /// Drift view, repair and fold as stored logic; the repair and fold run as the backend
    /// (`service_role`) only — apps reach them through their own checked wrappers.
    func companionObjects() -> [RepeatableObject] {
        var objects: [RepeatableObject] = []
        objects.append(repairFunction.repeatableObject(source: source, executableBy: [.serviceRole]))
        if strategy == .deltas {
            objects.append(foldFunction.repeatableObject(source: source, executableBy: [.serviceRole]))
        }
        let viewKey = ObjectName.keyPart(driftViewName.schema) + "." + ObjectName.keyPart(driftViewName.name)
        objects.append(RepeatableObject(
            kind: .view, key: "view \(viewKey)", source: source,
            statements: [
                "DROP VIEW IF EXISTS \(driftViewName.sql)",
                driftViewSQL,
                "REVOKE ALL ON TABLE \(driftViewName.sql) FROM PUBLIC, \(DatabaseRole.allSQL)",
                "GRANT SELECT ON TABLE \(driftViewName.sql) TO \(DatabaseRole.serviceRole.sql)",
            ],
            dropStatements: ["DROP VIEW IF EXISTS \(driftViewName.sql)"]))
        return objects
    }
}
