import InvariantsCLI
import SeedApps

/// The bundled `invariants`: the CLI library with the five seed apps, the demo, and seed 004's
/// own names for its counter tools.
@main
enum InvariantsCommand {
    static func main() async {
        await InvariantsCommandLine.main(CommandLineApp(
            name: "invariants", catalog: ProjectCatalog.catalog,
            extraCommands: [DemoCommand.self, SyncCountsCommand.self, CheckCountsCommand.self]))
    }
}
