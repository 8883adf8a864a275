import ArgumentParser

/// The options of data-parallel training under `mpirun` (pretrain and finetune).
struct DistributedOptions: ParsableArguments {
  @Flag(
    name: .customLong("sync-bn"),
    help:
      "Under mpirun: batch norm with the statistics of the global batch (PyTorch's SyncBatchNorm) instead of each rank's shard; then P ranks train exactly as one process with the same batch."
  )
  var synchronizedBatchNorm = false

  @Option(
    help:
      "Under mpirun: seconds a rank waits for the others in a collective before it stops the whole job, naming the ranks that do not answer. (default: 300)"
  )
  var collectiveTimeout: Double = 300

  func validate() throws {
    guard collectiveTimeout.isFinite && collectiveTimeout >= 1 else {
      throw ValidationError("--collective-timeout must be at least 1 second, got \(collectiveTimeout)")
    }
  }
}
