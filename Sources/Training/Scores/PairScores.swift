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

  /// Scores of unit `embeddings` [N, d] (off the tape) over the pairs of `pairs`, each
  /// ordered (anchor, other) pair counted once. Variances are over all scores of the
  /// batch (not the mean of per-anchor variances); histograms count `bins` equal bins
  /// over [−1, 1].
  public init(embeddings: Tensor, pairs: SupConLoss.PairMask, bins: Int) {
    precondition(bins >= 1, "PairScores: at least one bin")
    let (anchors, n) = (pairs.anchorCount, pairs.contrastCount)
    let rows = embeddings.detached()
    let similarity = withoutGradients {
      (anchors == n ? rows : rows.slice(alongAxis: 0, 0..<anchors)).matmul(rows, transposeOther: true)
    }
    var positive = Accumulator(bins: bins)
    var negative = Accumulator(bins: bins)
    var correct = 0
    similarity.withUnsafeBufferPointer { s in
      for a in 0..<anchors {
        var best = -Float.infinity
        var bestIsPositive = false
        for j in 0..<n where j != a {
          let score = s[a * n + j]
          let isPositive = pairs.isPositive(a, j)
          if isPositive { positive.add(score) } else { negative.add(score) }
          if score > best {
            best = score
            bestIsPositive = isPositive
          }
        }
        if bestIsPositive { correct += 1 }
      }
    }
    self.positive = positive.statistics
    self.negative = negative.statistics
    accuracy = anchors == 0 ? 0 : Double(correct) / Double(anchors)
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
