import InvariantsSchema

/// Chooses each table's place on a Citus cluster from the declarations: its tenant column
/// (distributed, co-located with the tenant's other tables), or a reference table.
struct CitusPlacementRule {
    /// One analyzed table: its declaration when the module declares it in Swift.
    struct Entry {
        var module: String
        var name: QualifiedName
        var table: Table?
        var placement: CitusReport.TablePlacement
        /// The co-location group (the tenant column's name) of a distributed table.
        var group: String?
        var columnType: String?
    }

    static let explanation = """
        A table is distributed by its tenant column, the first of \(CitusReport.tenantColumns.joined(separator: ", ")) it declares \
        (the column its RLS policy and keys name); a table that others reference by their tenant column is the tenant's own table, \
        distributed by the referenced key; a table whose single-column primary key references auth.users is one row per user, \
        distributed by that key. Tables of one tenant column are co-located with the first of them (the tenant's own table when \
        there is one). A table without a tenant is a reference table (a copy on every node), and so is auth.users, which tables of \
        several tenants reference; the migrator's ledger stays on the coordinator.
        """

    /// Modules whose tables are written as SQL, placed here by name.
    static let frameworkModules: Set<String> = ["core", "auth"]

    private(set) var entries: [QualifiedName: Entry] = [:]
    /// In catalog order.
    private(set) var order: [QualifiedName] = []

    init(modules: [Module]) {
        for module in modules {
            for (name, kind, reason) in Self.frameworkTables(of: module.name) {
                add(Entry(module: module.name, name: name, table: nil, placement: .init(
                    table: name.description, module: module.name, kind: kind, column: nil, colocateWith: nil, reason: reason)))
            }
        }
        let declared = modules.flatMap { module in module.declaredTables.reversed().map { (module.name, $0) } }
        let roots = Self.tenantRoots(declared.map(\.1))
        var leaders: [String: QualifiedName] = [:]
        // The tenant's own tables lead their groups.
        for (_, table) in declared { if let root = roots[table.qualifiedName] { leaders[root.group] = leaders[root.group] ?? table.qualifiedName } }
        for (module, table) in declared {
            let name = table.qualifiedName
            var entry = Entry(module: module, name: name, table: table, placement: .init(
                table: name.description, module: module, kind: .reference, column: nil, colocateWith: nil,
                reason: "no tenant column (\(CitusReport.tenantColumns.joined(separator: ", "))): shared by every tenant"))
            if let tenant = CitusReport.tenantColumns.first(where: { table.column($0) != nil }) {
                entry.group = tenant
                entry.placement.kind = .distributed
                entry.placement.column = tenant
                entry.placement.reason = "its tenant column \(tenant)"
            } else if let root = roots[name] {
                entry.group = root.group
                entry.placement.kind = .distributed
                entry.placement.column = root.column
                entry.placement.reason = "the tenant's own table: other tables reference it by \(root.group)"
            } else if let key = table.primaryKey, key.columns.count == 1, Self.referencesUsers(table, column: key.columns[0]) {
                entry.group = "user_id"
                entry.placement.kind = .distributed
                entry.placement.column = key.columns[0]
                entry.placement.reason = "one row per user: its primary key \(key.columns[0]) references auth.users"
            }
            if let group = entry.group, let column = entry.placement.column {
                entry.columnType = table.column(column)?.type.sql
                let leader = leaders[group] ?? name
                leaders[group] = leader
                if leader != name { entry.placement.colocateWith = leader.description }
            }
            add(entry)
        }
    }

    private mutating func add(_ entry: Entry) {
        if entries[entry.name] == nil { order.append(entry.name) }
        entries[entry.name] = entry
    }

    var all: [CitusReport.TablePlacement] { order.compactMap { entries[$0]?.placement } }

    subscript(name: QualifiedName) -> Entry? { entries[name] }

    /// Tables other declared tables reference through a tenant column: `gigs.workspace_id →
    /// workspaces.id` makes `workspaces` the workspace tenant's own table.
    private static func tenantRoots(_ tables: [Table]) -> [QualifiedName: (group: String, column: String)] {
        var roots: [QualifiedName: (group: String, column: String)] = [:]
        let declared = Set(tables.map(\.qualifiedName))
        for table in tables {
            for case .foreignKey(let key) in table.constraints where key.columns.count == 1 && declared.contains(key.referencedTable) {
                let column = key.columns[0]
                guard CitusReport.tenantColumns.contains(column), let target = tables.first(where: { $0.qualifiedName == key.referencedTable }),
                    target.column(column) == nil
                else { continue }
                roots[key.referencedTable] = roots[key.referencedTable] ?? (column, key.referencedColumns[0])
            }
        }
        return roots
    }

    private static func referencesUsers(_ table: Table, column: String) -> Bool {
        table.constraints.contains { constraint in
            if case .foreignKey(let key) = constraint { return key.columns == [column] && key.referencedTable == QualifiedName("auth", "users") }
            return false
        }
    }

    /// The tables of `core` and `auth`, which are written as SQL in their migrations.
    private static func frameworkTables(of module: String) -> [(QualifiedName, CitusReport.TablePlacement.Kind, String)] {
        switch module {
        case "core":
            return [
                (QualifiedName("invariants", "module_migrations"), .local, "the migrator's ledger: read and written by the migrator on the coordinator only"),
                (QualifiedName("invariants", "installed_modules"), .local, "the migrator's ledger: read and written by the migrator on the coordinator only"),
                (QualifiedName("invariants", "repeatable_objects"), .local, "the migrator's ledger: read and written by the migrator on the coordinator only"),
                (QualifiedName("invariants", "error_codes"), .reference, "the project's error codes, read by functions wherever they run"),
                (QualifiedName("invariants", "counter_repairs"), .reference, "the repair audit, written by counter repairs of every tenant (no tenant column)"),
            ]
        case "auth":
            return [(QualifiedName("auth", "users"), .reference,
                     "referenced by tables of several tenants (workspace members by workspace, user rows by user): a reference table keeps every such foreign key legal; on Supabase it is Supabase's table and is not ours to place")]
        default:
            return []
        }
    }
}
