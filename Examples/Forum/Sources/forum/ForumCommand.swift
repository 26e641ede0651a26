import Forum
import InvariantsCLI

/// `forum`: every command of the framework's CLI (generate, migrate, status, …) for the forum's catalog.
@main
enum ForumCommand {
    static func main() async {
        await InvariantsCommandLine.main(CommandLineApp(name: "forum", catalog: ForumCatalog.catalog))
    }
}
