public import InvariantsSchema
import ChatLogs
import Generations
import GigResponses
import ModelWorkRecord
import SupportChat

/// The bundled catalog: the framework's modules (`core`, `auth`) and the five seed apps as
/// modules, rendered by `invariants generate` into `sql/`.
///
/// A migration, once released (`sql/RELEASED`), stays in its module forever with the same
/// version and name; changes to its tables go into a new migration of that module.
public enum ProjectCatalog {
    /// The five apps: what a plain `invariants migrate` installs on an empty database (the
    /// demo platform). An app's own catalog declares its own default.
    public static let defaultModules = ["model_work_record", "chat_logs", "gig_responses", "generations", "support_chat"]

    public static let catalog: Catalog = {
        do throws(SchemaError) {
            return try Catalog(
                modules: [
                    CoreModule.module, AuthModule.module, ModelWorkRecordModule.module, ChatLogsModule.module,
                    GigResponsesModule.module, GenerationsModule.module, SupportChatModule.module,
                ],
                defaultModules: defaultModules, linearHistory: linearHistory)
        } catch {
            fatalError("the bundled catalog is invalid: \(error.message)")
        }
    }()

    /// Releases 0.1 and 0.2 had one linear stream (`sql/linear/migrations/`). Each of its
    /// migrations created exactly what these module versions create, so a database migrated
    /// with it is mapped onto the modules in place.
    public static let linearHistory: [LinearMigration] = [
        LinearMigration(version: 1, name: "invariants_core", equivalents: [ModuleVersion("core", 1)]),
        LinearMigration(version: 2, name: "auth_shim", equivalents: [ModuleVersion("auth", 1)]),
        LinearMigration(version: 3, name: "model_work_record", equivalents: [ModuleVersion("model_work_record", 1)]),
        LinearMigration(version: 4, name: "chat_logs", equivalents: [ModuleVersion("chat_logs", 1)]),
        // The repair audit, created by gig_responses then, is core's now: every counter writes it.
        LinearMigration(version: 5, name: "gig_responses", equivalents: [ModuleVersion("core", 2), ModuleVersion("gig_responses", 1)]),
        LinearMigration(version: 6, name: "generations", equivalents: [ModuleVersion("generations", 1)]),
        LinearMigration(version: 7, name: "support_chat", equivalents: [ModuleVersion("support_chat", 1)]),
        LinearMigration(version: 8, name: "chat_logs_cost_index", equivalents: [ModuleVersion("chat_logs", 2)]),
    ]

    /// Every module's invariants as queries (see ``InvariantCheck``).
    public static var checks: [InvariantCheck] { catalog.checks }
}
