import ArgumentParser

/// The `clens` command: trains contrastive encoders and draws what happens inside them.
@main
struct CLens: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clens",
    abstract: "ContrastLens: train contrastive image encoders and turn what happens inside them into paper figures.",
    version: "0.2.0",
    subcommands: [StudyCommand.self, PretrainCommand.self, FineTuneCommand.self, LinearEvalCommand.self, KNNEvalCommand.self, DatasetsCommand.self, FeaturesCommand.self, InspectCommand.self, PlotCommand.self, CompareCommand.self, RobustnessCommand.self, TSNECommand.self, AlignUniformCommand.self]
  )
}
