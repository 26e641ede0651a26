/// A PostgreSQL schema (namespace) that generated objects live in.
public struct Schema: Hashable, Sendable {
    public var name: String

    /// The schema named `name`.
    public init(_ name: String) { self.name = name }

    /// The schema that holds the project's stored logic (trigger functions and helpers).
    public static let invariants = Schema("invariants")

    /// `CREATE SCHEMA IF NOT EXISTS "name"`.
    public func createStep() -> MigrationStep {
        MigrationStep("CREATE SCHEMA IF NOT EXISTS " + SQLText.identifier(name))
    }

    /// A name in this schema.
    public func callAsFunction(_ objectName: String) -> QualifiedName { QualifiedName(name, objectName) }
}
