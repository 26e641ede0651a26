/// A view as a value: its name, its query and who may read it.
///
/// Renders `CREATE OR REPLACE VIEW … WITH (security_invoker = true) AS …` (``createSQL``),
/// the exact read grants (``grantStatements``: `REVOKE ALL` from PUBLIC and every request
/// role, then `GRANT SELECT` to the readers), its drop (``dropSQL``) and its ledger key, so
/// that no module writes `DROP VIEW` text by hand.
///
/// ```swift
/// let tasks = View(QualifiedName("public", "generation_tasks"), readers: [.authenticated, .serviceRole], query: """
///     SELECT j.id, j.status FROM "public"."generation_jobs" AS j
///     """)
/// ```
///
/// A `security_invoker` view (the default) applies the reader's privileges and row-level
/// security to the tables it reads; without it, the view reads as its owner and bypasses RLS.
public struct View: Hashable, Sendable {
    /// The view's schema-qualified name.
    public var name: QualifiedName
    /// `WITH (security_invoker = true)`: the reader's RLS and grants apply (PostgreSQL 15+).
    public var securityInvoker: Bool
    /// The roles granted SELECT; every other request role (and PUBLIC) gets nothing.
    public var readers: [DatabaseRole]
    /// The view's query as trusted SQL text, rendered on the lines after `AS`.
    public var query: String

    /// Declares a view; `securityInvoker` is on unless you turn it off.
    public init(_ name: QualifiedName, securityInvoker: Bool = true, readers: [DatabaseRole], query: String) {
        self.name = name
        self.securityInvoker = securityInvoker
        self.readers = readers
        self.query = query
    }

    /// The ledger key, e.g. `view public.generation_tasks`.
    public var key: String { "view " + ObjectName.keyPart(name.schema) + "." + ObjectName.keyPart(name.name) }

    /// `CREATE OR REPLACE VIEW "schema"."name" WITH (security_invoker = true) AS` and the query
    /// on the following lines.
    public var createSQL: String {
        "CREATE OR REPLACE VIEW \(name.sql)" + (securityInvoker ? " WITH (security_invoker = true)" : "") + " AS\n" + query
    }

    /// `REVOKE ALL … FROM PUBLIC, anon, authenticated, service_role`, then `GRANT SELECT` to
    /// the readers (when there are any).
    public var grantStatements: [String] {
        var statements = ["REVOKE ALL ON TABLE \(name.sql) FROM PUBLIC, \(DatabaseRole.allSQL)"]
        if !readers.isEmpty {
            statements.append("GRANT SELECT ON TABLE \(name.sql) TO " + readers.map(\.sql).joined(separator: ", "))
        }
        return statements
    }

    /// `DROP VIEW IF EXISTS "schema"."name"` (no CASCADE: fails while another view uses it).
    public var dropSQL: String { "DROP VIEW IF EXISTS \(name.sql)" }

    /// The view and its grants as stored logic (kind ``RepeatableObject/Kind/view``).
    public func repeatableObject(source: String) -> RepeatableObject {
        RepeatableObject(kind: .view, key: key, source: source, statements: [createSQL] + grantStatements,
                         dropStatements: [dropSQL])
    }
}
