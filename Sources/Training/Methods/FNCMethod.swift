import Datasets
import Engine
import RunFormat

/// FNC pre-training (shared/spec/methods.md §4): every one of the V = 2 + S views of each
/// image is an anchor; false negatives found by the image's own views are attracted (or
/// eliminated from the denominator).
///
/// Without a memory (§4.5) the contrast rows are the batch's online embeddings. With one
/// (§4.6, FNC's default) an EMA copy of the model, an exact copy at the first step, embeds
/// every view; those embeddings are prepended to a FIFO memory of Q rows (zeros at first),
/// detection runs on them, and the online anchors contrast against the whole memory.
///
/// Logs, per step, how many false negatives were found and, against the labels the
/// method otherwise never uses, their precision (the share of the anchor's class) and
/// recall (the share of same-class candidate rows found).
///
/// In data-parallel training each rank embeds its shard; online and EMA embeddings and
/// labels are gathered, so detection, memory and loss span the global batch.
public final class FNCMethod: TrainingMethod {
  public let name = "fnc"
  public let views: Int
  public let cancellation: FalseNegativeCancellation
  public let histogramBins: Int
  /// The EMA model; nil without a memory.
  public let emaModel: MomentumEncoder?
  /// Q, rows in the memory; 0 without one.
  public let memorySize: Int
  /// The memory, Q × d row-major, newest rows first.
  public private(set) var memory: [Float]
  /// The class of each memory row, −1 for rows never filled (statistics only).
  public private(set) var memoryLabels: [Int]
  private var pending: (rows: [Float], labels: [Int])?
  private let dimension: Int
  private let group: any ProcessGroup

  /// FNC without a memory when `memorySize` is 0; otherwise with a memory of that many
  /// rows and an EMA model of `emaDecay`.
  public init(
    architecture: ModelArchitecture, views: Int, cancellation: FalseNegativeCancellation, memorySize: Int = 0,
    emaDecay: Float = 0.999, histogramBins: Int = 40, group: any ProcessGroup = SingleProcess()
  ) {
    self.group = group
    precondition(views >= 2, "FNCMethod: at least two views")
    precondition(memorySize >= 0, "FNCMethod: memory size must not be negative")
    self.views = views
    self.cancellation = cancellation
    self.histogramBins = histogramBins
    self.memorySize = memorySize
    dimension = architecture.embeddingDimension
    emaModel = memorySize > 0 ? MomentumEncoder(architecture: architecture, momentum: emaDecay, followsSynchronization: true) : nil
    memory = Array(repeating: 0, count: memorySize * dimension)
    memoryLabels = Array(repeating: -1, count: memorySize)
  }

  public func step(model: Network, batch: Batch, rng: inout RandomGenerator) -> MethodStep {
    let batchLabels = group.gatherLabels(batch.labels)
    let b = batchLabels.count
    let anchors = group.gatherViews(model.forward(batch.tensor).embeddings, views: views)
    let n = anchors.shape[0]
    var contrast = anchors
    var detectors = anchors
    var labels = (0..<n).map { batchLabels[$0 % b] }
    if let emaModel {
      precondition(memorySize >= n, "FNCMethod: a memory of \(memorySize) rows cannot hold the batch's \(n) views")
      let current = group.gatherViews(emaModel.embeddings(batch.tensor, following: model), views: views)
      let kept = (memorySize - n) * dimension
      let rows = current.scalars + memory[0..<kept]
      labels += memoryLabels[0..<(memorySize - n)]
      contrast = Tensor(shape: [memorySize, dimension], scalars: rows)
      detectors = current
      pending = (rows, labels)
    }
    let detected = cancellation.detect(detectors, contrast: contrast, views: views)
    let loss = cancellation.loss(anchors, contrast: contrast, views: views, falseNegatives: detected)
    let scores = PairScores(anchors: anchors, contrast: contrast, bins: histogramBins) { r, c in
      c < n && c % b == r % b
    }
    return MethodStep(
      loss: loss, accuracy: scores.accuracy, scores: scores,
      values: Self.detectionStatistics(detected, candidateLabels: labels, batchLabels: batchLabels, ownRows: n),
      reduction: .sum)
  }

  public func didUpdate(model: Network) {
    emaModel?.update(toward: model)
    if let pending {
      memory = pending.rows
      memoryLabels = pending.labels
    }
    pending = nil
  }

  /// Found false negatives per image, the share of images with any, and their precision
  /// and recall against the labels (candidate row c of image i is own when c < ownRows
  /// and c ≡ i mod B; rows labelled −1 are empty memory).
  static func detectionStatistics(_ detected: [[Int]], candidateLabels: [Int], batchLabels: [Int], ownRows: Int)
    -> [String: Double]
  {
    let b = batchLabels.count
    var found = 0
    var correct = 0
    var sameClass = 0
    for i in 0..<b {
      found += detected[i].count
      correct += detected[i].filter { candidateLabels[$0] == batchLabels[i] }.count
      sameClass += candidateLabels.indices.filter {
        !($0 < ownRows && $0 % b == i) && candidateLabels[$0] == batchLabels[i]
      }.count
    }
    var values = [
      "fnc_found_per_image": Double(found) / Double(b),
      "fnc_images_with_false_negatives": Double(detected.filter { !$0.isEmpty }.count) / Double(b),
      "fnc_recall": sameClass == 0 ? 0 : Double(correct) / Double(sameClass),
    ]
    if found > 0 { values["fnc_precision"] = Double(correct) / Double(found) }
    return values
  }

  public func stateDict() -> [String: SafeTensor] {
    guard let emaModel else { return [:] }
    var state = emaModel.stateDict(prefix: "ema_model.")
    state["memory"] = SafeTensor(Tensor(shape: [memorySize, dimension], scalars: memory))
    state["memory_labels"] = SafeTensor(shape: [memorySize], int64s: memoryLabels.map(Int64.init))
    return state
  }

  public func loadStateDict(_ state: [String: SafeTensor]) throws(StateDictError) {
    guard let emaModel else {
      guard state.isEmpty else {
        throw StateDictError(missing: [], unexpected: state.keys.sorted(), mismatched: [], nonFinite: [])
      }
      return
    }
    var error = StateDictError(missing: [], unexpected: [], mismatched: [], nonFinite: [])
    guard let saved = state["memory"], let savedLabels = state["memory_labels"] else {
      error.missing = ["memory", "memory_labels"].filter { state[$0] == nil }
      throw error
    }
    guard saved.shape == [memorySize, dimension], savedLabels.shape == [memorySize] else {
      error.mismatched = ["memory (method \([memorySize, dimension]), checkpoint \(saved.shape))"]
      throw error
    }
    let values = saved.floats()
    guard values.allSatisfy(\.isFinite) else {
      error.nonFinite = ["memory"]
      throw error
    }
    try emaModel.loadStateDict(state, prefix: "ema_model.")
    memory = values
    memoryLabels = savedLabels.floats().map { Int($0) }
  }
}
