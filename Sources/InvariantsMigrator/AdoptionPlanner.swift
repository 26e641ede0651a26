import Invariants
import InvariantsSchema
import PostgresNIO

/// The plan of an adoption (``InvariantsSchema/Adoption``), computed from the live tables: what
/// they lack is added, what is done already is skipped, so a killed run resumes.
extension Migrator {
    /// The adoption's steps around the repeatable set, and the ledger rows that end it.
    struct AdoptionSteps {
        var before: [MigrationPlan.Step] = []
        var after: [MigrationPlan.Step] = []
        /// The app's triggers (and their functions) the repeatable set replaces: dropped first in
        /// its transaction (``InvariantsSchema/Adoption/supersededTriggers``).
        var supersededTriggerDrops: [String] = []
    }

    /// Whether `module` takes over existing tables: it declares an adoption, none of its
    /// migrations is applied, and one of its adoption's tables exists.
    func adopts(_ module: Module, status: MigrationStatus, session: SQLSession) async throws(InvariantsError) -> Adoption? {
        guard let adoption = module.adoption,
              !status.migrations.contains(where: { $0.module == module.name && $0.state != .pending }) else { return nil }
        let names = adoption.tables.map { SQLText.literal($0.schema + "." + $0.name) }.joined(separator: ", ")
        let present = try await scalar(
            "SELECT count(*) FROM unnest(ARRAY[\(names)]::text[]) AS t (name) WHERE pg_catalog.to_regclass(t.name) IS NOT NULL",
            as: Int64.self, session: session) ?? 0
        return present > 0 ? adoption : nil
    }

    func adoptionSteps(_ module: Module, _ adoption: Adoption, chosen: Bool, session: SQLSession) async throws(InvariantsError) -> AdoptionSteps {
        try await refuseMismatches(adoption, session: session)
        let orphans = try await findOrphans(adoption, session: session)
        let progress = try await adoptionProgress(adoption.module, session: session)
        var result = AdoptionSteps()
        for query in adoption.supersededTriggers {
            result.supersededTriggerDrops += try await session.rows(PostgresQuery(unsafeSQL: query)).compactMap { try? $0.decode(String.self) }
        }
        var created: Set<QualifiedName> = []
        for step in adoption.steps {
            // A table the adoption creates is created whole: its other steps have nothing to do.
            if let table = step.table, created.contains(table) { continue }
            let planned: [MigrationPlan.Step]
            switch step.run {
            case .orphans: planned = orphanSteps(adoption, orphans, progress: progress)
            case .batches:
                guard progress[step.title]?.finished != true else { continue }
                var size: String?
                if let table = step.table { size = try await rowCount(table, session: session) }
                planned = [batchStep(module: adoption.module, key: step.title, title: step.title + (size ?? ""), template: step.statements[0],
                                     cursor: progress[step.title]?.cursor)]
            case .transaction, .alone:
                if let done = step.done, try await scalar(done, as: Bool.self, session: session) == true { continue }
                planned = [try await statementStep(adoption, step, session: session)]
                if let table = step.table, step.statements.first?.hasPrefix("CREATE TABLE") == true { created.insert(table) }
            }
            if step.phase == .before { result.before += planned } else { result.after += planned }
        }
        result.after.append(ledgerStep(module, adoption, chosen: chosen))
        return result
    }

    // MARK: Refusals

    /// Every mismatch of the live tables in one refusal, before anything is written.
    private func refuseMismatches(_ adoption: Adoption, session: SQLSession) async throws(InvariantsError) {
        var problems = try await session.rows(PostgresQuery(unsafeSQL: adoption.expectations)).compactMap { try? $0.decode(String.self) }
        for violation in adoption.violations {
            let table = SQLText.literal(violation.table.schema + "." + violation.table.name)
            let columns = violation.columns.map(SQLText.literal).joined(separator: ", ")
            let present = try await scalar("""
                SELECT count(*) FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = pg_catalog.to_regclass(\(table))
                  AND a.attname IN (\(columns)) AND a.attnum > 0 AND NOT a.attisdropped
                """, as: Int64.self, session: session) ?? 0
            guard present == violation.columns.count else { continue }
            let count = try await scalar(violation.query, as: Int64.self, session: session) ?? 0
            if count > 0 {
                problems.append("\(violation.table.schema).\(violation.table.name): \(count) row(s) violate \(violation.label)")
            }
        }
        guard !problems.isEmpty else { return }
        throw InvariantsError(.invalidInput,
            "module \(adoption.module) cannot adopt the existing tables; nothing was changed:\n"
                + problems.map { "  - " + $0 }.joined(separator: "\n"),
            hint: "change the app's tables to fit (or the declaration, in a new module version), then run migrate again")
    }

    struct FoundOrphans {
        var orphans: Adoption.Orphans
        var count: Int64
        var sample: [String]
    }

    private func findOrphans(_ adoption: Adoption, session: SQLSession) async throws(InvariantsError) -> [FoundOrphans] {
        var found: [FoundOrphans] = []
        for orphans in adoption.orphans {
            let both = [orphans.table, orphans.parent].map { "pg_catalog.to_regclass(\(SQLText.literal($0.schema + "." + $0.name))) IS NOT NULL" }
            guard try await scalar("SELECT " + both.joined(separator: " AND "), as: Bool.self, session: session) == true else { continue }
            let count = try await scalar("SELECT count(*) FROM (\(orphans.query)) AS o", as: Int64.self, session: session) ?? 0
            guard count > 0 else { continue }
            let sample = try await session.rows(PostgresQuery(unsafeSQL: orphans.query + "\nLIMIT 5")).compactMap { try? $0.decode(String.self) }
            found.append(.init(orphans: orphans, count: count, sample: sample))
        }
        guard !found.isEmpty, options.orphans == .refuse else { return found }
        let lines = found.map {
            "  - \($0.orphans.table.schema).\($0.orphans.table.name): \($0.count) row(s) whose \($0.orphans.parent.schema).\($0.orphans.parent.name) row is gone"
                + " (\($0.orphans.key) \($0.sample.joined(separator: ", "))\($0.count > Int64($0.sample.count) ? ", …" : ""))"
        }
        let quarantines = found.map { "\($0.orphans.quarantine.schema).\($0.orphans.quarantine.name)" }.joined(separator: ", ")
        throw InvariantsError(.invalidInput,
            "module \(adoption.module) cannot add its foreign keys: orphans found; nothing was changed:\n" + lines.joined(separator: "\n"),
            hint: "run migrate again with --orphans delete (deletes them) or --orphans quarantine (moves them to \(quarantines))")
    }

    // MARK: Steps

    private func statementStep(_ adoption: Adoption, _ step: Adoption.Step, session: SQLSession) async throws(InvariantsError) -> MigrationPlan.Step {
        let title = "\(adoption.module): \(step.title)"
        if step.run == .alone {
            var statements = ["SET lock_timeout = '5000ms'"]
            var rebuilt: [String] = []
            if let index = step.index, try await isInvalidIndex(index, session: session) {
                statements.append("DROP INDEX CONCURRENTLY IF EXISTS \(index.sql)")
                rebuilt.append(index.description)
            }
            statements += step.statements + ["RESET lock_timeout"]
            return .init(kind: .adoption, title: title, transactional: false, statements: statements,
                         labels: statements.map { _ in step.title }, module: adoption.module, rebuildsInvalidIndexes: rebuilt)
        }
        var drops: [String] = []
        if let superseded = step.superseded {
            drops = try await session.rows(PostgresQuery(unsafeSQL: superseded)).compactMap { try? $0.decode(String.self) }
        }
        let statements = ["SET LOCAL lock_timeout = '5000ms'"] + drops + step.statements
        let replaced = drops.isEmpty ? "" : " (replaces the app's: \(drops.joined(separator: "; ")))"
        return .init(kind: .adoption, title: title + replaced, transactional: true, statements: statements,
                     labels: statements.map { _ in step.title }, module: adoption.module)
    }

    private func batchStep(module: String, key: String, title: String, template: String, cursor: String?) -> MigrationPlan.Step {
        let batch = MigrationPlan.Step.Batch(template: template, module: module, step: key, cursor: cursor, lockTimeoutMilliseconds: 5_000)
        let resumed = cursor.map { " (resuming after \($0))" } ?? ""
        return .init(kind: .adoption, title: "\(module): \(title)\(resumed)", transactional: true,
                     statements: ["SET LOCAL lock_timeout = '5000ms'", batch.statement(cursor: cursor)], labels: [nil, title],
                     module: module, batch: batch)
    }

    /// `--orphans delete|quarantine`: batches that delete (or move) the orphans found.
    private func orphanSteps(_ adoption: Adoption, _ found: [FoundOrphans], progress: [String: (cursor: String?, finished: Bool)])
        -> [MigrationPlan.Step]
    {
        guard options.orphans != .refuse else { return [] }
        return found.flatMap { item -> [MigrationPlan.Step] in
            let orphans = item.orphans
            let table = "\(orphans.table.schema).\(orphans.table.name)"
            let key = SQLText.identifier(orphans.key)
            let batch = "SELECT o.key FROM (\(orphans.query)) AS o LIMIT \(Adoption.rowBatch)"
            let gone = "DELETE FROM \(orphans.table.sql) AS c WHERE c.\(key)::text IN (\(batch)) RETURNING c.*"
            if options.orphans == .delete {
                let template = "WITH gone AS (\n    \(gone)\n)\nSELECT CASE WHEN count(*) > 0 THEN 'more' END AS cursor, count(*) AS rows FROM gone"
                return [batchStep(module: adoption.module, key: "delete orphans of \(table)",
                                  title: "delete \(item.count) orphan row(s) of \(table)", template: template, cursor: nil)]
            }
            let quarantine = orphans.quarantine.sql
            let create = [
                "SET LOCAL lock_timeout = '5000ms'",
                "CREATE TABLE IF NOT EXISTS \(quarantine) (LIKE \(orphans.table.sql) INCLUDING DEFAULTS)",
                "REVOKE ALL ON \(quarantine) FROM PUBLIC",
                "COMMENT ON TABLE \(quarantine) IS \(SQLText.literal("Rows of \(table) whose \(orphans.parent.schema).\(orphans.parent.name) row was gone, set aside by an adoption (--orphans quarantine)."))",
            ]
            let template = "WITH gone AS (\n    \(gone)\n), kept AS (\n    INSERT INTO \(quarantine) SELECT * FROM gone RETURNING 1\n)\n"
                + "SELECT CASE WHEN count(*) > 0 THEN 'more' END AS cursor, count(*) AS rows FROM kept"
            return [
                .init(kind: .adoption, title: "\(adoption.module): create the quarantine table \(quarantine)", transactional: true,
                      statements: create, labels: create.map { _ in nil }, module: adoption.module),
                batchStep(module: adoption.module, key: "quarantine orphans of \(table)",
                          title: "move \(item.count) orphan row(s) of \(table) to \(quarantine)", template: template, cursor: nil),
            ]
        }
    }

    /// Versions 1…N recorded as applied (the create form's checksums: both forms are one
    /// version), the adoption recorded, its progress rows gone.
    private func ledgerStep(_ module: Module, _ adoption: Adoption, chosen: Bool) -> MigrationPlan.Step {
        var statements = ["SET LOCAL lock_timeout = '5000ms'"]
        for migration in module.migrations where migration.version <= adoption.version {
            statements += Ledger.recordStatements(for: migration, checksum: MigrationFile.checksum(of: migration), chosen: chosen)
        }
        let name = SQLText.literal(adoption.module)
        statements.append("DELETE FROM \(Adoption.ledgerTable.sql) WHERE \"module\" = \(name)")
        statements.append("""
            INSERT INTO \(Adoption.ledgerTable.sql) ("module", "step", "finished_at")
            VALUES (\(name), 'adopted', now())
            """)
        return .init(kind: .ledger, title: "record module \(adoption.module) as adopted at version \(adoption.version)",
                     transactional: true, statements: statements, labels: statements.map { _ in nil }, module: adoption.module)
    }

    // MARK: Reading

    private func adoptionProgress(_ module: String, session: SQLSession) async throws(InvariantsError) -> [String: (cursor: String?, finished: Bool)] {
        guard try await scalar("SELECT to_regclass('invariants.adoptions') IS NOT NULL", as: Bool.self, session: session) == true else { return [:] }
        let rows = try await session.rows(PostgresQuery(unsafeSQL:
            "SELECT step, cursor, finished_at IS NOT NULL FROM invariants.adoptions WHERE module = \(SQLText.literal(module))"))
        var progress: [String: (cursor: String?, finished: Bool)] = [:]
        for row in rows {
            guard let (step, cursor, finished) = try? row.decode((String, String?, Bool).self) else { continue }
            progress[step] = (cursor, finished)
        }
        return progress
    }

    /// The batched steps of adoptions not yet recorded, for `status`.
    func adoptionProgressLines(session: SQLSession) async throws(InvariantsError) -> [String] {
        guard try await scalar("SELECT to_regclass('invariants.adoptions') IS NOT NULL", as: Bool.self, session: session) == true else { return [] }
        let rows = try await session.rows(PostgresQuery(unsafeSQL: """
            SELECT a.module || ': ' || a.step || ' — ' || a.rows || ' row(s)'
                   || CASE WHEN a.finished_at IS NOT NULL THEN ', done' ELSE ', at ' || COALESCE(a.cursor, 'the start') END
            FROM invariants.adoptions AS a
            WHERE NOT EXISTS (SELECT FROM invariants.adoptions AS d WHERE d.module = a.module AND d.step = 'adopted')
            ORDER BY a.module, a.started_at
            """))
        return rows.compactMap { try? $0.decode(String.self) }
    }

    /// `: about N rows in <table>` for a batched step's plan line: the planner's estimate
    /// (`reltuples`, no scan), or an exact count for a table never analyzed.
    private func rowCount(_ table: QualifiedName, session: SQLSession) async throws(InvariantsError) -> String {
        let estimate = try await scalar(
            "SELECT c.reltuples::bigint FROM pg_catalog.pg_class AS c WHERE c.oid = pg_catalog.to_regclass(\(SQLText.literal(table.schema + "." + table.name)))",
            as: Int64.self, session: session) ?? -1
        if estimate >= 0 { return ": about \(estimate) rows in \(table)" }
        let exact = try await scalar("SELECT count(*) FROM \(table.sql)", as: Int64.self, session: session) ?? 0
        return ": \(exact) rows in \(table)"
    }

    func scalar<T: PostgresDecodable>(_ sql: String, as type: T.Type, session: SQLSession) async throws(InvariantsError) -> T? {
        let rows = try await session.rows(PostgresQuery(unsafeSQL: sql))
        return try? rows.first?.decode(T.self)
    }
}
