import ArgumentParser

/// `clens plot`: draws the figures of the analyses from what they wrote.
struct PlotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plot",
    abstract: "Draw paper figures (PNG, PDF, SVG) from run directories or the files the analyses wrote.",
    subcommands: [
      PlotTSNECommand.self, PlotAlignUniformCommand.self, PlotScoresCommand.self, PlotRobustnessCommand.self,
      PlotTrainingCommand.self,
    ]
  )
}
