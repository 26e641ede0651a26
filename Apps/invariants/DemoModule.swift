import ChatLogs
import Generations
import GigResponses
import Invariants
import InvariantsCLI
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

    static var migration: Migration {
        Migration(module: "demo", version: 1, name: "demo_notes", source: "InvariantsCommand.DemoModule",
                  steps: [schema.createStep()] + notebooks.createSteps() + notes.createSteps())
    }

    static var repeatables: [RepeatableObject] { UpdatedAt(notes).repeatableObjects() }

    static var module: Module {
        Module("demo", dependsOn: ["core"], summary: "the demo's notebooks and notes", migrations: [migration], repeatables: repeatables)
    }

    /// The project's catalog plus this module, installed with the default set.
    /// (The updated_at trigger function is core's: the demo module depends on it.)
    static func catalog(extending base: Catalog) throws -> Catalog {
        do throws(SchemaError) {
            return try Catalog(modules: base.modules + [module], defaultModules: base.defaultModules + ["demo"],
                               linearHistory: base.linearHistory)
        } catch {
            throw InvariantsError(.invalidMigrationFile, error.message)
        }
    }
}
