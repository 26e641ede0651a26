import InvariantsSchema

/// The findings of triggers, trigger functions, views and stored functions, read from their
/// rendered statements (the repeatable set), given where each table goes.
struct CitusStoredLogicRules {
    let placements: CitusPlacementRule
    let modules: [Module]
    let catalog: Catalog

    func findings() -> [CitusReport.Finding] {
        // Trigger functions may live in a dependency (core's shared updated_at function).
        var functions: [QualifiedName: String] = [:]
        for module in catalog.modules {
            for object in module.repeatables where object.kind == .triggerFunction || object.kind == .function {
                guard let text = object.statements.first, let name = CitusSQLText.createdFunction(text) else { continue }
                functions[name] = text
            }
        }
        var findings: [CitusReport.Finding] = []
        for module in modules {
            for object in module.repeatables {
                guard let text = object.statements.first else { continue }
                switch object.kind {
                case .trigger: findings += triggerFindings(text, module: module.name, functions: functions)
                case .view, .function: findings += aggregateFindings(object, text, module: module.name)
                default: continue
                }
            }
        }
        return findings
    }

    private func triggerFindings(_ text: String, module: String, functions: [QualifiedName: String]) -> [CitusReport.Finding] {
        guard let (trigger, tableName, functionName) = CitusSQLText.trigger(text), let table = placements[tableName],
            table.placement.kind != .local
        else { return [] }
        let object = "trigger \(trigger) on \(tableName)"
        let body = functions[functionName] ?? ""
        var findings: [CitusReport.Finding] = []
        var colocatedWrites: [String] = []
        for written in Set(CitusSQLText.writtenTables(body)).sorted() where written != tableName {
            guard let target = placements[written] else { continue }
            switch target.placement.kind {
            case .distributed where target.group == table.group && table.placement.kind == .distributed:
                let column = target.placement.column!
                if CitusSQLText.mentions(body, column: column) {
                    colocatedWrites.append("\(written) (co-located by \(column): the row is on the trigger's shard)")
                } else {
                    findings.append(.init(
                        rule: "trigger-writes-other-tenant", object: object, module: module,
                        problem: "\(functionName) writes \(written) without naming its distribution column \(column): from a shard's trigger that write goes to every shard, other tenants' included",
                        change: "add \(column) = the row's \(column) to \(functionName)'s writes of \(written)", madeBy: .project))
                }
            case .distributed:
                findings.append(.init(
                    rule: "trigger-writes-other-tenant", object: object, module: module,
                    problem: "\(functionName) writes \(written), which is distributed by \(target.placement.column!) in another co-location group: the write leaves the trigger's shard and may reach another tenant's rows",
                    change: "give \(written) the tenant column of \(tableName), or move the write out of the trigger", madeBy: .project))
            case .reference, .local:
                findings.append(.init(
                    rule: "trigger-writes-shared-table", object: object, module: module,
                    problem: "\(functionName) writes \(written), a \(target.placement.kind.rawValue) table: from a shard's trigger that is a write to every node (or to the coordinator), not a shard-local one",
                    change: "move the write out of the trigger, into the function the app calls (run on the coordinator)", madeBy: .project))
            }
        }
        findings.insert(.init(
            rule: "trigger-needs-unsafe-triggers", object: object, module: module,
            problem: "Citus keeps citus.enable_unsafe_triggers off by default and refuses triggers on \(table.placement.kind.rawValue) tables; with it on, \(functionName) runs on each shard with that shard's rows"
                + (colocatedWrites.isEmpty ? "" : "; it writes " + colocatedWrites.joined(separator: ", ")),
            change: "set citus.enable_unsafe_triggers = on on every node (ALTER SYSTEM), after the trigger findings of this report are removed",
            madeBy: .operator), at: 0)
        if CitusSQLText.notifies(body) {
            findings.append(.init(
                rule: "notify-from-trigger", object: object, module: module,
                problem: "\(functionName) sends NOTIFY: on a worker it reaches only sessions connected to that worker, and the app LISTENs on the coordinator",
                change: "configure the app's clients to poll (the client's polling fallback) or LISTEN on every worker",
                madeBy: .operator))
        }
        return findings
    }

    /// An aggregate over every tenant's rows cannot be routed to one shard: Citus runs it on all
    /// shards and merges on the coordinator.
    private func aggregateFindings(_ object: RepeatableObject, _ text: String, module: String) -> [CitusReport.Finding] {
        guard CitusSQLText.aggregates(text) else { return [] }
        let global = Set(CitusSQLText.readTables(text)).sorted().filter { name in
            guard let entry = placements[name], entry.placement.kind == .distributed, let column = entry.placement.column else { return false }
            return !CitusSQLText.filtersOrGroups(text, column: column)
        }
        guard !global.isEmpty else { return [] }
        let name = object.key.split(separator: " ", maxSplits: 1).last.map(String.init) ?? object.key
        return [.init(
            rule: "global-aggregate", object: "\(object.kind.rawValue) \(name)", module: module,
            problem: "aggregates rows of every tenant of \(global.map(\.description).joined(separator: ", ")) (no filter or grouping by the distribution column): not a single-shard query, it needs a coordinator query over every shard",
            change: "nothing in the schema: run it on the coordinator (Citus merges the shards' partial aggregates) or on a replica; keep a rollup table if that is too slow",
            madeBy: .operator)]
    }
}
