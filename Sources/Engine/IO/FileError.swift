/// A problem with a file the user gave us: which file, and what is wrong with it.
///
/// Every reader in ContrastLens reports bad input with this type, so the command line
/// can print one clear line (`error: X.npy: truncated data: ...`) and exit non-zero.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file, as the user named it.
  public let path: String
  /// What is wrong, in a short phrase a user can act on.
  public let problem: String

  /// The problem is made printable: it often quotes bytes of a corrupt file, which
  /// must not break the one-line message with newlines, control characters or pages
  /// of binary.
  public init(_ path: String, _ problem: String) {
    self.path = path
    self.problem = Self.printable(problem)
  }

  public var description: String { "\(path): \(problem)" }

  /// Longest problem text kept; longer ones end in "…".
  static let longestProblem = 300

  /// `text` with control characters and undecodable bytes (U+FFFD) written as
  /// `\u{XX}` escapes, cut to `longestProblem` characters.
  static func printable(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{FFFD}" {
        out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
      } else {
        out.unicodeScalars.append(scalar)
      }
      if out.count > longestProblem {
        return String(out.prefix(longestProblem)) + "…"
      }
    }
    return out
  }
}
