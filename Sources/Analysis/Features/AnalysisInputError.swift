/// Input an analysis cannot work with: too few points, non-finite values, sizes that do
/// not match. The command line adds the file name when the input came from a file.
public struct AnalysisInputError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What is wrong, in a short phrase a user can act on.
  public let problem: String

  /// An error with the given description of the problem.
  public init(_ problem: String) { self.problem = problem }

  /// The problem, as printed.
  public var description: String { problem }
}
