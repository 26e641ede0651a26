import Invariants
import InvariantsSchema

/// A small module declared only for the demo: notebooks and their notes, with the
/// updated_at invariant. It shows the whole flow (declaration → SQL → database → client)
/// without touching the project's catalog.
enum DemoModule {
    static let schema = Schema("demo")

    static let notebooks = Table("demo", "notebooks", comment: "Demo: a notebook owns notes.") {
        Column("id", .bigint, nullable: false, identity: .always)
        Column("title", .text, nullable: false)
        PrimaryKey("id")
    }

    static let notes = Table("demo", "notes", comment: "Demo: updated_at is owned by the database.") {
        Column("id", .bigint, nullable: false, identity: .always)
        Column("notebook_id", .bigint, nullable: false)
        Column("slug", .text, nullable: false)
        Column("title", .text, nullable: false)
        Column("body", .json, nullable: false, default: "'{}'::json")
        Column("updated_at", .timestamptz, nullable: false, default: "now()")
        PrimaryKey("id")
        ForeignKey(["notebook_id"], references: notebooks.qualifiedName, ["id"], onDelete: .cascade)
        Unique("slug")
        Check("length(title) BETWEEN 1 AND 200", columns: ["title"])
        Index("notebook_id")
    }

    static func migration(version: Int) -> Migration {
        Migration(version: version, name: "demo_notes", source: "InvariantsCommand.DemoModule",
                  steps: [schema.createStep()] + notebooks.createSteps() + notes.createSteps())
    }

    static var repeatables: [RepeatableObject] { UpdatedAt(notes).repeatableObjects() }

    /// The project's catalog plus this module.
    /// (The updated_at trigger function is shared with the catalog's tables: merged by key.)
    static func catalog(extending base: Catalog) throws -> Catalog {
        do {
            return Catalog(migrations: base.migrations + [migration(version: base.migrations.count + 1)],
                           repeatables: try RepeatableObject.merged([base.repeatables, repeatables]))
        } catch {
            throw InvariantsError(.invalidMigrationFile, error.description)
        }
    }
}
