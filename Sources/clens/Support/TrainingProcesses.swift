import ArgumentParser
import Engine
import Foundation
import MPIProcessGroup
import RunFormat
import Training

/// The processes a training command runs as: MPI's world when `mpirun` started several
/// (clens built with `--traits MPI`), else this process alone. Rank 0 writes the run
/// directory and prints; an error on any rank ends every rank of the job.
struct TrainingProcesses {
  let group: any ProcessGroup
  let options: DistributedOptions

  /// Whether this process writes the run and prints (rank 0, or the only process).
  var isPrimary: Bool { group.rank == 0 }

  /// Joins the job `mpirun` started, or stands alone outside one.
  init(_ options: DistributedOptions) throws {
    self.options = options
    guard MPILaunch.startedSeveralRanks else {
      group = SingleProcess()
      return
    }
    guard let world = MPILaunch.world(timeout: options.collectiveTimeout) else { throw LaunchError.builtWithoutMPI }
    group = world
  }

  /// Why this process cannot run as launched (one line, no usage text).
  enum LaunchError: Error, CustomStringConvertible {
    case builtWithoutMPI
    case studyUnderMPI

    var description: String {
      switch self {
      case .builtWithoutMPI:
        "mpirun started several clens processes, but this clens was built without MPI: rebuild with `swift build -c release --traits MPI` (needs libopenmpi-dev), or run one process"
      case .studyUnderMPI:
        "clens study runs as one process; start pretrain or finetune under mpirun instead"
      }
    }
  }

  /// `--threads`, or this node's cores shared equally among the ranks running on it.
  func threads(_ option: ThreadsOption) -> ThreadCount {
    if let threads = option.threads { return ThreadCount(threads) }
    guard group.size > 1 else { return .available }
    return ThreadCount(max(1, ThreadCount.available.value / max(MPILaunch.localRanks ?? group.size, 1)))
  }

  /// The trainer of `configuration` as this process's rank; a configuration it cannot
  /// build is an error about `origin` (the run's config.json, or the --out of a new run).
  /// A step whose activations would not fit `common`'s `--max-memory` is refused first.
  func trainer(
    _ configuration: RunConfiguration, data: TrainingData.Splits, threads: ThreadCount, origin: String,
    common: CommonOptions
  ) throws -> Trainer {
    try common.requireMemory(
      model: configuration.model.encoder, shape: configuration.data.imageShape,
      batch: max(configuration.optimization.batchSize / group.size, 1) * configuration.data.views, training: true,
      culprit: configuration.data.dataDirectory ?? configuration.data.dataset)
    do {
      return try Trainer(
        configuration: configuration, data: data, threads: threads, group: group,
        synchronizedBatchNorm: options.synchronizedBatchNorm)
    } catch {
      throw FileError(origin, error.description)
    }
  }

  /// The run at `path` to resume: rank 0 reopens it for writing (dropping records past
  /// its checkpoint); the other ranks only read where it stands.
  func resume(_ path: String) throws -> (writer: RunWriter?, configuration: RunConfiguration, checkpoint: Checkpoint?) {
    if isPrimary {
      let (writer, configuration, checkpoint) = try RunWriter.resume(at: path)
      return (writer, configuration, checkpoint)
    }
    let (_, configuration, checkpoint) = try RunWriter.resumePoint(at: path)
    return (nil, configuration, checkpoint)
  }

  /// Runs `body` as this rank. Alone, errors propagate as usual; in a job, an error on
  /// this rank is printed with the rank and ends every rank, and success ends the
  /// communication cleanly on every rank.
  func run(_ body: () throws -> Void) throws {
    guard group.size > 1 else { return try body() }
    do {
      try body()
    } catch {
      group.abort("Error: rank \(group.rank) of \(group.size): \(CLens.message(for: error))")
    }
    group.finish()
  }
}
