import Foundation
import Testing

/// The DocC articles (`Sources/*/*.docc`) quote real code: the Forum example, the seed apps, the
/// committed SQL. A block marked `<!-- from PATH -->` must still be in that file, so an article
/// cannot drift from the code it shows (the README's walk-through has the same check in
/// Examples/Forum).
@Suite("DocC articles: every snippet marked as taken from a file is in that file")
struct DocCSnippetTests {
    struct Snippet {
        var article: String
        var line: Int
        var path: String
        var code: [String]
    }

    /// Every `<!-- from PATH -->` marker and the fenced block right after it.
    static func snippets(in text: String, article: String) -> [Snippet] {
        let lines = text.components(separatedBy: "\n")
        var snippets: [Snippet] = []
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
            guard line.hasPrefix("<!-- from "), line.hasSuffix("-->") else { continue }
            let path = line.dropFirst("<!-- from ".count).dropLast("-->".count).trimmingCharacters(in: .whitespaces)
            var code: [String] = []
            if index < lines.count, lines[index].hasPrefix("```") {
                index += 1
                while index < lines.count, !lines[index].hasPrefix("```") {
                    code.append(lines[index])
                    index += 1
                }
                index += 1
            }
            snippets.append(Snippet(article: article, line: index, path: path, code: code))  // no block: fails below
        }
        return snippets
    }

    /// Whether `code` occurs in `file` as consecutive lines, compared without leading and
    /// trailing whitespace (an article does not keep a nested declaration's indent).
    static func contains(_ file: String, _ code: [String]) -> Bool {
        let fileLines = file.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let block = code.map { $0.trimmingCharacters(in: .whitespaces) }
        guard !block.isEmpty, block.count <= fileLines.count else { return false }
        return (0...(fileLines.count - block.count)).contains { start in
            Array(fileLines[start..<(start + block.count)]) == block
        }
    }

    static func articles() throws -> [(path: String, text: String)] {
        let sources = root + "/Sources"
        var found: [(String, String)] = []
        for module in try FileManager.default.contentsOfDirectory(atPath: sources).sorted() {
            let catalog = "\(sources)/\(module)/\(module).docc"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: catalog) else { continue }
            for name in names.sorted() where name.hasSuffix(".md") {
                found.append(("Sources/\(module)/\(module).docc/\(name)", try String(contentsOfFile: "\(catalog)/\(name)", encoding: .utf8)))
            }
        }
        return found
    }

    @Test("every marked snippet of every article is verbatim in its file")
    func snippetsAreVerbatim() throws {
        let articles = try Self.articles()
        #expect(articles.count >= 15, "found \(articles.count) articles")
        let snippets = articles.flatMap { Self.snippets(in: $0.text, article: $0.path) }
        #expect(snippets.count >= 30, "found \(snippets.count) marked snippets")
        for snippet in snippets {
            guard let file = try? String(contentsOfFile: root + "/" + snippet.path, encoding: .utf8) else {
                Issue.record("\(snippet.article):\(snippet.line): \(snippet.path) does not exist")
                continue
            }
            #expect(Self.contains(file, snippet.code),
                    "\(snippet.article):\(snippet.line): the block is not in \(snippet.path) (copy it from there again)")
        }
    }

    @Test("the snippet check catches a changed line and a marker without a block")
    func checkerCatchesDrift() {
        let file = "a\n\tb\n  c\n"
        #expect(Self.contains(file, ["b", "c"]))
        #expect(!Self.contains(file, ["b", "d"]))
        #expect(!Self.contains(file, []))
        let article = "x\n<!-- from f.swift -->\n```swift\nlet a = 1\n```\n<!-- from g.swift -->\ntext\n"
        let snippets = Self.snippets(in: article, article: "A.md")
        #expect(snippets.map(\.path) == ["f.swift", "g.swift"])
        #expect(snippets.map(\.code) == [["let a = 1"], []])
    }
}
