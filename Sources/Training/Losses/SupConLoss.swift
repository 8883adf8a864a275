import Engine

/// The supervised contrastive loss of SupContrast (`losses.py`, with the 2023 guard for
/// anchors without positives), which is SimCLR's NT-Xent without labels:
///
///     L = mean_i −(τ/τ_b) · (1/max(|P(i)|, 1)) Σ_{p∈P(i)} log( exp(z_i·z_p/τ) / Σ_{a≠i} exp(z_i·z_a/τ) )
///
/// over anchors i (every view with `.all`, the first view with `.one`); positives stay
/// in the denominator, and an anchor without positives adds 0 but still counts in the
/// mean (shared/spec/methods.md §0.1).
public struct SupConLoss: Sendable {
  /// Which views are anchors.
  public enum ContrastMode: String, Sendable, CaseIterable {
    /// Every view of every image.
    case all
    /// Only the first view of each image.
    case one
  }

  /// What makes two samples positives.
  public enum Positives: Sendable {
    /// Only the other views of the same image (SimCLR).
    case instances
    /// Samples of the same class (SupCon).
    case labels([Int])
    /// `mask[i][j]` (0 or 1): sample j is a positive of sample i (may be asymmetric).
    case mask([[Float]])
  }

  /// τ.
  public var temperature: Float
  /// τ_b: the loss is scaled by τ/τ_b.
  public var baseTemperature: Float
  public var contrastMode: ContrastMode

  public init(temperature: Float = 0.07, baseTemperature: Float = 0.07, contrastMode: ContrastMode = .all) {
    self.temperature = temperature
    self.baseTemperature = baseTemperature
    self.contrastMode = contrastMode
  }

  /// The pairs a batch of `views · batch` embeddings (view-major: row `v·B + i` is view v
  /// of image i) is compared on: anchors are the first `anchorCount` rows, `positive[a][j]`
  /// is 1 when contrast row j is a positive of anchor a (never for a == j).
  public struct PairMask: Sendable {
    public let anchorCount: Int
    public let contrastCount: Int
    /// [anchorCount · contrastCount] values in {0, 1}, row-major.
    public let positive: [Float]

    /// Whether anchor `a` and contrast row `j` are a positive pair.
    public func isPositive(_ a: Int, _ j: Int) -> Bool { positive[a * contrastCount + j] != 0 }
  }

  /// The anchors and positive pairs of a batch.
  public func pairs(batch: Int, views: Int, positives: Positives) -> PairMask {
    let n = batch * views
    return pairs(images: (0..<n).map { $0 % batch }, batch: batch, anchorCount: contrastMode == .all ? n : batch,
      positives: positives)
  }

  /// The pairs of contrast rows showing images `images[j]` (indices into a batch of
  /// `batch` images, which `positives` describes), the first `anchorCount` rows anchors:
  /// how one rank of data-parallel training compares its own rows, put first, with the
  /// whole gathered batch.
  public func pairs(images: [Int], batch: Int, anchorCount anchors: Int, positives: Positives) -> PairMask {
    let n = images.count
    precondition(anchors <= n && images.allSatisfy { $0 >= 0 && $0 < batch }, "SupConLoss: rows outside the batch")
    var base = [Float](repeating: 0, count: batch * batch)
    switch positives {
    case .instances:
      for i in 0..<batch { base[i * batch + i] = 1 }
    case .labels(let labels):
      precondition(labels.count == batch, "SupConLoss: \(labels.count) labels for a batch of \(batch)")
      for i in 0..<batch { for j in 0..<batch where labels[i] == labels[j] { base[i * batch + j] = 1 } }
    case .mask(let mask):
      precondition(mask.count == batch && mask.allSatisfy { $0.count == batch }, "SupConLoss: the mask must be [B, B]")
      for i in 0..<batch { for j in 0..<batch { base[i * batch + j] = mask[i][j] } }
    }
    var positive = [Float](repeating: 0, count: anchors * n)
    for a in 0..<anchors {
      for j in 0..<n where j != a { positive[a * n + j] = base[images[a] * batch + images[j]] }
    }
    return PairMask(anchorCount: anchors, contrastCount: n, positive: positive)
  }

  /// The loss of unit `embeddings` [views · B, d] (view-major), on the tape.
  public func callAsFunction(_ embeddings: Tensor, views: Int, positives: Positives) -> Tensor {
    precondition(embeddings.rank == 2 && views >= 1 && embeddings.shape[0] % views == 0,
      "SupConLoss: embeddings must be [views · B, d]")
    return loss(embeddings, pairs: pairs(batch: embeddings.shape[0] / views, views: views, positives: positives))
  }

  /// The loss with the pairs already built (the trainer reuses them for its statistics).
  public func loss(_ embeddings: Tensor, pairs: PairMask) -> Tensor {
    let (anchors, n) = (pairs.anchorCount, pairs.contrastCount)
    precondition(embeddings.shape[0] == n, "SupConLoss: \(embeddings.shape[0]) embeddings for \(n) contrast rows")
    let anchorRows = anchors == n ? embeddings : embeddings.slice(alongAxis: 0, 0..<anchors)
    var logits = anchorRows.matmul(embeddings, transposeOther: true) * (1 / temperature)
    logits = logits - logits.max(alongAxis: 1, keepingDimension: true).detached()
    var notSelf = [Float](repeating: 1, count: anchors * n)
    for a in 0..<anchors { notSelf[a * n + a] = 0 }
    let selfMask = Tensor(shape: [anchors, n], scalars: notSelf)
    let logDenominator = (logits.exp() * selfMask).sum(alongAxes: [1], keepingDimensions: true).log()
    let logProbability = logits - logDenominator
    var counts = [Float](repeating: 0, count: anchors)
    for a in 0..<anchors { for j in 0..<n where pairs.isPositive(a, j) { counts[a] += 1 } }
    let positiveMask = Tensor(shape: [anchors, n], scalars: pairs.positive)
    let meanPositive = (positiveMask * logProbability).sum(alongAxes: [1]) / Tensor(shape: [anchors], scalars: counts.map { max($0, 1) })
    return meanPositive.mean() * (-temperature / baseTemperature)
  }
}
