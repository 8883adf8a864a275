/// A problem with a file the user gave us: which file, and what is wrong with it.
///
/// Every reader in ContrastLens reports bad input with this type, so the command line
/// can print one clear line (`error: X.npy: truncated data: ...`) and exit non-zero.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file, as the user named it.
  public let path: String
  /// What is wrong, in a short phrase a user can act on.
  public let problem: String

  public init(_ path: String, _ problem: String) {
    self.path = path
    self.problem = problem
  }

  public var description: String { "\(path): \(problem)" }
}
