import ArgumentParser
import Engine
import Foundation
import MPIProcessGroup
import RunFormat

extension StudyConfiguration.Budget: ExpressibleByArgument {}

/// `clens study`: the whole study this toolkit is for, end to end, resumable.
struct StudyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "study",
    abstract: "Pre-train, fine-tune CE vs Core-tuning, analyse, and leave paper figures and a report.",
    discussion: """
      Pre-trains a ResNet-18 with each method (default: SimCLR, MoCo v2, MoCo v2 + Feature \
      Transformation), evaluates each encoder (weighted 200-NN and linear evaluation, alignment and \
      uniformity), fine-tunes the one with the best 200-NN accuracy on the validation split with \
      CE-tuning and with Core-tuning, then measures the fine-tuned models (t-SNE, alignment and \
      uniformity, PGD l-infinity and l2 robustness curves at the paper's grid). Writes the runs, \
      figures/ (PNG and PDF) and report.md with report.json into --out. Each stage is one or more \
      clens commands, printed as they run; a study killed at any point and started again with the \
      same --out resumes where it stopped. --budget quick takes about two minutes on two cores, \
      standard about fifteen; --config FILE gives any field of study.json (dataset, data_dir, seed, \
      methods, pretraining and fine_tuning {images, epochs, batch_size}, robustness_images, \
      attack_steps, evaluation_images, width) over the standard preset, e.g. to run the study on \
      CIFAR-10 binaries or on PNG folders.
      """)

  @Option(help: "The budget: quick (a smoke run of every stage) or standard (the README's figures).")
  var budget: StudyConfiguration.Budget?

  @Option(help: "A study.json with the fields to change from the standard preset.")
  var config: String?

  @Option(help: "The study folder (created; a folder holding the same study resumes it).")
  var out: String = "runs/study"

  @OptionGroup var threadsOption: ThreadsOption

  @Flag(help: "No progress bars (the stage lines still print).")
  var quiet = false

  func validate() throws {
    if budget != nil && config != nil { throw ValidationError("give --budget or --config, not both") }
  }

  func run() throws {
    guard !MPILaunch.startedSeveralRanks else { throw TrainingProcesses.LaunchError.studyUnderMPI }
    let layout = StudyLayout(root: out)
    let configuration = try resolveConfiguration(layout)
    if let problem = configuration.problem { throw FileError(config ?? layout.configurationFile, problem) }
    try FileManager.default.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
    try JSONOutput.write(configuration, to: layout.configurationFile)
    let threads = threadsOption.threadCount.value
    let plan = StudyPlan(configuration: configuration, layout: layout, threads: threads, quiet: quiet)
    var times =
      FileManager.default.fileExists(atPath: layout.timesFile)
      ? try JSONInput.read(StudyTimes.self, from: layout.timesFile) : StudyTimes()
    let stages = plan.stages
    for (index, stage) in stages.enumerated() {
      let label = "[\(index + 1)/\(stages.count + 1)] \(stage.name)"
      if try stage.isDone() {
        print("\(label): done earlier")
        continue
      }
      print("\(label) …")
      let started = Date()
      for command in try stage.commands() { try Self.invoke(command) }
      let seconds = Date().timeIntervalSince(started)
      times.stages.removeAll { $0.name == stage.name }
      times.stages.append(.init(name: stage.name, seconds: seconds))
      try JSONOutput.write(times, to: layout.timesFile)
      print("\(label): \(StudyMarkdown.duration(seconds))")
    }
    print("[\(stages.count + 1)/\(stages.count + 1)] figures and report …")
    let figures = StudyFigures(configuration: configuration, layout: layout, threads: threads).figures
    for command in figures.compactMap(\.command) { try Self.invoke(command) }
    let report = try StudyReportBuilder(configuration: configuration, layout: layout).build(
      tool: "clens \(CLens.configuration.version)", threads: threads, stages: times.stages, figures: figures.map(\.figure))
    try JSONOutput.write(report, to: layout.reportJSON)
    try AtomicFile.write(Data(StudyMarkdown.render(report).utf8), to: layout.reportMarkdown)
    print("study: report in \(layout.reportMarkdown), figures in \(layout.figures)")
  }

  /// The study's settings: --config or --budget, else the folder's own study.json when it
  /// holds one, else the standard preset. A folder holding another study is refused.
  private func resolveConfiguration(_ layout: StudyLayout) throws -> StudyConfiguration {
    let existing =
      FileManager.default.fileExists(atPath: layout.configurationFile)
      ? try JSONInput.read(StudyConfiguration.self, from: layout.configurationFile) : nil
    let requested: StudyConfiguration? =
      if let config { try JSONInput.read(StudyConfiguration.self, from: config) } else { budget.map(StudyConfiguration.preset) }
    if let existing, let requested, existing != requested {
      throw FileError(layout.configurationFile, "the folder holds a study with other settings; choose another --out")
    }
    return requested ?? existing ?? .preset(.standard)
  }

  /// Runs one `clens` command line in this process.
  static func invoke(_ arguments: [String]) throws {
    print("  $ clens " + arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " "))
    var command = try CLens.parseAsRoot(arguments)
    try command.run()
  }
}
