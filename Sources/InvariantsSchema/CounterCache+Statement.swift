/// The ``CounterCache/Strategy/statement`` body: fast on single rows and on bulk statements.
///
/// - **One row** (every single-row write): its parent key and changes are read into variables,
///   in the statement that counts the rows. An INSERT or DELETE then runs one UPDATE of the
///   parent — what a hand-written row trigger runs; an UPDATE of the child runs the row
///   strategy's logic (one UPDATE, or both parents locked in key order for a move). An UPDATE
///   joined to the transition table, or the row logic's extra branches, measured no better
///   (10–15 % slower in single server-loop runs, at the edge of the noise).
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
    /// `responses_new`, …, and what an inserted row offers a set-once column), with the table's
    /// row count first when `counting` (at column 0).
    private func probe(_ rows: String, image: String, counting: Bool) -> String {
        var columns = ["\(keyExpression("r"))"] + counters.map { contribution($0, "r") }
        var targets = ["\(image)_key"] + counters.indices.map { imageVariable($0, image) }
        if image == "new" {
            columns += setOnce.map { "CASE WHEN TG_OP = 'INSERT' THEN \($0.childValue("r")) END" }
            targets += setOnce.indices.map(setOnceVariable)
        }
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

    /// The one-row path of an INSERT (`image` "new") or DELETE ("old"): one UPDATE of the row's
    /// parent, when it has one and a counter changes; a missing parent is refused on INSERT; on
    /// DELETE it is being deleted (a cascade) and has nothing to keep (at column 0).
    private func oneRowUpdate(image: String) -> String {
        let inserted = image == "new"
        var assignments = counters.indices.map { index -> String in
            let column = SQLText.identifier(counters[index].column)
            let change = imageVariable(index, image)
            return "\(column) = p.\(column) + \(inserted ? change : "(-\(change))")"
        }
        var changed = counters.indices.map { "\(imageVariable($0, image)) <> 0" }
        if inserted {
            assignments += setOnce.indices.map {
                setOnce[$0].assignment(earliest: setOnceVariable($0), parent: "p").indentingContinuation(by: 4)
            }
            changed += setOnce.indices.map { "\(setOnceVariable($0)) IS NOT NULL" }
        }
        let update = """
            UPDATE \(parent.sql) AS p SET
                \(assignments.joined(separator: ",\n    "))
            WHERE p.\(parentKeySQL) = \(image)_key
              AND (\(changed.joined(separator: "\n       OR ")));
            """
        guard inserted else { return update }
        return update + """

            IF NOT FOUND AND new_key IS NOT NULL AND (\(changed.joined(separator: "\n    OR "))) THEN
                \(raiseMissingParent("new_key").indentingContinuation(by: 4));
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
        let declarations = [rowImageDeclarations(zeroed: false), "statement_rows bigint;",
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

                -- The statement's first child row (its parent and changes) and how many rows there are.
                IF TG_OP = 'INSERT' THEN
                    \(probe("new_rows", image: "new", counting: true).indentingContinuation(by: 8))
                    IF statement_rows = 1 THEN
                        -- One inserted row (every single-row INSERT): one UPDATE of its parent.
                        \(oneRowUpdate(image: "new").indentingContinuation(by: 12))
                        RETURN NULL;
                    END IF;
                ELSIF TG_OP = 'DELETE' THEN
                    \(probe("old_rows", image: "old", counting: true).indentingContinuation(by: 8))
                    IF statement_rows = 1 THEN
                        \(oneRowUpdate(image: "old").indentingContinuation(by: 12))
                        RETURN NULL;
                    END IF;
                ELSE
                    \(probe("new_rows", image: "new", counting: true).indentingContinuation(by: 8))
                    IF statement_rows = 1 THEN
                        -- One updated row: a row trigger's work (a move locks both parents in key order).
                        \(probe("old_rows", image: "old", counting: false).indentingContinuation(by: 12))
                        \(rowChanges.indentingContinuation(by: 8))
                    END IF;
                END IF;
                IF statement_rows IS NULL THEN
                    RETURN NULL;  -- no row
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
