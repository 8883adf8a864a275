import ArgumentParser
import Foundation

/// The `clens` command: trains contrastive encoders and draws what happens inside them.
@main
struct CLens: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clens",
    abstract: "ContrastLens: train contrastive image encoders and turn what happens inside them into paper figures.",
    version: "0.2.0",
    subcommands: [StudyCommand.self, PretrainCommand.self, FineTuneCommand.self, LinearEvalCommand.self, KNNEvalCommand.self, DatasetsCommand.self, FeaturesCommand.self, InspectCommand.self, PlotCommand.self, CompareCommand.self, RobustnessCommand.self, TSNECommand.self, AlignUniformCommand.self]
  )

  /// Runs the command; a failure is one `Error: ...` line on stderr (no usage block:
  /// `--help` is one flag away) and the parser's exit status (64 for bad usage).
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      let code = exitCode(for: error)
      guard code != .success else { exit(withError: error) }
      let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
      FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
      Foundation.exit(code.rawValue)
    }
  }
}
