/// A table a module may find already made by the app, and what the declaration relies on.
public struct AdoptedTable: Sendable, Hashable {
    /// The declaration in its current shape (what a fresh database has after every migration).
    public var table: Table
    /// Columns the app's table must already have, with the declared type and nullability.
    /// Every other declared column is added when missing (it must be nullable or have a default).
    public var expects: [String]
    /// Constraints added only after the counter backfill (a counter CHECK fails on drifted rows:
    /// a `NOT VALID` check is still enforced on every row an UPDATE touches).
    public var afterBackfill: [String]
    /// An app's own foreign key this declaration replaces, recognised by its columns and
    /// referenced table (it may carry our name: `responses_entity_id_gig_fk`).
    public var superseding: [SupersededForeignKey]
    /// An app's own trigger on this table that a repeatable trigger replaces, recognised by what
    /// its function writes (it may carry our name: `save_completed_generation_to_history`).
    public var supersedingTriggers: [SupersededTrigger]
    /// Columns the app may have with an older type, changed to the declared one in place
    /// (seed 003's `varchar(100)` and `timestamp`).
    public var converting: [ColumnConversion]
    /// Declared NOT NULL columns the app's table may have nullable: made NOT NULL online, and
    /// refused (with the count) while rows hold NULL.
    public var settingNotNull: [String]

    /// `table`, whose `expects` columns the app must have.
    public init(_ table: Table, expects: [String], afterBackfill: [String] = [], superseding: [SupersededForeignKey] = [],
                supersedingTriggers: [SupersededTrigger] = [], converting: [ColumnConversion] = [], settingNotNull: [String] = []) {
        self.converting = converting
        self.settingNotNull = settingNotNull
        self.table = table
        self.expects = expects
        self.afterBackfill = afterBackfill
        self.superseding = superseding
        self.supersedingTriggers = supersedingTriggers
    }
}

extension Adoption {
    /// Rows per batch when filling a kept key, deleting or moving orphans.
    public static let rowBatch = 5_000
    /// Parents per batch of a counter backfill (the repair's batch).
    public static let parentBatch = 500

    /// The adoption of `tables` (parents first) onto `version` of `module`: the checks of the
    /// live tables, the orphans of every foreign key, and the steps in a safe order —
    /// columns, kept keys filled in batches, unique keys built concurrently, orphans resolved,
    /// foreign keys `NOT VALID` then validated, checks likewise, indexes concurrently; after the
    /// repeatable set: counter backfills, the module's own `backfills` (phase
    /// ``Adoption/Step/Phase/after``, e.g. links the app's old rows lack), then the checks that
    /// need exact counters.
    public init(module: String, version: Int, source: String, tables: [AdoptedTable], keys: [PolymorphicKey] = [],
                counters: [CounterCache] = [], backfills: [Adoption.Step] = []) {
        var builder = AdoptionBuilder(tables: tables, keys: keys, counters: counters, backfills: backfills)
        // Every query and statement wrapped to the file's width: DDL rendered as the (immutable)
        // migrations have it, and the app's backfills, keep their long lines there, not here.
        let wrapped = SQLLines.wrapped
        let violations = builder.violations().map { Violations(table: $0.table, columns: $0.columns, label: $0.label, query: wrapped($0.query)) }
        let orphans = builder.orphans().map {
            Orphans(table: $0.table, key: $0.key, parent: $0.parent, condition: wrapped($0.condition), quarantine: $0.quarantine)
        }
        let steps = builder.steps().map { step in
            var step = step
            step.done = step.done.map(wrapped)
            step.superseded = step.superseded.map(wrapped)
            step.statements = step.statements.map(wrapped)
            return step
        }
        self.init(module: module, version: version, source: source, tables: tables.map(\.table.qualifiedName),
                  expectations: wrapped(builder.expectations()), violations: violations, orphans: orphans,
                  steps: steps, supersededTriggers: tables.flatMap(\.supersedingTriggers).map(\.dropQuery).map(wrapped))
    }
}

/// Derives an ``Adoption`` from the declarations; SQL fragments over the system catalogs.
struct AdoptionBuilder {
    let tables: [AdoptedTable]
    let keys: [PolymorphicKey]
    let counters: [CounterCache]
    let backfills: [Adoption.Step]

    // MARK: Declarations

    func key(of table: QualifiedName, column: String) -> PolymorphicKey? {
        keys.first { $0.table == table && $0.column == column }
    }

    /// Counter columns: the app's integer is accepted where bigint is declared (widening rewrites).
    func acceptedTypes(_ table: Table, _ column: Column) -> [String] {
        let isCounter = counters.contains { cache in
            cache.parent == table.qualifiedName && cache.counters.contains { $0.column == column.name }
        }
        if isCounter, column.type == .bigint { return ["bigint", "integer"] }
        let adopted = tables.first { $0.table.qualifiedName == table.qualifiedName }
        let older = adopted?.converting.filter { $0.column == column.name }.map(\.from.sql) ?? []
        return [column.type.sql] + older
    }

    func foreignKeys(_ adopted: AdoptedTable) -> [ForeignKey] {
        adopted.table.constraints.compactMap { if case .foreignKey(let key) = $0 { key } else { nil } }
    }

    func checks(_ adopted: AdoptedTable) -> [Check] {
        adopted.table.constraints.compactMap { if case .check(let check) = $0 { check } else { nil } }
    }

    // MARK: Expectations

    func expectations() -> String {
        var columnRows: [String] = []
        var keyRows: [String] = []
        var nameRows: [String] = []
        for adopted in tables {
            let table = adopted.table
            let name = SQLText.literal(Self.name(table.qualifiedName))
            for column in table.columns {
                let accepted = Self.textArray(acceptedTypes(table, column))
                let addable = !adopted.expects.contains(column.name)
                let settable = adopted.settingNotNull.contains(column.name)
                columnRows.append("(\(name), \(SQLText.literal(column.name)), \(accepted), \(!column.nullable), \(addable), \(settable))")
            }
            if let primaryKey = table.primaryKey {
                keyRows.append("(\(name), \(Self.textArray(primaryKey.columns)))")
            }
            for constraint in table.constraints {
                let kind = switch constraint { case .primaryKey: "p"; case .foreignKey: "f"; case .unique: "u"; case .check: "c" }
                // A foreign key of our name on another table or with other actions is the app's:
                // replaced when declared superseded, a mismatch otherwise.
                var definition = "NULL::text, NULL::text"
                if case .foreignKey(let key) = constraint, !adopted.superseding.contains(where: { $0.references == key.referencedTable }) {
                    definition = "\(SQLText.literal(Self.name(key.referencedTable))), '\(key.onDelete.catalogCode)\(key.onUpdate.catalogCode)'"
                }
                nameRows.append("(\(name), \(SQLText.literal(constraint.resolvedName(table: table.name))), '\(kind)', \(definition))")
            }
        }
        return """
            WITH expected (table_name, column_name, accepted_types, not_null, addable, settable_not_null) AS (
                VALUES
                    \(columnRows.joined(separator: ",\n        "))
            ), live AS (
                SELECT e.*, a.attname IS NOT NULL AS present, a.attnotnull AS live_not_null,
                       pg_catalog.format_type(a.atttypid, a.atttypmod) AS live_type
                FROM expected AS e
                LEFT JOIN pg_catalog.pg_attribute AS a
                    ON a.attrelid = pg_catalog.to_regclass(e.table_name) AND a.attname = e.column_name
                   AND a.attnum > 0 AND NOT a.attisdropped
                WHERE pg_catalog.to_regclass(e.table_name) IS NOT NULL
            ), keys (table_name, columns) AS (
                VALUES
                    \(keyRows.joined(separator: ",\n        "))
            ), named (table_name, constraint_name, kind, referenced_table, actions) AS (
                VALUES
                    \(nameRows.joined(separator: ",\n        "))
            )
            -- Columns: the declared type (a counter may stay integer, an older type converts in
            -- place) and nullability (a nullable column declared settable is made NOT NULL).
            SELECT l.table_name || '.' || l.column_name || ': expected ' || l.accepted_types[1]
                   || CASE WHEN l.not_null THEN ' NOT NULL' ELSE ' NULL' END || ', found '
                   || CASE WHEN l.present
                           THEN l.live_type || CASE WHEN l.live_not_null THEN ' NOT NULL' ELSE ' NULL' END
                           ELSE 'no such column' END AS problem
            FROM live AS l
            WHERE (NOT l.present AND NOT l.addable)
               OR (l.present AND (l.live_type <> ALL (l.accepted_types)
                                  OR (l.not_null <> l.live_not_null AND NOT (l.settable_not_null AND l.not_null))))
            UNION ALL
            -- Primary keys: the declared columns, in order.
            SELECT t.table_name || ': expected PRIMARY KEY (' || pg_catalog.array_to_string(t.columns, ', ') || '), found '
                   || COALESCE((SELECT pg_catalog.pg_get_constraintdef(k.oid) FROM pg_catalog.pg_constraint AS k
                                WHERE k.conrelid = pg_catalog.to_regclass(t.table_name) AND k.contype = 'p'), 'none')
            FROM keys AS t
            WHERE pg_catalog.to_regclass(t.table_name) IS NOT NULL
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint AS k
                              WHERE k.conrelid = pg_catalog.to_regclass(t.table_name) AND k.contype = 'p'
                                AND \(Self.placed(Self.constraintColumns, at: String(repeating: " ", count: 20))) = t.columns)
            UNION ALL
            -- A constraint of a declared name but of another kind, or a foreign key of that name
            -- referencing another table or with other actions, not declared superseded.
            SELECT n.table_name || '.' || n.constraint_name || ': a constraint of this name exists with another definition ('
                   || pg_catalog.pg_get_constraintdef(k.oid) || ')'
            FROM named AS n
            JOIN pg_catalog.pg_constraint AS k
              ON k.conrelid = pg_catalog.to_regclass(n.table_name) AND k.conname = n.constraint_name
            WHERE k.contype <> n.kind
               OR (n.referenced_table IS NOT NULL AND (k.confrelid IS DISTINCT FROM pg_catalog.to_regclass(n.referenced_table)
                                                        OR k.confdeltype::text || k.confupdtype::text <> n.actions))\(conversionBlockers().map { "\nUNION ALL\n" + $0 } ?? "")
            ORDER BY 1
            """
    }

    /// The superseding test is structural and per row, so it is applied by the migrator:
    /// ``Adoption/Step/superseded`` queries find them. Here a same-name constraint of another
    /// kind is a mismatch; a same-kind one is checked by the step that replaces it.
    func violations() -> [Adoption.Violations] {
        tables.flatMap(notNullViolations) + tables.flatMap { adopted in
            checks(adopted).filter { check in
                !check.columns.isEmpty && check.columns.allSatisfy(adopted.expects.contains)
            }.map { check in
                let name = check.resolvedName(table: adopted.table.name)
                return Adoption.Violations(
                    table: adopted.table.qualifiedName, columns: check.columns, label: "\(name) CHECK (\(check.expression))",
                    query: "SELECT pg_catalog.count(*) FROM \(adopted.table.qualifiedName.sql) WHERE NOT (\(check.expression))")
            }
        }
    }

    // MARK: Orphans

    /// Per foreign key over expected columns (or kept keys, read through their expression).
    func orphans() -> [Adoption.Orphans] {
        tables.flatMap { adopted -> [Adoption.Orphans] in
            let table = adopted.table
            guard let primaryKey = table.primaryKey, primaryKey.columns.count == 1 else { return [] }
            return foreignKeys(adopted).compactMap { key -> Adoption.Orphans? in
                let values = key.columns.map { column -> String? in
                    if let kept = self.key(of: table.qualifiedName, column: column) { return "(\(kept.expression("c")))" }
                    return adopted.expects.contains(column) ? "c.\(SQLText.identifier(column))" : nil
                }
                guard values.allSatisfy({ $0 != nil }) else { return nil }
                let present = values.map { "\($0!) IS NOT NULL" }.joined(separator: " AND ")
                let matches = zip(key.referencedColumns, values).map { "p.\(SQLText.identifier($0)) = \($1!)" }.joined(separator: " AND ")
                return Adoption.Orphans(
                    table: table.qualifiedName, key: primaryKey.columns[0], parent: key.referencedTable,
                    condition: "\(present)\n  AND NOT EXISTS (SELECT FROM \(key.referencedTable.sql) AS p WHERE \(matches))",
                    quarantine: Schema.invariants(ObjectName.fitted("quarantine_\(table.name)")))
            }
        }
    }

    // MARK: Steps

    mutating func steps() -> [Adoption.Step] {
        var steps = [Adoption.Step(
            .before, .transaction, "create the adoption ledger \(Self.name(Adoption.ledgerTable))",
            done: "SELECT \(Self.regclass(Adoption.ledgerTable)) IS NOT NULL", statements: Adoption.ledgerStatements)]
        func on(_ table: Table, _ made: [Adoption.Step]) -> [Adoption.Step] {
            made.map { var step = $0; step.table = table.qualifiedName; return step }
        }
        // Table by table, parents first: a child created here needs its parent's unique key.
        for adopted in tables {
            steps += on(adopted.table, createSteps(adopted) + columnSteps(adopted) + columnChangeSteps(adopted) + uniqueSteps(adopted))
        }
        steps.append(.init(.before, .orphans, "resolve orphans (--orphans delete|quarantine)"))
        for adopted in tables { steps += on(adopted.table, foreignKeySteps(adopted)) }
        for adopted in tables {
            steps += on(adopted.table, checks(adopted).filter { !adopted.afterBackfill.contains($0.resolvedName(table: adopted.table.name)) }
                .flatMap { checkSteps($0, on: adopted.table, phase: .before) })
        }
        for adopted in tables { steps += on(adopted.table, indexSteps(adopted)) }
        for adopted in tables where !adopted.table.commentSteps().isEmpty {
            steps += on(adopted.table, [.init(.before, .transaction, "comment on \(Self.name(adopted.table.qualifiedName)) and its columns",
                                              statements: adopted.table.commentSteps().map(\.sql))])
        }
        steps += counters.map(backfillStep)
        steps += backfills
        for adopted in tables {
            steps += on(adopted.table, checks(adopted).filter { adopted.afterBackfill.contains($0.resolvedName(table: adopted.table.name)) }
                .flatMap { checkSteps($0, on: adopted.table, phase: .after) })
        }
        return steps
    }

    func createSteps(_ adopted: AdoptedTable) -> [Adoption.Step] {
        let table = adopted.table
        return [.init(.before, .transaction, "create \(Self.name(table.qualifiedName)) (the app has none)",
                      done: "SELECT \(Self.regclass(table.qualifiedName)) IS NOT NULL",
                      statements: table.createSteps().filter(\.transactional).map(\.sql))]
    }

    func columnSteps(_ adopted: AdoptedTable) -> [Adoption.Step] {
        let table = adopted.table
        let name = Self.name(table.qualifiedName)
        var steps: [Adoption.Step] = []
        let addable = table.columns.filter { !adopted.expects.contains($0.name) }
        if !addable.isEmpty {
            let clauses = addable.map { "ADD COLUMN IF NOT EXISTS " + $0.definitionSQL }.joined(separator: ",\n    ")
            steps.append(.init(.before, .transaction, "add the missing columns of \(name): \(addable.map(\.name).joined(separator: ", "))",
                               done: Self.columnsExist(table.qualifiedName, addable.map(\.name)),
                               statements: ["ALTER TABLE \(table.qualifiedName.sql)\n    \(clauses)"]))
        }
        let defaults = table.columns.filter { $0.defaultExpression != nil }
        if !defaults.isEmpty {
            let clauses = defaults.map { "ALTER COLUMN \(SQLText.identifier($0.name)) SET DEFAULT \($0.defaultExpression!)" }
            steps.append(.init(.before, .transaction, "set the declared defaults of \(name)",
                               statements: ["ALTER TABLE \(table.qualifiedName.sql)\n    " + clauses.joined(separator: ",\n    ")]))
        }
        for key in keys where key.table == table.qualifiedName {
            steps += keySteps(key, table: table)
        }
        return steps
    }

    /// A kept key: a generated column the app (or release 0.3) made keeps its values; the
    /// trigger keeps new rows; batches fill the old ones, in key order, resumable.
    func keySteps(_ key: PolymorphicKey, table: Table) -> [Adoption.Step] {
        let name = Self.name(table.qualifiedName) + "." + key.column
        let column = SQLText.identifier(key.column)
        let id = SQLText.identifier(table.primaryKey?.columns.first ?? "id")
        let idType = table.column(table.primaryKey?.columns.first ?? "id")?.type.sql ?? "uuid"
        let fill = """
            WITH batch AS (
                SELECT c.\(id) FROM \(table.qualifiedName.sql) AS c
                WHERE :cursor IS NULL OR c.\(id) > CAST(:cursor AS \(idType))
                ORDER BY c.\(id)
                LIMIT \(Adoption.rowBatch)
            ), filled AS (
                UPDATE \(table.qualifiedName.sql) AS c SET \(column) = \(key.expression("c"))
                FROM batch AS b
                WHERE c.\(id) = b.\(id) AND c.\(column) IS DISTINCT FROM (\(key.expression("c")))
                RETURNING 1
            )
            SELECT (SELECT b.\(id)::text FROM batch AS b ORDER BY b.\(id) DESC LIMIT 1) AS cursor,
                   (SELECT pg_catalog.count(*) FROM filled) AS rows
            """
        return [
            .init(.before, .transaction, "keep \(name) plain: drop its generated expression (no rewrite, values kept)",
                  done: Self.attributeProbe(table.qualifiedName, key.column, ["a.attgenerated <> ''"], negated: true).query,
                  statements: ["ALTER TABLE \(table.qualifiedName.sql)\n    ALTER COLUMN \(column) DROP EXPRESSION IF EXISTS"]),
            .init(.before, .transaction, "keep \(name) by trigger (new and updated rows) until the repeatable set's is in",
                  done: CatalogProbe(from: "pg_catalog.pg_trigger AS t", conditions: [
                      "t.tgrelid = \(Self.regclass(table.qualifiedName))",
                      "t.tgname IN (\(SQLText.literal(key.triggerName)), \(SQLText.literal(key.bridgeTriggerName)))",
                  ]).query,
                  statements: key.bridgeStatements),
            .init(.before, .batches, "fill \(name) for existing rows, \(Adoption.rowBatch) per batch", statements: [fill]),
        ]
    }

    /// A unique key a foreign key needs: its index built concurrently, then attached.
    func uniqueSteps(_ adopted: AdoptedTable) -> [Adoption.Step] {
        let table = adopted.table
        return table.constraints.flatMap { constraint -> [Adoption.Step] in
            guard case .unique(let unique) = constraint else { return [] }
            let name = unique.resolvedName(table: table.name)
            let index = QualifiedName(table.schema, name)
            let exists = Self.constraintProbe(table.qualifiedName, name)
            return [
                .init(.before, .alone, "build the index of UNIQUE \(name) concurrently",
                      done: CatalogProbe.either(exists, "OR", Self.validIndexProbe(index)),
                      statements: ["CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \(SQLText.identifier(name))\n    ON \(table.qualifiedName.sql)"
                                   + " USING btree \(SQLList.identifiers(unique.columns))"], index: index),
                .init(.before, .transaction, "attach it as constraint \(name)", done: exists.query,
                      statements: ["ALTER TABLE \(table.qualifiedName.sql)\n    ADD CONSTRAINT \(SQLText.identifier(name)) UNIQUE USING INDEX \(SQLText.identifier(name))"]),
            ]
        }
    }

    func foreignKeySteps(_ adopted: AdoptedTable) -> [Adoption.Step] {
        let table = adopted.table
        return foreignKeys(adopted).flatMap { key -> [Adoption.Step] in
            let name = key.resolvedName(table: table.name)
            let old = adopted.superseding.first { $0.references == key.referencedTable }
            let superseded = old.map { old in
                """
                SELECT pg_catalog.format('ALTER TABLE \(table.qualifiedName.sql.replacingOccurrences(of: "'", with: "''")) DROP CONSTRAINT %I', k.conname)
                FROM pg_catalog.pg_constraint AS k
                WHERE k.conrelid = \(Self.regclass(table.qualifiedName)) AND k.contype = 'f'
                  AND k.confrelid = \(Self.regclass(old.references))
                  AND \(Self.placed(Self.constraintColumns, at: "      ")) = \(Self.textArray(old.columns))
                ORDER BY k.conname
                """
            }
            return [
                .init(.before, .transaction, "add FOREIGN KEY \(name) NOT VALID" + (old.map { ", replacing the app's key on \(SQLList.identifiers($0.columns))" } ?? ""),
                      done: Self.constraintExists(table.qualifiedName, name, columns: key.columns, foreignKey: key), superseded: superseded,
                      statements: table.addConstraintSteps(.foreignKey(key), notValid: true).map(\.sql)),
                // Ours and validated: the app's key of the same name (validated long ago) is not.
                .init(.before, .transaction, "validate \(name) (SHARE UPDATE EXCLUSIVE: writes go on)",
                      done: Self.constraintExists(table.qualifiedName, name, validated: true, columns: key.columns, foreignKey: key),
                      statements: table.validateConstraintSteps(name).map(\.sql)),
            ]
        }
    }

    func checkSteps(_ check: Check, on table: Table, phase: Adoption.Step.Phase) -> [Adoption.Step] {
        let name = check.resolvedName(table: table.name)
        return [
            .init(phase, .transaction, "add CHECK \(name) NOT VALID", done: Self.constraintExists(table.qualifiedName, name),
                  statements: table.addConstraintSteps(.check(check), notValid: true).map(\.sql)),
            .init(phase, .transaction, "validate \(name)", done: Self.constraintExists(table.qualifiedName, name, validated: true),
                  statements: table.validateConstraintSteps(name).map(\.sql)),
        ]
    }

    func indexSteps(_ adopted: AdoptedTable) -> [Adoption.Step] {
        let table = adopted.table
        return table.indexes.map { declared in
            var index = declared
            index.concurrently = true
            let name = index.resolvedName(table: table.name)
            return .init(.before, .alone, "build index \(name) concurrently",
                         done: Self.validIndexExists(QualifiedName(table.schema, name)),
                         statements: [index.createSQL(on: table.qualifiedName)], index: QualifiedName(table.schema, name))
        }
    }

    /// The repair, batch after batch in key order: each batch locks its parents, then counts
    /// in a new statement, so writers (whose triggers are in by now) are neither lost nor doubled.
    func backfillStep(_ counter: CounterCache) -> Adoption.Step {
        let fill = """
            SELECT r.last_key::text AS cursor, r.fixed AS rows
            FROM \(counter.repairFunctionName.sql)(
                p_parent => NULL, p_scope => NULL, p_force => false,
                p_after => CAST(:cursor AS \(counter.parentKeyType.sql)), p_batch => \(Adoption.parentBatch)) AS r
            """
        return .init(.after, .batches, "fill counter \(counter.name) for existing \(counter.parent.name), \(Adoption.parentBatch) per batch",
                     statements: [fill], table: counter.parent)
    }
}
