/// Why a figure could not be drawn: the data, not a file, is the problem.
///
/// File problems (an unwritable output path, a corrupt input) are `FileError`s from
/// Engine, so the command line prints every bad-input case as one line.
public struct PlotError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What is wrong, as a short sentence a user can act on.
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }

  /// Nothing to draw: `what` names the data (for example "t-SNE embedding").
  public static func empty(_ what: String) -> PlotError {
    PlotError("\(what) is empty: nothing to plot")
  }
}
