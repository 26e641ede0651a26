import Foundation
import Invariants
import InvariantsSchema
import PostgresNIO

/// What an adoption changes for the app's roles: the repeatable set revokes what the platform
/// roles had on an adopted table (Supabase's default ALL among it), grants exactly what the module
/// declares and turns row level security on. An app still writing a column it may no longer write
/// fails loudly afterwards, so `plan` says it before anything runs, role by role.
extension Migrator {
    /// One line per adopted table and role whose privileges change (now → after), the table's
    /// row level security and policies, and the app's own policies that stay beside the module's.
    func accessChanges(_ module: Module, _ adoption: Adoption, session: SQLSession) async throws(InvariantsError) -> [String] {
        var lines: [String] = []
        for table in adoption.tables {
            let relation = SQLText.literal(table.schema + "." + table.name)
            guard try await scalar("SELECT pg_catalog.to_regclass(\(relation)) IS NOT NULL", as: Bool.self, session: session) == true
            else { continue }
            let security = module.repeatables.filter { $0.kind == .tableSecurity && $0.statements.contains { $0.contains(" \(table.sql)") } }
            let declared = DeclaredAccess(security.flatMap(\.statements), table: table)
            let live = try await livePrivileges(relation, session: session)
            for role in Set(live.keys).union(declared.grants.keys).sorted() {
                let now = live[role] ?? []
                let after = declared.revoked.contains(role) ? declared.grants[role] ?? [] : now
                if !declared.revoked.contains(role), declared.grants[role] == nil {
                    lines.append("\(table) \(role): \(Privilege.summary(now)) kept (a role the module does not manage)")
                    continue
                }
                guard Privilege.summary(now) != Privilege.summary(after) else { continue }
                lines.append("\(table) \(role): \(Privilege.summary(now)) → \(Privilege.summary(after))")
            }
            let policies = module.repeatables.filter { $0.kind == .policy && $0.key.hasPrefix("policy \(table).") }
                .map { String($0.key.dropFirst("policy \(table).".count)) }
            lines += try await securityLines(table, relation, enables: declared.enablesRowSecurity, policies: policies, session: session)
        }
        return lines
    }

    /// Each role's privileges on `relation`, table-wide or per column, its owner left out.
    private func livePrivileges(_ relation: String, session: SQLSession) async throws(InvariantsError) -> [String: Set<Privilege>] {
        let rows = try await session.rows(PostgresQuery(unsafeSQL: """
            WITH granted (grantee, privilege, column_name) AS (
                SELECT a.grantee, a.privilege_type, NULL::text
                FROM pg_catalog.pg_class AS c, pg_catalog.aclexplode(c.relacl) AS a
                WHERE c.oid = pg_catalog.to_regclass(\(relation)) AND a.grantee <> c.relowner
                UNION ALL
                SELECT a.grantee, a.privilege_type, t.attname::text
                FROM pg_catalog.pg_attribute AS t, pg_catalog.aclexplode(t.attacl) AS a
                WHERE t.attrelid = pg_catalog.to_regclass(\(relation)) AND t.attnum > 0 AND NOT t.attisdropped
            )
            SELECT COALESCE(r.rolname::text, 'PUBLIC'), g.privilege, g.column_name
            FROM granted AS g LEFT JOIN pg_catalog.pg_roles AS r ON r.oid = g.grantee
            """))
        var privileges: [String: Set<Privilege>] = [:]
        for row in rows {
            guard let (role, name, column) = try? row.decode((String, String, String?).self) else { continue }
            privileges[role, default: []].insert(Privilege(name: name, column: column))
        }
        return privileges
    }

    private func securityLines(_ table: QualifiedName, _ relation: String, enables: Bool, policies: [String],
                               session: SQLSession) async throws(InvariantsError) -> [String] {
        var lines: [String] = []
        let enabled = try await scalar("SELECT c.relrowsecurity FROM pg_catalog.pg_class AS c WHERE c.oid = pg_catalog.to_regclass(\(relation))",
                                       as: Bool.self, session: session) ?? false
        if enables, !enabled { lines.append("\(table): row level security off → on (a role sees only the rows a policy lets it)") }
        let live = try await session.rows(PostgresQuery(unsafeSQL: """
            SELECT p.polname::text FROM pg_catalog.pg_policy AS p WHERE p.polrelid = pg_catalog.to_regclass(\(relation)) ORDER BY 1
            """)).compactMap { try? $0.decode(String.self) }
        let added = policies.filter { !live.contains($0) }
        if !added.isEmpty { lines.append("\(table): policies added: \(added.joined(separator: ", "))") }
        let apps = live.filter { !policies.contains($0) }
        if !apps.isEmpty {
            lines.append("\(table): the app's policies stay: \(apps.joined(separator: ", "))"
                         + " (permissive policies add up: review them, or drop those the module's replace)")
        }
        return lines
    }
}

/// A privilege on a table, or on one of its columns.
struct Privilege: Hashable, Comparable {
    var name: String
    var column: String?

    static let table = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]

    static func < (lhs: Privilege, rhs: Privilege) -> Bool {
        let order = { (p: Privilege) in (table.firstIndex(of: p.name) ?? table.count, p.column ?? "") }
        let (left, right) = (order(lhs), order(rhs))
        return left.0 != right.0 ? left.0 < right.0 : left.1 < right.1
    }

    /// `ALL`, or the table-wide privileges then each column privilege as `UPDATE (a, b)`;
    /// `nothing` for none. A column privilege a table-wide one already covers is left out.
    static func summary(_ privileges: Set<Privilege>) -> String {
        let wide = Set(privileges.filter { $0.column == nil }.map(\.name))
        if Set(table).isSubset(of: wide) { return "ALL" }
        var parts = table.filter(wide.contains) + wide.subtracting(table).sorted()
        let columns = Dictionary(grouping: privileges.filter { $0.column != nil && !wide.contains($0.name) }, by: \.name)
        for name in columns.keys.sorted(by: { Privilege(name: $0) < Privilege(name: $1) }) {
            parts.append("\(name) (\(columns[name]!.compactMap(\.column).sorted().joined(separator: ", ")))")
        }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }
}

/// What the module's table security statements leave each role: the roles its `REVOKE ALL`
/// names lose everything but its `GRANT`s.
struct DeclaredAccess {
    var revoked: Set<String> = []
    var grants: [String: Set<Privilege>] = [:]
    var enablesRowSecurity = false

    init(_ statements: [String], table: QualifiedName) {
        let on = " ON TABLE \(table.sql) "
        for written in statements {
            // A long statement continues on an indented line (SQLLines): read it as one line.
            let statement = written.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: " ")
            if statement.contains("ENABLE ROW LEVEL SECURITY") { enablesRowSecurity = true }
            if statement.hasPrefix("REVOKE ALL\(on)FROM ") {
                revoked.formUnion(Self.roles(statement.dropFirst("REVOKE ALL\(on)FROM ".count)))
            } else if statement.hasPrefix("GRANT "), let range = statement.range(of: "\(on)TO ") {
                let what = statement[statement.index(statement.startIndex, offsetBy: 6)..<range.lowerBound]
                for role in Self.roles(statement[range.upperBound...]) {
                    grants[role, default: []].formUnion(Self.privileges(String(what)))
                }
            }
        }
    }

    /// `PUBLIC, "anon", "authenticated"` → the role names.
    static func roles(_ list: Substring) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\"", with: "") }
    }

    /// `ALL`, `SELECT`, `INSERT ("id", "display_name")` → privileges.
    static func privileges(_ text: String) -> Set<Privilege> {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "ALL" { return Set(Privilege.table.map { Privilege(name: $0) }) }
        guard let open = text.firstIndex(of: "(") else {
            return Set(text.split(separator: ",").map { Privilege(name: $0.trimmingCharacters(in: .whitespaces)) })
        }
        let name = text[..<open].trimmingCharacters(in: .whitespaces)
        let columns = text[text.index(after: open)...].dropLast().split(separator: ",")
        return Set(columns.map { Privilege(name: name, column: $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\"", with: "")) })
    }
}

extension Privilege {
    init(name: String) { self.init(name: name, column: nil) }
}
