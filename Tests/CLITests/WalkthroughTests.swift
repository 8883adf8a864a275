import Foundation
import Testing

@testable import clens

/// The walkthroughs in `notebooks-md/` stay true: every `clens` command line in their
/// bash blocks parses and passes its options' validation with today's command line (a
/// renamed or removed option fails here), and every figure they show is committed.
struct WalkthroughTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let folder = root.appendingPathComponent("notebooks-md")

  static var walkthroughs: [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".md") }.sorted().map { folder.appendingPathComponent($0) }
  }

  @Test func thereAreFiveWalkthroughs() {
    #expect(Self.walkthroughs.count == 5, "\(Self.walkthroughs.map(\.lastPathComponent))")
  }

  @Test(arguments: walkthroughs) func everyCommandParses(_ file: URL) throws {
    let text = try String(contentsOf: file, encoding: .utf8)
    let commands = Self.commandLines(in: text)
    #expect(!commands.isEmpty, "\(file.lastPathComponent) has no clens command")
    for line in commands {
      let words = try Self.shellWords(line)
      #expect(words.first == "clens")
      #expect(throws: Never.self, "\(file.lastPathComponent): \(line)") {
        _ = try CLens.parseAsRoot(Array(words.dropFirst()))
      }
    }
  }

  @Test(arguments: walkthroughs) func everyFigureExists(_ file: URL) throws {
    let text = try String(contentsOf: file, encoding: .utf8)
    let images = Self.imageLinks(in: text)
    #expect(!images.isEmpty, "\(file.lastPathComponent) shows no figure")
    for image in images {
      let path = file.deletingLastPathComponent().appendingPathComponent(image).standardizedFileURL.path
      #expect(FileManager.default.fileExists(atPath: path), "\(file.lastPathComponent): \(image)")
    }
  }

  /// The `clens` lines of the bash blocks, continuation lines joined, comments dropped.
  static func commandLines(in markdown: String) -> [String] {
    var inBash = false
    var lines = [String](), pending = ""
    for raw in markdown.components(separatedBy: "\n") {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("```") {
        inBash = !inBash && line == "```bash"
        continue
      }
      guard inBash else { continue }
      let code = line.hasPrefix("#") ? "" : line
      if code.hasSuffix("\\") {
        pending += code.dropLast() + " "
        continue
      }
      let whole = pending + code
      pending = ""
      if whole.hasPrefix("clens ") { lines.append(whole) }
    }
    return lines
  }

  /// Words of a shell command line: quotes group, a `#` outside quotes starts a comment.
  static func shellWords(_ line: String) throws -> [String] {
    var words = [String](), word = "", quote: Character?, inWord = false
    for character in line {
      if let open = quote {
        if character == open { quote = nil } else { word.append(character) }
      } else if character == "'" || character == "\"" {
        quote = character
        inWord = true
      } else if character == "#" && !inWord {
        break
      } else if character == " " {
        if inWord { words.append(word) }
        word = ""
        inWord = false
      } else {
        word.append(character)
        inWord = true
      }
    }
    if quote != nil { throw CocoaError(.formatting, userInfo: [NSLocalizedDescriptionKey: "unclosed quote: \(line)"]) }
    if inWord { words.append(word) }
    return words
  }

  /// Targets of `![caption](path)` image links.
  static func imageLinks(in markdown: String) -> [String] {
    let pattern = try! NSRegularExpression(pattern: #"!\[[^\]]*\]\(([^)\s]+)\)"#)
    let range = NSRange(markdown.startIndex..., in: markdown)
    return pattern.matches(in: markdown, range: range).compactMap {
      Range($0.range(at: 1), in: markdown).map { String(markdown[$0]) }
    }
  }
}
