import InvariantsSchema

/// The findings of keys, foreign keys, cascades and counters, given where each table goes.
struct CitusTableRules {
    let placements: CitusPlacementRule

    func findings() -> [CitusReport.Finding] {
        var findings: [CitusReport.Finding] = []
        for name in placements.order {
            guard let entry = placements[name], let table = entry.table else { continue }
            findings += keyFindings(entry, table)
            for case .foreignKey(let key) in table.constraints { findings += foreignKeyFindings(entry, table, key) }
        }
        findings += colocationTypeFindings()
        return findings
    }

    /// Citus: "Distributed relations cannot have UNIQUE, EXCLUDE, or PRIMARY KEY constraints
    /// that do not include the partition column" — a shard can only check uniqueness of its own rows.
    private func keyFindings(_ entry: CitusPlacementRule.Entry, _ table: Table) -> [CitusReport.Finding] {
        guard entry.placement.kind == .distributed, let column = entry.placement.column else { return [] }
        var findings: [CitusReport.Finding] = []
        for constraint in table.constraints {
            let (rule, kind, columns): (String, String, [String])
            switch constraint {
            case .primaryKey(let key): (rule, kind, columns) = ("primary-key-without-distribution-column", "primary key", key.columns)
            case .unique(let key): (rule, kind, columns) = ("unique-without-distribution-column", "unique key", key.columns)
            default: continue
            }
            guard !columns.contains(column) else { continue }
            findings.append(.init(
                rule: rule, object: "\(entry.name) (\(constraint.resolvedName(table: table.name)))", module: entry.module,
                problem: "the \(kind) (\(columns.joined(separator: ", "))) does not include the distribution column \(column): Citus refuses it, since each shard can only check uniqueness among its own rows",
                change: "make the \(kind) of \(entry.name) (\(([column] + columns).joined(separator: ", "))), and point foreign keys at it with \(column) first",
                madeBy: .project))
        }
        return findings
    }

    /// A foreign key between distributed tables must be co-located and include the distribution
    /// column on both sides; from a distributed table to a reference table anything goes; from a
    /// reference table to a distributed one nothing does.
    private func foreignKeyFindings(_ entry: CitusPlacementRule.Entry, _ table: Table, _ key: ForeignKey) -> [CitusReport.Finding] {
        guard let target = placements[key.referencedTable] else { return [] }
        let object = "\(entry.name) (\(key.resolvedName(table: table.name)))"
        let cascades = key.onDelete != .noAction && key.onDelete != .restrict
        switch (entry.placement.kind, target.placement.kind) {
        case (.distributed, .distributed):
            let column = entry.placement.column!, targetColumn = target.placement.column!
            let aligned = zip(key.columns, key.referencedColumns).contains { $0 == column && $1 == targetColumn }
            if entry.group == target.group && aligned { return [] }
            let why = entry.group != target.group
                ? "\(entry.name) (by \(column)) and \(key.referencedTable) (by \(targetColumn)) are in different co-location groups"
                : "the key (\(key.columns.joined(separator: ", "))) → (\(key.referencedColumns.joined(separator: ", "))) does not pair \(column) with \(targetColumn)"
            let change = entry.group != target.group
                ? "make \(key.referencedTable) a reference table, or give \(entry.name) and \(key.referencedTable) one tenant column"
                : "reference (\(([column] + key.columns).joined(separator: ", "))) → \(key.referencedTable) (\(([targetColumn] + key.referencedColumns).joined(separator: ", "))), backed by a unique key on those columns"
            if cascades {
                return [.init(
                    rule: "cascade-across-shards", object: object, module: entry.module,
                    problem: "ON DELETE \(key.onDelete.sql) between distributed tables not on the distribution column: \(why); the cascade could reach rows on other shards (another tenant's), and Citus refuses the key",
                    change: change, madeBy: .project)]
            }
            return [.init(
                rule: "foreign-key-not-on-distribution-column", object: object, module: entry.module,
                problem: "a foreign key between distributed tables not on the distribution column: \(why); Citus refuses it",
                change: change, madeBy: .project)]
        case (.reference, .distributed):
            return [.init(
                rule: "reference-table-references-distributed", object: object, module: entry.module,
                problem: "a reference table (a copy on every node) cannot reference a distributed table: Citus refuses the key",
                change: "distribute \(entry.name) by a tenant column, or drop the key", madeBy: .project)]
        default:
            return []
        }
    }

    /// Co-location needs one column type per group.
    private func colocationTypeFindings() -> [CitusReport.Finding] {
        var types: [String: (type: String, table: QualifiedName)] = [:]
        var findings: [CitusReport.Finding] = []
        for name in placements.order {
            guard let entry = placements[name], let group = entry.group, let type = entry.columnType else { continue }
            guard let first = types[group] else { types[group] = (type, name); continue }
            if first.type != type {
                findings.append(.init(
                    rule: "colocation-type-mismatch", object: name.description, module: entry.module,
                    problem: "its distribution column is \(type), \(first.table)'s is \(first.type): Citus co-locates only columns of one type",
                    change: "give \(name).\(entry.placement.column ?? "") the type \(first.type)", madeBy: .project))
            }
        }
        return findings
    }

    /// A counter's triggers update the parent of each child row: shard-local only when both are
    /// in one co-location group and the link carries the distribution column.
    func counterPlacement(_ counter: CounterCache, module: String, findings: inout [CitusReport.Finding]) -> CitusReport.CounterPlacement {
        let parent = placements[counter.parent], child = placements[counter.child]
        var result = CitusReport.CounterPlacement(
            counter: counter.name, parent: counter.parent.description, child: counter.child.description, colocated: false, detail: "")
        guard let parent, let child, parent.placement.kind == .distributed, child.placement.kind == .distributed,
            let column = parent.placement.column
        else {
            result.detail = "parent or child is not a distributed table"
            findings.append(counterFinding(counter, module: module, why: result.detail))
            return result
        }
        let linkCarriesTenant = counter.scope == column || counter.parentKey == column
        if parent.group == child.group && linkCarriesTenant {
            result.colocated = true
            result.detail = "both distributed by \(child.placement.column!) and co-located; the parent of a child row is on the child's shard"
                + (counter.scope == column ? " (the counter's scope is \(column))" : " (the parent key is \(column))")
        } else {
            result.detail = parent.group != child.group
                ? "\(counter.child) (by \(child.placement.column!)) and \(counter.parent) (by \(column)) are in different co-location groups"
                : "the link to the parent does not carry \(column) (declare the counter's scope \(column))"
            findings.append(counterFinding(counter, module: module, why: result.detail))
        }
        return result
    }

    private func counterFinding(_ counter: CounterCache, module: String, why: String) -> CitusReport.Finding {
        .init(rule: "counter-not-colocated", object: "counter \(counter.name)", module: module,
              problem: "its trigger on \(counter.child) updates \(counter.parent): \(why), so the update leaves the shard",
              change: "give \(counter.child) and \(counter.parent) one tenant column and declare it as the counter's scope",
              madeBy: .project)
    }
}
