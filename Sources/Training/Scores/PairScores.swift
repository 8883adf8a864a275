import Engine
import RunFormat

/// The cosine scores of a batch's positive and negative pairs, and how often an
/// anchor's most similar sample is a positive: what a run logs to `scores.jsonl` and
/// its contrastive accuracy.
public struct PairScores: Sendable, Equatable {
  /// Scores of the positive pairs (as the loss defines them).
  public var positive: ScoreStatistics
  /// Scores of every other pair except an anchor with itself.
  public var negative: ScoreStatistics
  /// Fraction of anchors whose highest-scoring other sample is a positive.
  public var accuracy: Double
  /// Scores before a feature transformation changed them (MoCo + FT logs both).
  public var untransformed: (positive: ScoreStatistics, negative: ScoreStatistics)?
  /// Means of exp(score/τ) of positives and negatives (the FT notebook's "exp" curves).
  public var expMeans: (positive: Double, negative: Double)?
  /// The scores of each exit's anchors (SelfCon).
  public var exits: [ExitScores]?

  public static func == (a: PairScores, b: PairScores) -> Bool {
    a.positive == b.positive && a.negative == b.negative && a.accuracy == b.accuracy
      && a.untransformed?.positive == b.untransformed?.positive && a.untransformed?.negative == b.untransformed?.negative
      && a.expMeans?.positive == b.expMeans?.positive && a.expMeans?.negative == b.expMeans?.negative
      && a.exits == b.exits
  }

  /// Statistics of given positive and negative scores, with the step's accuracy; the
  /// negatives are rows of `negativesPerAnchor` scores of one anchor each.
  public init(positives: [Float], negatives: [Float], negativesPerAnchor: Int, accuracy: Double, bins: Int) {
    precondition(bins >= 1, "PairScores: at least one bin")
    precondition(negativesPerAnchor >= 1 && negatives.count % negativesPerAnchor == 0, "PairScores: whole rows of negatives")
    var positive = Accumulator(bins: bins)
    var negative = Accumulator(bins: bins)
    var anchorVariances = AnchorVariances()
    for score in positives { positive.add(score) }
    for row in stride(from: 0, to: negatives.count, by: negativesPerAnchor) {
      var own = Accumulator(bins: 1)
      for score in negatives[row..<(row + negativesPerAnchor)] {
        negative.add(score)
        own.add(score)
      }
      anchorVariances.add(own)
    }
    self.positive = positive.statistics
    self.negative = negative.statistics
    self.negative.anchorVariance = anchorVariances.mean
    self.accuracy = accuracy
  }

  /// Scores of unit `embeddings` [N, d] (off the tape) over the pairs of `pairs`, each
  /// ordered (anchor, other) pair counted once. Variances are over all scores of the
  /// batch (not the mean of per-anchor variances); histograms count `bins` equal bins
  /// over [−1, 1].
  public init(embeddings: Tensor, pairs: SupConLoss.PairMask, bins: Int) {
    let rows = embeddings.detached()
    self.init(
      anchors: pairs.anchorCount == pairs.contrastCount ? rows : rows.slice(alongAxis: 0, 0..<pairs.anchorCount),
      contrast: rows, bins: bins, isPositive: pairs.isPositive)
  }

  /// Scores of unit `anchors` [A, d] against unit `contrast` rows [M, d] whose rows
  /// `anchorOffset ..< anchorOffset + A` are the anchors themselves (so each anchor's own
  /// column is left out), positives where `isPositive(anchor, column)`.
  public init(anchors: Tensor, contrast: Tensor, anchorOffset: Int = 0, bins: Int, isPositive: (Int, Int) -> Bool) {
    precondition(bins >= 1, "PairScores: at least one bin")
    let (count, n) = (anchors.shape[0], contrast.shape[0])
    let similarity = withoutGradients { anchors.detached().matmul(contrast.detached(), transposeOther: true) }
    var positive = Accumulator(bins: bins)
    var negative = Accumulator(bins: bins)
    var anchorVariances = AnchorVariances()
    var correct = 0
    similarity.withUnsafeBufferPointer { s in
      for a in 0..<count {
        var best = -Float.infinity
        var bestIsPositive = false
        var own = Accumulator(bins: 1)
        for j in 0..<n where j != a + anchorOffset {
          let score = s[a * n + j]
          let positivePair = isPositive(a, j)
          if positivePair {
            positive.add(score)
          } else {
            negative.add(score)
            own.add(score)
          }
          if score > best {
            best = score
            bestIsPositive = positivePair
          }
        }
        anchorVariances.add(own)
        if bestIsPositive { correct += 1 }
      }
    }
    self.positive = positive.statistics
    self.negative = negative.statistics
    self.negative.anchorVariance = anchorVariances.mean
    accuracy = count == 0 ? 0 : Double(correct) / Double(count)
  }

  /// The mean of anchors' own unbiased variances (anchors with fewer than two scores
  /// left out).
  private struct AnchorVariances {
    var sum = 0.0
    var count = 0

    mutating func add(_ anchor: Accumulator) {
      guard anchor.count > 1 else { return }
      sum += anchor.squares / Double(anchor.count - 1)
      count += 1
    }

    var mean: Double? { count == 0 ? nil : sum / Double(count) }
  }

  /// Running moments (Welford) and fixed-bin counts of scores.
  private struct Accumulator {
    var count = 0
    var mean = 0.0
    var squares = 0.0
    var counts: [Double]

    init(bins: Int) { counts = Array(repeating: 0, count: bins) }

    mutating func add(_ score: Float) {
      let x = Double(score)
      count += 1
      let delta = x - mean
      mean += delta / Double(count)
      squares += delta * (x - mean)
      guard x.isFinite else { return }
      let bins = counts.count
      let bin = Swift.min(Swift.max(Int(((x + 1) / 2 * Double(bins)).rounded(.down)), 0), bins - 1)
      counts[bin] += 1
    }

    var statistics: ScoreStatistics {
      let bins = counts.count
      let edges = (0...bins).map { -1 + 2 * Double($0) / Double(bins) }
      return ScoreStatistics(
        mean: mean, variance: count > 1 ? squares / Double(count - 1) : 0, count: count,
        histogram: ScoreHistogram(edges: edges, counts: counts))
    }
  }
}
