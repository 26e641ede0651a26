/// The ``CounterCache/Strategy/statement`` body: fast on single rows and on bulk statements.
///
/// - **One row inserted or deleted** (every single-row INSERT and DELETE): the row's columns
///   that the counters read go into `only_row`, in a query that finds no row when the statement
///   has several (`NOT EXISTS (… OFFSET 1)`); then one UPDATE of its parent, which reads the
///   changes from `only_row` as a hand-written row trigger reads them from `NEW`. Measured in
///   instructions per insert (cachegrind, single-user server, seed 001's messages): the floor
///   trigger +79k with the earlier probe (a row count, the changes projected as columns, the
///   UPDATE guarded by `changes <> 0` in its WHERE), +39k with this one. The executor builds a
///   query's expressions on every run, so the probe reads plain columns, and it needs no
///   aggregate to tell one row from several.
/// - **One row updated**: the row strategy's logic from both images (one UPDATE, or both parents
///   locked in key order for a move).
/// - **Several rows**: the transition table is projected once (`changes`: the parent key and what
///   each row adds to every counter) and grouped per parent into aligned arrays, one per counter
///   (`responses_deltas`); with two or more parents they are locked in key order (`FOR NO KEY
///   UPDATE`), so two bulk writers cannot deadlock; then one UPDATE from `unnest(…)`. It runs in a
///   statement of its own, after the locks, with a snapshot that sees the rows it locked: an
///   UPDATE in the same statement as the locking would update the versions its older snapshot
///   saw, and following their update chains takes tuple locks that other waiters hold
///   (deadlocks, measured).
///
/// A parent a new child row names that was not there to update raises IV404: the UPDATE's row
/// count says whether one is missing, and only then is the transition table searched for it.
extension CounterCache {
    /// A SQL-safe name for a value kept about `column` (a counter or set-once column), or a
    /// positional one when the column's name is not a plain lower-case identifier.
    func valueName(_ column: String, index: Int, prefix: String = "") -> String {
        let plain = column.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            && !(column.first.map { ("0"..."9").contains($0) } ?? true)
        return prefix + (plain ? column : "counter_\(index)")
    }

    /// `changes`' column for counter `index`.
    func changeColumn(_ index: Int) -> String { valueName(counters[index].column, index: index) }

    /// `changes`' column for set-once value `index`: the child column of a matching row.
    /// Named after the child column it holds (`earliest_created_at`), or after the parent
    /// column when two set-once values read the same child column.
    func earliestColumn(_ index: Int) -> String {
        let source = setOnce[index].earliest
        let shared = setOnce.filter { $0.earliest == source }.count > 1
        return valueName(shared ? setOnce[index].column : source, index: index, prefix: "earliest_")
    }

    /// The body's array variable for counter `index` (`responses_deltas`).
    func deltasVariable(_ index: Int) -> String { changeColumn(index) + "_deltas" }

    /// The body's array variable for set-once value `index` (`earliest_created_at_values`).
    func earliestVariable(_ index: Int) -> String { earliestColumn(index) + "_values" }

    /// One projection of a transition table: `SELECT <parent key>, <per-counter change>…`
    /// (at column 0; continuation lines indented relative to it).
    private func projection(_ rows: String, sign: String, withSetOnce: Bool) -> String {
        var columns = ["\(keyExpression("r")) AS parent_key"]
        columns += counters.indices.map { "\(sign)\(contribution(counters[$0], "r")) AS \(changeColumn($0))" }
        if withSetOnce {
            columns += setOnce.indices.map { "\(setOnce[$0].childValue("r")) AS \(earliestColumn($0))" }
        }
        return "SELECT " + columns.joined(separator: ",\n       ") + "\nFROM \(rows) AS r"
    }

    /// `items` joined by ", ", four to a line, continuation lines indented by `indent`.
    private func wrapped(_ items: [String], indent: Int) -> String {
        stride(from: 0, to: items.count, by: 4).map { items[$0..<min($0 + 4, items.count)].joined(separator: ", ") }
            .joined(separator: ",\n" + String(repeating: " ", count: indent))
    }

    /// The first row of a transition table into the row path's variables (`new_key`,
    /// `responses_new`, …), with the table's row count first when `counting` (at column 0).
    /// Only an UPDATE of the child reads it: no set-once value (only inserts offer one).
    private func probe(_ rows: String, image: String, counting: Bool) -> String {
        var columns = ["\(keyExpression("r"))"] + counters.map { contribution($0, "r") }
        var targets = ["\(image)_key"] + counters.indices.map { imageVariable($0, image) }
        if counting {
            columns.insert("(SELECT count(*) FROM \(rows))", at: 0)
            targets.insert("statement_rows", at: 0)
        }
        return """
            SELECT \(columns.joined(separator: ",\n       "))
            INTO \(wrapped(targets, indent: 5))
            FROM \(rows) AS r\(counting ? " LIMIT 1" : "");
            """
    }

    /// Child columns a one-row write reads besides its parent key: the filters, the summed
    /// columns and, for an insert, what set-once values read.
    func onlyRowColumns(inserted: Bool) -> [String] {
        var columns = counters.flatMap { [$0.filter?.column, $0.summing].compactMap { $0 } }
        for value in setOnce where inserted {
            if let filter = value.filter { columns.append(filter.column) }
            columns.append(value.earliest)
        }
        var seen = Set<String>()
        return columns.filter { seen.insert($0).inserted }
    }

    /// `only_row`'s field holding the parent key (a name no child column it reads has).
    var onlyRowKey: String {
        let taken = Set(onlyRowColumns(inserted: true))
        return taken.contains("parent_key") ? "only_row_parent_key" : "parent_key"
    }

    /// The statement's only row into `only_row` (at column 0): its parent key and the columns
    /// the counters read; no row found when the statement wrote none or several.
    private func onlyRow(_ rows: String, inserted: Bool) -> String {
        let columns = ["\(keyExpression("r")) AS \(onlyRowKey)"]
            + onlyRowColumns(inserted: inserted).map { "r.\(SQLText.identifier($0))" }
        return """
            SELECT \(wrapped(columns, indent: 7))
            INTO only_row
            FROM \(rows) AS r
            WHERE NOT EXISTS (SELECT FROM \(rows) OFFSET 1);
            """
    }

    /// Whether child row `alias` changes `counter` (a counter of every row is not asked).
    private func changes(_ counter: Counter, _ alias: String) -> String {
        let matches = counter.filter.map { filterPredicate($0, alias) }
        guard let summed = counter.summing else { return matches ?? "true" }
        let nonZero = "\(alias).\(SQLText.identifier(summed)) <> 0"
        return matches.map { "(\($0) AND \(nonZero))" } ?? nonZero
    }

    /// The one-row path of an INSERT (`inserted`) or DELETE of child row `row` (`only_row`, or
    /// `NEW`/`OLD` in a row trigger) whose parent key is `key`: one UPDATE of the row's parent,
    /// what a hand-written row trigger runs. A missing parent is refused on INSERT; on DELETE it
    /// is being deleted (a cascade) and has nothing to keep. Guarded by the row's changes only
    /// when no counter counts every row (at column 0).
    func oneRowUpdate(row: String, key: String, inserted: Bool) -> String {
        // PL/pgSQL ends an IF's condition at its first THEN, a CASE's included: parenthesized.
        let keyValue = key.contains(" ") ? "(\(key))" : key
        var assignments = counters.map { counter -> String in
            let column = SQLText.identifier(counter.column)
            let change = contribution(counter, row)
            // A filtered change on a line of its own: the body stays under 120 columns.
            let separator = counter.filter == nil ? " " : "\n        "
            return "\(column) = p.\(column)\(separator)\(inserted ? "+" : "-") \(change)"
        }
        if inserted {
            assignments += setOnce.map { $0.assignment(row: row, parent: "p").indentingContinuation(by: 4) }
        }
        var update = """
            UPDATE \(parent.sql) AS p SET
                \(assignments.joined(separator: ",\n    "))
            WHERE p.\(parentKeySQL) = \(key);
            """
        if inserted {
            update += """

                IF NOT FOUND AND \(keyValue) IS NOT NULL THEN
                    \(raiseMissingParent(keyValue).indentingContinuation(by: 4));
                END IF;
                """
        }
        if counters.contains(where: { $0.filter == nil && $0.summing == nil }) { return update }
        var changed = counters.map { changes($0, row) }
        if inserted { changed += setOnce.map { "\($0.childValue(row)) IS NOT NULL" } }
        return """
            IF \(changed.joined(separator: "\n   OR ")) THEN
                \(update.indentingContinuation(by: 4))
            END IF;
            """
    }

    /// Statement 1: the changes grouped per parent, into the sorted arrays (at column 0).
    private func groupIntoArrays(changes: String, withSetOnce: Bool) -> String {
        // sum(bigint) is numeric: cast back to the variable's type.
        var sums = counters.indices.map { "sum(c.\(changeColumn($0)))::\(deltaType(counters[$0])) AS \(changeColumn($0))" }
        var changed = counters.indices.map { "sum(c.\(changeColumn($0))) <> 0" }
        // One pass over the grouped rows: the arrays are aligned (the same rows in the same order);
        // no order is needed, the lock below sorts.
        var aggregates = ["array_agg(d.parent_key)"] + counters.indices.map { "array_agg(d.\(changeColumn($0)))" }
        var targets = ["parent_keys"] + counters.indices.map(deltasVariable)
        if withSetOnce {
            sums += setOnce.indices.map { "min(c.\(earliestColumn($0))) AS \(earliestColumn($0))" }
            changed += setOnce.indices.map { "min(c.\(earliestColumn($0))) IS NOT NULL" }
            aggregates += setOnce.indices.map { "array_agg(d.\(earliestColumn($0)))" }
            targets += setOnce.indices.map(earliestVariable)
        }
        return """
            WITH changes AS (
                \(changes.indentingContinuation(by: 4))
            ), deltas AS (
                SELECT c.parent_key,
                       \(sums.joined(separator: ",\n           "))
                FROM changes AS c
                WHERE c.parent_key IS NOT NULL
                GROUP BY c.parent_key
                HAVING \(changed.joined(separator: "\n        OR "))
            )
            SELECT \(aggregates.joined(separator: ",\n       "))
            INTO \(wrapped(targets, indent: 5))
            FROM deltas AS d;
            """
    }

    /// Statement 3: one UPDATE of the parents from the arrays (at column 0).
    private var updateFromArrays: String {
        var assignments = counters.indices.map { index -> String in
            let column = SQLText.identifier(counters[index].column)
            return "\(column) = p.\(column) + d.\(changeColumn(index))"
        }
        assignments += setOnce.indices.map {
            setOnce[$0].assignment(earliest: "d.\(earliestColumn($0))", parent: "p").indentingContinuation(by: 4)
        }
        var arrays = ["parent_keys"] + counters.indices.map(deltasVariable)
        var columns = ["parent_key"] + counters.indices.map(changeColumn)
        if !setOnce.isEmpty {
            // Not set by an UPDATE or DELETE of children: NULL arrays, so no value.
            arrays += setOnce.indices.map(earliestVariable)
            columns += setOnce.indices.map(earliestColumn)
        }
        return """
            UPDATE \(parent.sql) AS p SET
                \(assignments.joined(separator: ",\n    "))
            FROM unnest(\(wrapped(arrays, indent: 12)))
                AS d(\(wrapped(columns, indent: 9)))
            WHERE p.\(parentKeySQL) = d.parent_key;
            """
    }

    /// The statement strategy's trigger function body.
    var statementBody: String {
        let table = parent.sql
        let key = parentKeySQL
        let inserted = projection("new_rows", sign: "", withSetOnce: !setOnce.isEmpty)
        let insertedOnly = projection("new_rows", sign: "", withSetOnce: false)
        let deleted = projection("old_rows", sign: "-", withSetOnce: false)
        let both = insertedOnly + "\nUNION ALL\n" + deleted
        let childKey = keyExpression("r")
        func onlyRowUpdate(inserted: Bool) -> String {
            oneRowUpdate(row: "only_row", key: "only_row.\(onlyRowKey)", inserted: inserted).indentingContinuation(by: 12)
        }
        let declarations = ["only_row record;", rowImageDeclarations(zeroed: false), "statement_rows bigint;",
                            "parent_keys \(keyType)[];"]
            + counters.indices.map { "\(deltasVariable($0)) \(deltaType(counters[$0]))[];" }
            + setOnce.indices.map { "\(earliestVariable($0)) \(setOnce[$0].earliestType)[];" }
            + ["updated_parents bigint;", "missing_key \(keyType);"]
        return """
            DECLARE
                \(declarations.joined(separator: "\n    "))
            BEGIN
                -- Counter cache \(SQLText.commentSafe(name)) (statement strategy):
                -- \(SQLText.commentSafe(child.sql)) → \(SQLText.commentSafe(table)).

                -- A statement that wrote one row: the row's columns the counters read, into only_row
                -- (none found when it wrote several).
                IF TG_OP = 'INSERT' THEN
                    \(onlyRow("new_rows", inserted: true).indentingContinuation(by: 8))
                    IF FOUND THEN
                        -- One inserted row (every single-row INSERT): one UPDATE of its parent.
                        \(onlyRowUpdate(inserted: true))
                        RETURN NULL;
                    END IF;
                ELSIF TG_OP = 'DELETE' THEN
                    \(onlyRow("old_rows", inserted: false).indentingContinuation(by: 8))
                    IF FOUND THEN
                        \(onlyRowUpdate(inserted: false))
                        RETURN NULL;
                    END IF;
                ELSE
                    \(probe("new_rows", image: "new", counting: true).indentingContinuation(by: 8))
                    IF statement_rows = 1 THEN
                        -- One updated row: a row trigger's work (a move locks both parents in key order).
                        \(probe("old_rows", image: "old", counting: false).indentingContinuation(by: 12))
                        \(rowChanges.indentingContinuation(by: 8))
                    END IF;
                    IF statement_rows IS NULL THEN
                        RETURN NULL;  -- no row
                    END IF;
                END IF;

                -- Several child rows: grouped per parent.
                IF TG_OP = 'INSERT' THEN
                    \(groupIntoArrays(changes: inserted, withSetOnce: !setOnce.isEmpty).indentingContinuation(by: 8))
                ELSIF TG_OP = 'DELETE' THEN
                    \(groupIntoArrays(changes: deleted, withSetOnce: false).indentingContinuation(by: 8))
                ELSE
                    \(groupIntoArrays(changes: both, withSetOnce: false).indentingContinuation(by: 8))
                END IF;
                IF parent_keys IS NULL THEN
                    RETURN NULL;  -- no counter changes
                END IF;
                IF cardinality(parent_keys) > 1 THEN
                    -- Several parents: lock them in key order before changing any.
                    PERFORM 1 FROM \(table) AS p
                    WHERE p.\(key) = ANY (parent_keys)
                    ORDER BY p.\(key)
                    FOR NO KEY UPDATE;
                END IF;
                \(updateFromArrays.indentingContinuation(by: 4))
                GET DIAGNOSTICS updated_parents = ROW_COUNT;
                -- Fewer rows than parents: one is gone. A parent being deleted (a cascade) has nothing
                -- to keep; one that a new child row names is an error.
                IF updated_parents < cardinality(parent_keys) AND TG_OP <> 'DELETE' THEN
                    SELECT k.parent_key INTO missing_key
                    FROM new_rows AS r
                    CROSS JOIN LATERAL (SELECT \(childKey) AS parent_key) AS k
                    WHERE k.parent_key IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM \(table) AS x WHERE x.\(key) = k.parent_key)
                    LIMIT 1;
                    IF FOUND THEN
                        \(raiseMissingParent("missing_key").indentingContinuation(by: 12));
                    END IF;
                END IF;
                RETURN NULL;
            END
            """
    }
}

extension String {
    /// `self` with `spaces` more indentation on every line after the first (for a fragment
    /// rendered at column 0 and interpolated where the first line already is indented).
    func indentingContinuation(by spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated().map { $0.offset == 0 || $0.element.isEmpty ? String($0.element) : pad + $0.element }
            .joined(separator: "\n")
    }
}
