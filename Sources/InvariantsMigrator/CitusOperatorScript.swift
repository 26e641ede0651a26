import InvariantsSchema

/// The calls an operator runs on the coordinator, in an order Citus accepts: reference tables
/// first (a foreign key's target before the table that has the key), then each co-location
/// group's first table (`colocate_with => 'none'`: its own group), then the rest of the group
/// after the tables they reference.
struct CitusOperatorScript {
    let placements: CitusPlacementRule

    var statements: [String] {
        let ordered = dependencyOrder()
        var lines = ordered.compactMap { name -> String? in
            guard let entry = placements[name], entry.placement.kind == .reference else { return nil }
            return "SELECT create_reference_table(\(literal(name)));"
        }
        for name in ordered {
            guard let entry = placements[name], entry.placement.kind == .distributed, let column = entry.placement.column else { continue }
            let group = entry.placement.colocateWith.map { literal($0) } ?? "'none'"
            lines.append("SELECT create_distributed_table(\(literal(name)), \(literal(column)), colocate_with => \(group));")
        }
        let local = placements.all.filter { $0.kind == .local }.map(\.table)
        if !local.isEmpty { lines.append("-- left local on the coordinator: " + local.joined(separator: ", ")) }
        return lines
    }

    /// Depth first over foreign keys and co-location: what a table needs comes before it.
    private func dependencyOrder() -> [QualifiedName] {
        var done = Set<QualifiedName>(), visiting = Set<QualifiedName>(), result: [QualifiedName] = []
        func visit(_ name: QualifiedName) {
            guard !done.contains(name), !visiting.contains(name), let entry = placements[name] else { return }
            visiting.insert(name)
            var needs: [QualifiedName] = []
            if let leader = entry.placement.colocateWith, let split = split(leader) { needs.append(split) }
            for case .foreignKey(let key) in entry.table?.constraints ?? [] { needs.append(key.referencedTable) }
            needs.forEach(visit)
            visiting.remove(name)
            done.insert(name)
            result.append(name)
        }
        placements.order.forEach(visit)
        return result
    }

    private func split(_ description: String) -> QualifiedName? {
        let parts = description.split(separator: ".", maxSplits: 1).map(String.init)
        return parts.count == 2 ? QualifiedName(parts[0], parts[1]) : nil
    }

    /// `'schema.table'`, a regclass literal (the catalog's names are lowercase identifiers).
    private func literal(_ name: QualifiedName) -> String { literal(name.description) }

    private func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
