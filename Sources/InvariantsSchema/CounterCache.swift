/// Invariant: parent columns that count (or sum) child rows stay exact, whoever writes.
///
/// One declaration covers every counter that shares a child → parent link, so one child
/// change costs one parent UPDATE however many counters it feeds:
///
/// ```swift
/// CounterCache(
///     name: "gig_responses", parent: gigs, child: responses,
///     link: .polymorphic(typeColumn: "entity_type", type: "gig", idColumn: "entity_id"),
///     scope: "workspace_id",
///     counters: [
///         .count("responses"),
///         .count("new_responses", where: .init("status", in: ["NEW"])),
///     ])
/// ```
///
/// Correct on INSERT, DELETE, UPDATE of the filter / summed / link columns (a move to
/// another parent or another entity type), and TRUNCATE of the child. The maintenance
/// functions are SECURITY DEFINER with `search_path = ''`, so neither RLS nor column
/// privileges can make a counter silently stay put, and they raise `IV404` (`ProjectErrorCode.notFound`)
/// when a child points at a parent row that does not exist. Parents are locked in key order
/// whenever more than one is touched, so concurrent writers cannot deadlock on them.
///
/// ``Strategy`` picks how writers reach the parent; companions (``driftViewName``, the repair and,
/// for ``Strategy/deltas``, the fold) live in `CounterCache+Repair.swift`.
public struct CounterCache: Hashable, Sendable {
    /// How a child row names its parent.
    public enum Link: Hashable, Sendable {
        /// `child.column = parent.key` (usually with a real foreign key).
        case foreignKey(String)
        /// `child.typeColumn = 'type' AND child.idColumn = parent.key`.
        case polymorphic(typeColumn: String, type: String, idColumn: String)
    }

    /// A filter on child rows: `column IN (values)` (text literals).
    public struct Filter: Hashable, Sendable {
        public var column: String
        public var values: [String]
        /// Only child rows whose `column` is one of `values` (SQL literals).
        public init(_ column: String, in values: [String]) {
            self.column = column
            self.values = values
        }

        /// `alias.column = 'v'` or `alias.column IN ('v1', …)`.
        func predicate(_ alias: String) -> String {
            let qualified = "\(alias).\(SQLText.identifier(column))"
            if values.count == 1 { return "\(qualified) = \(SQLText.literal(values[0]))" }
            return "\(qualified) IN (" + values.map(SQLText.literal).joined(separator: ", ") + ")"
        }
    }

    /// One parent column: a count of children, or a sum of a child column, optionally filtered.
    public struct Counter: Hashable, Sendable {
        public var column: String
        public var filter: Filter?
        /// The child column summed; `nil` counts rows.
        public var summing: String?

        public static func count(_ column: String, where filter: Filter? = nil) -> Counter {
            Counter(column: column, filter: filter, summing: nil)
        }

        public static func sum(_ childColumn: String, into column: String, where filter: Filter? = nil) -> Counter {
            Counter(column: column, filter: filter, summing: childColumn)
        }
    }

    /// How child writes reach the parent row.
    public enum Strategy: String, Hashable, Sendable {
        /// A row trigger: one parent UPDATE per child row, straight from `NEW` or `OLD`, as a
        /// hand-written trigger does it. For tables written one row at a time only: a bulk
        /// statement pays an UPDATE per row.
        case row
        /// Statement triggers with transition tables: a one-row statement runs one UPDATE of
        /// its parent, a bulk one a grouped UPDATE per statement (parents locked in key order
        /// first). Fast on both shapes: the one to declare when a table gets both.
        case statement
        /// Contention-free, for hot parents: writers append delta rows and never lock the
        /// parent; ``CounterCache/foldFunction`` folds them in. The parent column alone lags
        /// by the pending deltas; exact reads (the drift view, ``CounterCache/exactValuesSQL(key:)``)
        /// add them.
        case deltas
    }

    public var name: String
    public var parent: QualifiedName
    public var parentKey: String
    public var parentKeyType: ColumnType
    public var child: QualifiedName
    public var link: Link
    /// A tenant column both tables carry (e.g. `workspace_id`): repairs can be scoped by it.
    public var scope: String?
    public var scopeType: ColumnType?
    public var counters: [Counter]
    /// Parent columns set once by the earliest matching inserted child, in the same UPDATE.
    public var setOnce: [SetOnce]
    public var strategy: Strategy

    /// Counters on `parent` kept from `child` rows linked by `link`; `scope` names a tenant column
    /// both tables carry, `strategy` how writes reach the parent; `setOnce` parent columns the
    /// same UPDATE sets from the earliest matching inserted child (``Strategy/statement`` only).
    public init(
        name: String, parent: Table, parentKey: String = "id", child: Table, link: Link,
        scope: String? = nil, counters: [Counter], setOnce: [SetOnce] = [], strategy: Strategy = .row
    ) {
        self.name = name
        self.parent = parent.qualifiedName
        self.parentKey = parentKey
        self.parentKeyType = parent.column(parentKey)?.type ?? .uuid
        self.child = child.qualifiedName
        self.link = link
        self.scope = scope
        self.scopeType = scope.flatMap { parent.column($0)?.type }
        self.counters = counters
        self.setOnce = setOnce.map { value in
            var typed = value
            typed.earliestType = child.column(value.earliest)?.type.sql ?? "text"
            return typed
        }
        self.strategy = strategy
        precondition(setOnce.isEmpty || strategy == .statement, "CounterCache \(name): set-once columns need the statement strategy")
        for value in setOnce {
            precondition(parent.column(value.column) != nil, "CounterCache \(name): \(parent.name) has no column \(value.column)")
            precondition(child.column(value.earliest) != nil, "CounterCache \(name): \(child.name) has no column \(value.earliest)")
        }
        precondition(parent.column(parentKey) != nil, "CounterCache \(name): \(parent.name) has no column \(parentKey)")
        for counter in counters {
            precondition(parent.column(counter.column) != nil, "CounterCache \(name): \(parent.name) has no column \(counter.column)")
        }
        precondition(scope == nil || scopeType != nil, "CounterCache \(name): \(parent.name) has no scope column")
    }

    // MARK: Expressions over one child row (`alias` is NEW, OLD or a table alias)

    /// The parent key a child row points at, NULL when it points at none.
    func keyExpression(_ alias: String) -> String {
        switch link {
        case .foreignKey(let column):
            return "\(alias).\(SQLText.identifier(column))"
        case .polymorphic(let typeColumn, let type, let idColumn):
            return "CASE WHEN \(alias).\(SQLText.identifier(typeColumn)) = \(SQLText.literal(type)) "
                + "THEN \(alias).\(SQLText.identifier(idColumn)) END"
        }
    }

    /// What one child row adds to a counter (0 when filtered out).
    func contribution(_ counter: Counter, _ alias: String) -> String {
        // Typed literals: the function's variables are bigint / numeric, and plpgsql_check
        // flags every implicit cast.
        let type = deltaType(counter)
        let value = counter.summing.map { "COALESCE(\(alias).\(SQLText.identifier($0)), 0)::\(type)" } ?? "1::bigint"
        guard let filter = counter.filter else { return value }
        return "CASE WHEN \(filterPredicate(filter, alias)) THEN \(value) ELSE 0::\(type) END"
    }

    func filterPredicate(_ filter: Filter, _ alias: String) -> String { filter.predicate(alias) }

    /// Child columns whose change can change a counter.
    var watchedColumns: [String] {
        var columns: [String] = []
        switch link {
        case .foreignKey(let column): columns.append(column)
        case .polymorphic(let typeColumn, _, let idColumn): columns += [typeColumn, idColumn]
        }
        for counter in counters {
            if let filter = counter.filter { columns.append(filter.column) }
            if let summing = counter.summing { columns.append(summing) }
        }
        var seen = Set<String>()
        return columns.filter { seen.insert($0).inserted }
    }

    /// The value type of a counter's deltas.
    func deltaType(_ counter: Counter) -> String { counter.summing == nil ? "bigint" : "numeric" }

    var keyType: String { parentKeyType.sql }
    var parentKeySQL: String { SQLText.identifier(parentKey) }
    var tableKey: String { ObjectName.keyPart(parent.schema) + "." + ObjectName.keyPart(parent.name) }
    var source: String { "CounterCache(\(ObjectName.keyPart(name)))" }

    /// `RAISE` for a child pointing at a missing parent row (at column 0).
    func raiseMissingParent(_ key: String) -> String {
        """
        RAISE EXCEPTION 'counter %: % row % does not exist',
            \(SQLText.literal(name)), \(SQLText.literal(parent.sql)), \(key)
            USING ERRCODE = \(ProjectErrorCode.notFound.sqlLiteral)
        """
    }

    // MARK: Names

    public var triggerFunctionName: QualifiedName { Schema.invariants(ObjectName.fitted("count_" + name)) }
    public var truncateFunctionName: QualifiedName { Schema.invariants(ObjectName.fitted("count_" + name + "_truncate")) }
    func triggerName(_ suffix: String) -> String { ObjectName.fitted("invariants_count_\(name)\(suffix)") }

    /// The trigger function, the child's triggers and the TRUNCATE companion, then the
    /// drift view, the repair and (for ``Strategy/deltas``) the fold function.
    public func repeatableObjects() -> [RepeatableObject] {
        var objects: [RepeatableObject] = []
        let function = triggerFunction
        objects.append(RepeatableObject(
            kind: .triggerFunction, key: "function " + function.keySignature, source: source,
            statements: [function.createSQL, function.revokeFromPublicSQL], dropStatements: [function.dropSQL]))
        let truncate = truncateFunction
        objects.append(RepeatableObject(
            kind: .triggerFunction, key: "function " + truncate.keySignature, source: source,
            statements: [truncate.createSQL, truncate.revokeFromPublicSQL], dropStatements: [truncate.dropSQL]))
        objects += triggers.map { $0.repeatableObject(source: source) }
        return objects + companionObjects()
    }

    // MARK: Triggers

    /// The child table's triggers, in a stable order: row-level INSERT/DELETE and UPDATE
    /// (only when a watched column changes) or one statement-level trigger per event with
    /// transition tables, then the TRUNCATE companion.
    public var triggers: [Trigger] {
        let fn = triggerFunctionName
        let changed = watchedColumns.map {
            "OLD.\(SQLText.identifier($0)) IS DISTINCT FROM NEW.\(SQLText.identifier($0))"
        }.joined(separator: "\n        OR ")
        var result: [Trigger] = []
        switch strategy {
        case .row, .deltas:
            result.append(Trigger(triggerName(""), on: child, .after, [.insert, .delete], executing: fn))
            result.append(Trigger(triggerName("_update"), on: child, .after, [.update], when: changed, executing: fn))
        case .statement:
            // Transition tables need one trigger per event (PostgreSQL refuses them on a
            // trigger with several events or a column list).
            for (event, tables) in [
                (Trigger.Event.insert, Trigger.TransitionTables(new: "new_rows")),
                (.delete, Trigger.TransitionTables(old: "old_rows")),
                (.update, Trigger.TransitionTables(old: "old_rows", new: "new_rows")),
            ] {
                result.append(Trigger(triggerName("_" + event.sql.lowercased()), on: child, .after, [event],
                                      level: .statement, referencing: tables, executing: fn))
            }
        }
        result.append(Trigger(triggerName("_truncate"), on: child, .after, [.truncate], level: .statement,
                              executing: truncateFunctionName))
        return result
    }

    /// The maintenance function for the chosen strategy.
    public var triggerFunction: StoredFunction {
        let body: String
        switch strategy {
        case .row: body = rowBody
        case .statement: body = statementBody
        case .deltas: body = deltaBody
        }
        return StoredFunction(triggerFunctionName, returns: "trigger", securityDefiner: true, searchPath: [], body: body)
    }

    /// `SET c1 = c1 + <d1>, …` for the deltas named by `delta(counterIndex)`.
    func setClause(_ alias: String, indent: Int = 16, _ delta: (Int) -> String) -> String {
        counters.enumerated().map { index, counter in
            let column = SQLText.identifier(counter.column)
            return "\(column) = \(alias).\(column) + \(delta(index))"
        }.joined(separator: ",\n" + String(repeating: " ", count: indent))
    }

    /// `d0 <> 0` for every counter, one per line after the first (indented by `indent`), OR-ed.
    func anyNonZero(indent: Int, _ delta: (Int) -> String) -> String {
        counters.indices.map { "\(delta($0)) <> 0" }.joined(separator: "\n" + String(repeating: " ", count: indent) + "OR ")
    }

    /// The row trigger's variable for counter `index` in the OLD or NEW image, named after its
    /// column (`responses_old`).
    func imageVariable(_ index: Int, _ image: String) -> String {
        valueName(counters[index].column, index: index) + "_" + image.lowercased()
    }

    /// Variables of a row trigger: each image's parent key and contributions.
    /// `zeroed`: each contribution starts at 0 (a row trigger reads only one image on INSERT and
    /// DELETE); the statement body reads both images before using them, and skips the
    /// initializers, which run on every call.
    func rowImageDeclarations(zeroed: Bool = true) -> String {
        (["old_key \(keyType);", "new_key \(keyType);"] + counters.indices.flatMap { i in
            let type = deltaType(counters[i])
            let initial = zeroed ? " := 0::\(type)" : ""
            return ["\(imageVariable(i, "old")) \(type)\(initial);", "\(imageVariable(i, "new")) \(type)\(initial);"]
        } + setOnce.indices.map { "\(setOnceVariable($0)) \(setOnce[$0].earliestType);" }).joined(separator: "\n    ")
    }

    /// Reads the parent key and the contributions of the old image (not on INSERT) and the new
    /// one (not on DELETE): `OLD` and `NEW` in a row trigger. Both, unasked, where only an
    /// UPDATE gets here (`updateOnly`).
    func readRowImages(old: String = "OLD", new: String = "NEW", updateOnly: Bool = false) -> String {
        func read(_ image: String, _ prefix: String, indent: Int = 8) -> String {
            (["\(prefix)_key := \(keyExpression(image));"]
                + counters.indices.map { "\(imageVariable($0, prefix)) := \(contribution(counters[$0], image));" })
                .joined(separator: "\n" + String(repeating: " ", count: indent))
        }
        // Only read on INSERT: the new image is not assigned on a DELETE.
        let offered = setOnce.isEmpty ? "" : "\n    IF TG_OP = 'INSERT' THEN" + setOnce.indices.map {
            "\n        \(setOnceVariable($0)) := \(setOnce[$0].childValue(new));"
        }.joined() + "\n    END IF;"
        if updateOnly, setOnce.isEmpty {
            return read(old, "old", indent: 4) + "\n    " + read(new, "new", indent: 4)
        }
        return """
            IF TG_OP <> 'INSERT' THEN
                    \(read(old, "old"))
                END IF;
                IF TG_OP <> 'DELETE' THEN
                    \(read(new, "new"))
                END IF;
            """ + offered
    }

    /// The row path's variable for set-once value `index`: what an inserted row offers
    /// (`new_earliest_created_at`), NULL unless the row is inserted and matches.
    func setOnceVariable(_ index: Int) -> String { "new_" + earliestColumn(index) }

    /// The set-once columns in the UPDATE of the new parent.
    private var rowSetOnceAssignments: String {
        setOnce.indices.map {
            ",\n            " + setOnce[$0].assignment(earliest: setOnceVariable($0), parent: "p").indentingContinuation(by: 12)
        }.joined()
    }

    /// After ``readRowImages(old:new:)``: one UPDATE when the parent stays, else both parents
    /// locked in key order and each updated; ends with `RETURN NULL`.
    var rowChanges: String {
        let table = parent.sql
        let key = parentKeySQL
        let setOnceOffered = setOnce.indices.map { "\n        OR \(setOnceVariable($0)) IS NOT NULL" }.joined()
        return """
            IF old_key IS NOT DISTINCT FROM new_key THEN
                    -- Same parent (or none): one UPDATE with the net change.
                    IF new_key IS NOT NULL AND (\(anyNonZero(indent: 12) { "\(imageVariable($0, "new")) - \(imageVariable($0, "old"))" })) THEN
                        UPDATE \(table) AS p SET
                            \(setClause("p") { "(\(imageVariable($0, "new")) - \(imageVariable($0, "old")))" })
                        WHERE p.\(key) = new_key;
                        IF NOT FOUND THEN
                            \(raiseMissingParent("new_key").indentingContinuation(by: 16));
                        END IF;
                    END IF;
                    RETURN NULL;
                END IF;

                -- A move between two parents: lock both in key order, so two opposite moves
                -- cannot deadlock.
                IF old_key IS NOT NULL AND new_key IS NOT NULL THEN
                    PERFORM 1 FROM \(table) AS p
                    WHERE p.\(key) IN (old_key, new_key)
                    ORDER BY p.\(key)
                    FOR NO KEY UPDATE;
                END IF;
                IF old_key IS NOT NULL AND (\(anyNonZero(indent: 8) { "\(imageVariable($0, "old"))" })) THEN
                    -- No row: the parent is being deleted (a cascade) — nothing to keep.
                    UPDATE \(table) AS p SET
                        \(setClause("p", indent: 12) { "(-\(imageVariable($0, "old")))" })
                    WHERE p.\(key) = old_key;
                END IF;
                IF new_key IS NOT NULL AND (\(anyNonZero(indent: 8) { "\(imageVariable($0, "new"))" })\(setOnceOffered)) THEN
                    UPDATE \(table) AS p SET
                        \(setClause("p", indent: 12) { "\(imageVariable($0, "new"))" })\(rowSetOnceAssignments)
                    WHERE p.\(key) = new_key;
                    IF NOT FOUND THEN
                        \(raiseMissingParent("new_key").indentingContinuation(by: 12));
                    END IF;
                END IF;
                RETURN NULL;
            """
    }

    /// An INSERT or DELETE runs what a hand-written row trigger runs, one UPDATE of the parent
    /// straight from `NEW` or `OLD`; an UPDATE reads both images into variables first.
    private var rowBody: String {
        """
        DECLARE
            \(rowImageDeclarations(zeroed: false))
        BEGIN
            -- Counter cache \(SQLText.commentSafe(name)): \(SQLText.commentSafe(child.sql)) → \(SQLText.commentSafe(parent.sql)).
            IF TG_OP = 'INSERT' THEN
                \(oneRowUpdate(row: "NEW", key: keyExpression("NEW"), inserted: true).indentingContinuation(by: 8))
                RETURN NULL;
            ELSIF TG_OP = 'DELETE' THEN
                \(oneRowUpdate(row: "OLD", key: keyExpression("OLD"), inserted: false).indentingContinuation(by: 8))
                RETURN NULL;
            END IF;
            -- An UPDATE of the child.
            \(readRowImages(updateOnly: true))

            \(rowChanges)
        END
        """
    }

    private var deltaBody: String {
        let n = counters.count
        let deltaColumns = (0..<n).map { "d\($0)" }.joined(separator: ", ")
        let deltas = deltaTable.qualifiedName.sql
        return """
            DECLARE
                \(rowImageDeclarations())
            BEGIN
                -- Counter cache \(SQLText.commentSafe(name)) (delta strategy): writers append to \(SQLText.commentSafe(deltas))
                -- and never lock the parent row; \(SQLText.commentSafe(foldFunctionName.sql))() folds the deltas in.
                IF TG_OP = 'INSERT' THEN
                    -- An insert (the hot path): one delta row straight from NEW.
                    IF (\(keyExpression("NEW"))) IS NOT NULL
                       AND (\(anyNonZero(indent: 12) { contribution(counters[$0], "NEW") })) THEN
                        INSERT INTO \(deltas) (parent_key, \(deltaColumns))
                        VALUES (\(([keyExpression("NEW")] + counters.map { contribution($0, "NEW") }).joined(separator: ",\n                    ")));
                    END IF;
                    RETURN NULL;
                END IF;
                \(readRowImages())
                IF old_key IS NOT DISTINCT FROM new_key THEN
                    IF new_key IS NOT NULL AND (\(anyNonZero(indent: 12) { "\(imageVariable($0, "new")) - \(imageVariable($0, "old"))" })) THEN
                        INSERT INTO \(deltas) (parent_key, \(deltaColumns))
                        VALUES (new_key, \((0..<n).map { "\(imageVariable($0, "new")) - \(imageVariable($0, "old"))" }.joined(separator: ", ")));
                    END IF;
                    RETURN NULL;
                END IF;
                IF old_key IS NOT NULL AND (\(anyNonZero(indent: 8) { "\(imageVariable($0, "old"))" })) THEN
                    INSERT INTO \(deltas) (parent_key, \(deltaColumns))
                    VALUES (old_key, \((0..<n).map { "-\(imageVariable($0, "old"))" }.joined(separator: ", ")));
                END IF;
                IF new_key IS NOT NULL AND (\(anyNonZero(indent: 8) { "\(imageVariable($0, "new"))" })) THEN
                    INSERT INTO \(deltas) (parent_key, \(deltaColumns))
                    VALUES (new_key, \((0..<n).map { "\(imageVariable($0, "new"))" }.joined(separator: ", ")));
                END IF;
                RETURN NULL;
            END
            """
    }

    /// After TRUNCATE of the child every counter is zero (RLS and row triggers do not see a TRUNCATE).
    public var truncateFunction: StoredFunction {
        let table = parent.sql
        let zero = counters.map { "\(SQLText.identifier($0.column)) = 0" }.joined(separator: ",\n        ")
        let nonZero = counters.map { "\(SQLText.identifier($0.column)) <> 0" }.joined(separator: "\n       OR ")
        var body = """
            BEGIN
                -- Counter cache \(SQLText.commentSafe(name)): \(SQLText.commentSafe(child.sql)) was truncated, so every count is zero.
                UPDATE \(table) SET
                    \(zero)
                WHERE \(nonZero);
            """
        if strategy == .deltas {
            body += "\n    DELETE FROM \(deltaTable.qualifiedName.sql);"
        }
        body += "\n    RETURN NULL;\nEND"
        return StoredFunction(truncateFunctionName, returns: "trigger", securityDefiner: true, searchPath: [], body: body)
    }
}
