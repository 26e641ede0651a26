import Forum
import Foundation
import InvariantsMigrator
import InvariantsTesting
import Testing

@Suite("Forum: the app's CLI and its committed SQL")
struct ForumCommandTests {
    @Test("sql/ and extension/ are what the declarations render (generate --check, in-process and by the CLI)")
    func generatedIsCurrent() async throws {
        let directory = SQLDirectory(path: packageRoot + "/sql")
        let extensionDirectory = ExtensionDirectory.locate(nil, besides: directory)
        let differences = try directory.differences(from: ForumCatalog.catalog)
            + extensionDirectory.differences(from: ForumCatalog.catalog, releases: try directory.releaseMarker())
        #expect(differences.isEmpty, "stale: \(differences.map(\.file)) — run `swift run forum generate` in Examples/Forum")

        let check = try await forum(["generate", "--check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test("forum migrate installs the forum on an empty database; forum status is then up to date")
    func migrateThenStatus() async throws {
        let server = try await ThrowawayPostgres.shared()
        let database = try await server.makeDatabase(from: nil)
        let url = ["DATABASE_URL": database.url]

        let before = try await forum(["status"], environment: url)
        #expect(before.status == 1, "an empty database is not up to date: \(before.stdout)")
        let migrate = try await forum(["migrate"], environment: url)
        #expect(migrate.status == 0, "\(migrate.stdout)\(migrate.stderr)")
        let status = try await forum(["status"], environment: url)
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("forum"))
        let counters = try await forum(["counters", "check"], environment: url)
        #expect(counters.status == 0, "\(counters.stdout)\(counters.stderr)")
        let again = try await forum(["migrate"], environment: url)
        #expect(again.status == 0)
        try await database.drop()
    }
}

@Suite("README: every snippet marked as taken from a file is in that file")
struct ReadmeSnippetTests {
    /// A fenced code block preceded by `<!-- from PATH -->`.
    struct Snippet {
        var path: String
        var line: Int
        var code: [String]
    }

    static func snippets(in readme: String) -> [Snippet] {
        let lines = readme.components(separatedBy: "\n")
        var snippets: [Snippet] = []
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
            guard line.hasPrefix("<!-- from "), line.hasSuffix("-->") else { continue }
            let path = line.dropFirst("<!-- from ".count).dropLast("-->".count).trimmingCharacters(in: .whitespaces)
            guard index < lines.count, lines[index].hasPrefix("```") else {
                snippets.append(Snippet(path: path, line: index, code: []))  // a marker without a block: fails below
                continue
            }
            let start = index
            index += 1
            var code: [String] = []
            while index < lines.count, !lines[index].hasPrefix("```") {
                code.append(lines[index])
                index += 1
            }
            index += 1
            snippets.append(Snippet(path: path, line: start, code: code))
        }
        return snippets
    }

    /// Lines compared without their leading whitespace (a Makefile's tab, a nested declaration's indent).
    static func contains(_ file: String, _ code: [String]) -> Bool {
        let fileLines = file.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let block = code.map { $0.trimmingCharacters(in: .whitespaces) }
        guard !block.isEmpty, block.count <= fileLines.count else { return false }
        return (0...(fileLines.count - block.count)).contains { start in
            Array(fileLines[start..<(start + block.count)]) == block
        }
    }

    @Test("the README's \"Use it in your app\" walk-through is taken from Examples/Forum, verbatim")
    func snippetsAreVerbatim() throws {
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        let hasSection = readme.contains("## Use it in your app")
        #expect(hasSection, "README.md has no \"Use it in your app\" section")
        let snippets = Self.snippets(in: readme)
        #expect(snippets.count >= 8, "found \(snippets.count) marked snippets")
        for snippet in snippets {
            guard let file = try? String(contentsOfFile: repositoryRoot + "/" + snippet.path, encoding: .utf8) else {
                Issue.record("README.md:\(snippet.line): \(snippet.path) does not exist")
                continue
            }
            let found = Self.contains(file, snippet.code)
            #expect(found, "README.md:\(snippet.line + 1): the block is not in \(snippet.path) (copy it from there again)")
        }
    }

    @Test("the snippet check catches a changed line")
    func checkerCatchesDrift() {
        let file = "a\n\tb\n  c\n"
        #expect(Self.contains(file, ["b", "c"]))
        #expect(!Self.contains(file, ["b", "d"]))
        #expect(!Self.contains(file, []))
        let readme = "x\n<!-- from f.swift -->\n```swift\nlet a = 1\n```\n"
        #expect(Self.snippets(in: readme).map(\.code) == [["let a = 1"]])
    }
}
