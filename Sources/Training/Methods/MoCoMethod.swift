import Datasets
import Engine
import Foundation
import RunFormat

/// MoCo v2 (He et al.; Chen et al.; shared/spec/methods.md §0.3), optionally with Feature
/// Transformation: the model is the query encoder; a key encoder, an exact copy at the
/// first step, follows it as an exponential moving average of the parameters (buffers
/// are its own; keys use batch statistics); K keys of past batches wait in a FIFO queue
/// as negatives. Each step: keys of view 1 under no tape with shuffle-BN emulated on one
/// process (the key batch permuted, encoded in `shuffleGroups` groups with their own
/// BatchNorm statistics, restored), queries of view 0, logits [q·k, q·Q]/τ with the
/// positive at index 0, cross-entropy; after the update the key encoder moves and the
/// batch's original keys are enqueued.
///
/// In data-parallel training shuffle-BN is MoCo's own: the key images of every rank are
/// gathered, permuted by the step's permutation (the same on every rank), each rank
/// encodes its part of the shuffled batch with its own statistics (in `shuffleGroups / P`
/// groups, at least one), the keys are gathered and restored to their order; each rank's
/// queries meet their own keys, and the whole batch's keys enter the queue. With P ranks
/// and `shuffleGroups = P` on one process, the keys are the same.
public final class MoCoMethod: TrainingMethod {
  public let name: String
  public let views = 2
  public let temperature: Float
  /// The key encoder, the query encoder's moving average with momentum m.
  public let keyEncoder: MomentumEncoder
  /// Number of keys in the queue.
  public let queueSize: Int
  /// Groups the key batch is encoded in, each with its own BatchNorm statistics.
  public let shuffleGroups: Int
  public let transformation: FeatureTransformation?
  /// The first epoch that transforms (plain MoCo before it).
  public let transformationStartEpoch: Int
  public let histogramBins: Int
  /// The queue, K × d, row-major.
  public private(set) var queue: [Float]
  /// Where the next key goes.
  public private(set) var pointer = 0
  private var pendingKeys: [Float] = []
  /// Whether this epoch transforms: set by `willStart(epoch:)`.
  private var transforms = true
  private let dimension: Int
  private let group: any ProcessGroup

  /// A MoCo method for models of `architecture` whose queue starts as K unit rows of
  /// Gaussian noise drawn from `rng`.
  public init(
    architecture: ModelArchitecture, queueSize: Int, momentum: Float, temperature: Float, shuffleGroups: Int = 2,
    transformation: FeatureTransformation?, transformationStartEpoch: Int = 0, histogramBins: Int = 40,
    group: any ProcessGroup = SingleProcess(), rng: inout RandomGenerator
  ) {
    self.group = group
    let dimension = architecture.embeddingDimension
    precondition(queueSize >= 1 && shuffleGroups >= 1, "MoCoMethod: positive sizes")
    name = transformation == nil ? "moco" : "moco-ft"
    self.dimension = dimension
    self.queueSize = queueSize
    keyEncoder = MomentumEncoder(architecture: architecture, momentum: momentum)
    self.temperature = temperature
    self.shuffleGroups = shuffleGroups
    self.transformation = transformation
    self.transformationStartEpoch = transformationStartEpoch
    transforms = transformationStartEpoch <= 0
    self.histogramBins = histogramBins
    var rows = [Float](repeating: 0, count: queueSize * dimension)
    for r in 0..<queueSize {
      var norm = 0.0
      for c in 0..<dimension {
        let v = Float(rng.normal())
        rows[r * dimension + c] = v
        norm += Double(v) * Double(v)
      }
      let scale = Float(1 / max(norm.squareRoot(), 1e-12))
      for c in 0..<dimension { rows[r * dimension + c] *= scale }
    }
    queue = rows
  }

  public func step(model: Network, batch: Batch, rng: inout RandomGenerator) -> MethodStep {
    let b = batch.count
    let images = batch.tensor
    let queries = model.forward(images.slice(alongAxis: 0, 0..<b)).embeddings
    let allKeys = encodeKeys(images.slice(alongAxis: 0, b..<(2 * b)), model: model, rng: &rng)
    pendingKeys = allKeys.scalars
    let own = (group.rank * b)..<((group.rank + 1) * b)
    let keys = group.size == 1 ? allKeys : allKeys.slice(alongAxis: 0, own)
    let negatives = Tensor(shape: [queueSize, dimension], scalars: queue)
    var (q, k, n) = (queries, keys, negatives)
    let transformation = transforms ? self.transformation : nil
    if let transformation {
      // Drawn for the global batch (the same on every rank); each rank keeps its rows.
      var draws = transformation.draw(batch: b * group.size, dimension: dimension, queueSize: queueSize, using: &rng)
      if draws.lambda.count > 1 && group.size > 1 {
        draws.lambda = Array(draws.lambda[(own.lowerBound * dimension)..<(own.upperBound * dimension)])
      }
      (q, k, n) = transformation.apply(query: queries, key: keys, queue: negatives, draws: draws)
    }
    let (loss, logits) = QueueInfoNCE(temperature: temperature)(query: q, key: k, queue: n)
    return MethodStep(loss: loss, accuracy: accuracy(logits, Array(repeating: 0, count: b)), scores: scores(
      query: q, key: k, queue: n, original: transformation == nil ? nil : (queries, keys, negatives), logits: logits))
  }

  public func willStart(epoch: Int) { transforms = epoch >= transformationStartEpoch }

  public func didUpdate(model: Network) {
    keyEncoder.update(toward: model)
    let count = pendingKeys.count / dimension
    for row in 0..<count {
      let target = (pointer + row) % queueSize
      for c in 0..<dimension { queue[target * dimension + c] = pendingKeys[row * dimension + c] }
    }
    pointer = (pointer + count) % queueSize
    pendingKeys = []
  }

  /// Keys of every rank's key images (this rank's `local` ones among them) by the key
  /// encoder with shuffle-BN, in the global batch's order.
  private func encodeKeys(_ local: Tensor, model: Network, rng: inout RandomGenerator) -> Tensor {
    let b = local.shape[0]
    let images =
      group.size == 1
      ? local
      : Tensor(shape: [b * group.size] + local.shape.dropFirst(), scalars: group.allGather(local.scalars, "the key-image all-gather"))
    let n = images.shape[0]
    let order = rng.permutation(n)
    let part = group.size == 1 ? 0..<n : (group.rank * b)..<((group.rank + 1) * b)
    let shuffled = images.indexSelect(alongAxis: 0, Array(order[part]))
    let groups = max(1, shuffleGroups / group.size)
    let encoded = keyEncoder.embeddings(
      shuffled, following: model, groups: evenRanges(part.count, parts: min(groups, part.count)))
    let gathered =
      group.size == 1
      ? encoded : Tensor(shape: [n, dimension], scalars: group.allGather(encoded.scalars, "the key all-gather"))
    var inverse = [Int](repeating: 0, count: n)
    for (position, index) in order.enumerated() { inverse[index] = position }
    return gathered.indexSelect(alongAxis: 0, inverse)
  }

  private func scores(
    query: Tensor, key: Tensor, queue: Tensor, original: (Tensor, Tensor, Tensor)?, logits: Tensor
  ) -> PairScores {
    func dots(_ q: Tensor, _ k: Tensor, _ n: Tensor) -> (positive: [Float], negative: [Float]) {
      withoutGradients {
        ((q.detached() * k.detached()).sum(alongAxes: [1]).scalars, q.detached().matmul(n, transposeOther: true).scalars)
      }
    }
    let (positive, negative) = dots(query, key, queue)
    var result = PairScores(
      positives: positive, negatives: negative, negativesPerAnchor: queueSize,
      accuracy: accuracy(logits, Array(repeating: 0, count: positive.count)), bins: histogramBins)
    if let (q, k, n) = original {
      let raw = dots(q, k, n)
      let statistics = PairScores(
        positives: raw.positive, negatives: raw.negative, negativesPerAnchor: queueSize, accuracy: 0, bins: histogramBins)
      result.untransformed = (statistics.positive, statistics.negative)
    }
    let t = Double(temperature)
    result.expMeans = (
      positive.reduce(0) { $0 + Foundation.exp(Double($1) / t) } / Double(max(positive.count, 1)),
      negative.reduce(0) { $0 + Foundation.exp(Double($1) / t) } / Double(max(negative.count, 1))
    )
    return result
  }

  public func stateDict() -> [String: SafeTensor] {
    var state = keyEncoder.stateDict(prefix: "key_encoder.")
    state["queue"] = SafeTensor(Tensor(shape: [queueSize, dimension], scalars: queue))
    state["queue_pointer"] = SafeTensor(shape: [1], int64s: [Int64(pointer)])
    return state
  }

  public func loadStateDict(_ state: [String: SafeTensor]) throws(StateDictError) {
    var error = StateDictError(missing: [], unexpected: [], mismatched: [], nonFinite: [])
    guard let saved = state["queue"], let savedPointer = state["queue_pointer"] else {
      error.missing = ["queue", "queue_pointer"].filter { state[$0] == nil }
      throw error
    }
    guard saved.shape == [queueSize, dimension] else {
      error.mismatched = ["queue (method \([queueSize, dimension]), checkpoint \(saved.shape))"]
      throw error
    }
    let values = saved.floats()
    guard values.allSatisfy(\.isFinite) else {
      error.nonFinite = ["queue"]
      throw error
    }
    let position = Int(savedPointer.floats().first ?? -1)
    guard position >= 0 && position < queueSize else {
      error.mismatched = ["queue_pointer (\(position) outside 0..<\(queueSize))"]
      throw error
    }
    try keyEncoder.loadStateDict(state, prefix: "key_encoder.")
    queue = values
    pointer = position
  }
}
