/// Counts of scores in fixed bins (`{"edges": [...], "counts": [...]}`), one more edge
/// than counts, edges increasing.
public struct ScoreHistogram: Sendable, Equatable, Codable {
  /// Bin edges, increasing.
  public var edges: [Double]
  /// Scores per bin.
  public var counts: [Double]

  public init(edges: [Double], counts: [Double]) {
    self.edges = edges
    self.counts = counts
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    edges = try container.decode([Double].self, forKey: .edges)
    counts = try container.decode([Double].self, forKey: .counts)
    guard edges.count == counts.count + 1 else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "\(counts.count) counts need \(counts.count + 1) edges"))
    }
    guard zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "edges not increasing"))
    }
  }

  private enum CodingKeys: String, CodingKey { case edges, counts }
}

/// Mean, variance, count (and histogram) of one kind of cosine score at one step.
public struct ScoreStatistics: Sendable, Equatable, Codable {
  /// Mean cosine score.
  public var mean: Double
  /// Variance over every score of the step (total variance over all pairs, not the mean
  /// of per-anchor variances).
  public var variance: Double
  /// How many scores the statistics summarise.
  public var count: Int
  /// Counts in fixed bins over [−1, 1], when the writer stored them.
  public var histogram: ScoreHistogram?
  /// Mean over anchors of the unbiased variance of each anchor's scores, when logged:
  /// the FT notebook's "neg_var" (each query's variance over the queue, averaged).
  public var anchorVariance: Double?

  public init(mean: Double, variance: Double, count: Int, histogram: ScoreHistogram? = nil, anchorVariance: Double? = nil) {
    self.mean = mean
    self.variance = variance
    self.count = count
    self.histogram = histogram
    self.anchorVariance = anchorVariance
  }

  enum CodingKeys: String, CodingKey {
    case mean, variance, count, histogram
    case anchorVariance = "anchor_variance"
  }
}

/// Positive and negative score statistics at one logged step (a line of `scores.jsonl`).
public struct ScoreRecord: Sendable, Equatable, Codable {
  /// Training step of the record.
  public var step: Int
  /// Fractional epoch, when logged.
  public var epoch: Double?
  /// Scores of positive pairs (two views of one image, or same-class pairs).
  public var positive: ScoreStatistics
  /// Scores of negative pairs (batch or queue negatives).
  public var negative: ScoreStatistics
  /// The scores before a feature transformation (MoCo + FT), when one was applied.
  public var positiveUntransformed: ScoreStatistics?
  public var negativeUntransformed: ScoreStatistics?
  /// Means of exp(score/τ), when logged (the FT notebook's curves).
  public var expPositiveMean: Double?
  public var expNegativeMean: Double?
  /// The scores of each exit's anchors (SelfCon: sub-exits first, backbone last).
  public var exits: [ExitScores]?

  public init(
    step: Int, epoch: Double? = nil, positive: ScoreStatistics, negative: ScoreStatistics,
    positiveUntransformed: ScoreStatistics? = nil, negativeUntransformed: ScoreStatistics? = nil,
    expPositiveMean: Double? = nil, expNegativeMean: Double? = nil, exits: [ExitScores]? = nil
  ) {
    self.step = step
    self.epoch = epoch
    self.positive = positive
    self.negative = negative
    self.positiveUntransformed = positiveUntransformed
    self.negativeUntransformed = negativeUntransformed
    self.expPositiveMean = expPositiveMean
    self.expNegativeMean = expNegativeMean
    self.exits = exits
  }

  enum CodingKeys: String, CodingKey {
    case step, epoch, positive, negative, exits
    case positiveUntransformed = "positive_untransformed"
    case negativeUntransformed = "negative_untransformed"
    case expPositiveMean = "exp_positive_mean"
    case expNegativeMean = "exp_negative_mean"
  }
}

/// The scores of one exit's anchors against every embedding of the step (SelfCon).
public struct ExitScores: Sendable, Equatable, Codable {
  /// "sub" for a sub-network exit, "backbone" for the encoder's.
  public var exit: String
  public var positive: ScoreStatistics
  public var negative: ScoreStatistics

  public init(exit: String, positive: ScoreStatistics, negative: ScoreStatistics) {
    self.exit = exit
    self.positive = positive
    self.negative = negative
  }
}
