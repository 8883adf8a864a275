/// Why a training run stopped before its end.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
  /// The loss (or, before a checkpoint, a parameter) became NaN or infinite; nothing of
  /// that step was saved.
  case nonFinite(what: String, step: Int, epoch: Double, lastCheckpointStep: Int?)
  /// In data-parallel training, these ranks' parameters differ from rank 0's.
  case ranksDiverged(ranks: [Int], step: Int)

  public var description: String {
    switch self {
    case .nonFinite(let what, let step, let epoch, let last):
      let saved = last.map { "the last good checkpoint (checkpoints/last.safetensors, step \($0)) is intact" }
        ?? "no checkpoint had been written yet"
      return "\(what) became NaN or infinite at step \(step) (epoch \(String(format: "%.2f", epoch))); \(saved); "
        + "try a lower --lr or a higher --temperature"
    case .ranksDiverged(let ranks, let step):
      return "the parameters of rank\(ranks.count > 1 ? "s" : "") \(ranks.map(String.init).joined(separator: ", ")) "
        + "differ from rank 0's at step \(step) (they must stay identical); the run stops"
    }
  }
}
