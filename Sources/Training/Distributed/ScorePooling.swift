import Foundation
import RunFormat

extension ScoreStatistics {
  /// The statistics of every score of `parts` together: counts added, means weighted by
  /// count, variances pooled (within plus between parts, unbiased), histograms added;
  /// the per-anchor variance is the mean over parts (equal shards hold equal anchors).
  public static func pooled(_ parts: [ScoreStatistics]) -> ScoreStatistics {
    precondition(!parts.isEmpty, "ScoreStatistics.pooled: nothing to pool")
    guard parts.count > 1 else { return parts[0] }
    var (count, mean, squares) = (0.0, 0.0, 0.0)
    for part in parts where part.count > 0 {
      let n = Double(part.count)
      let delta = part.mean - mean
      let merged = count + n
      mean += delta * n / merged
      squares += part.variance * (n - 1) + delta * delta * count * n / merged
      count = merged
    }
    var histogram: ScoreHistogram?
    if let first = parts[0].histogram, parts.allSatisfy({ $0.histogram?.edges == first.edges }) {
      var counts = first.counts
      for part in parts.dropFirst() {
        for (bin, value) in part.histogram!.counts.enumerated() { counts[bin] += value }
      }
      histogram = ScoreHistogram(edges: first.edges, counts: counts)
    }
    let anchorVariances = parts.compactMap(\.anchorVariance)
    return ScoreStatistics(
      mean: mean, variance: count > 1 ? squares / (count - 1) : 0, count: Int(count), histogram: histogram,
      anchorVariance: anchorVariances.count == parts.count ? anchorVariances.reduce(0, +) / Double(parts.count) : nil)
  }
}

extension ScoreRecord {
  /// One record of every rank's scores at the same step (see `ScoreStatistics.pooled`);
  /// the exp(score/τ) means are averaged, as equal shards hold equal numbers of pairs.
  public static func pooled(_ records: [ScoreRecord]) -> ScoreRecord {
    precondition(!records.isEmpty, "ScoreRecord.pooled: nothing to pool")
    guard records.count > 1 else { return records[0] }
    func pool(_ part: (ScoreRecord) -> ScoreStatistics?) -> ScoreStatistics? {
      let parts = records.compactMap(part)
      return parts.count == records.count ? ScoreStatistics.pooled(parts) : nil
    }
    func average(_ part: (ScoreRecord) -> Double?) -> Double? {
      let parts = records.compactMap(part)
      return parts.count == records.count ? parts.reduce(0, +) / Double(parts.count) : nil
    }
    var exits: [ExitScores]?
    if let first = records[0].exits, records.allSatisfy({ $0.exits?.count == first.count }) {
      exits = first.indices.map { e in
        ExitScores(
          exit: first[e].exit, positive: .pooled(records.map { $0.exits![e].positive }),
          negative: .pooled(records.map { $0.exits![e].negative }))
      }
    }
    return ScoreRecord(
      step: records[0].step, epoch: records[0].epoch, positive: .pooled(records.map(\.positive)),
      negative: .pooled(records.map(\.negative)), positiveUntransformed: pool(\.positiveUntransformed),
      negativeUntransformed: pool(\.negativeUntransformed), expPositiveMean: average(\.expPositiveMean),
      expNegativeMean: average(\.expNegativeMean), exits: exits)
  }
}

/// The numbers a step logs, as one rank computed them over its shard.
struct StepNumbers: Codable {
  var loss: Double
  var accuracy: Double
  var parts: [String: Double]
  var values: [String: Double]
  var scores: ScoreRecord?

  /// Every rank's numbers averaged (scores pooled): the step over the global batch.
  static func combined(_ ranks: [StepNumbers]) -> StepNumbers {
    guard ranks.count > 1 else { return ranks[0] }
    let n = Double(ranks.count)
    func mean(_ key: String, _ table: (StepNumbers) -> [String: Double]) -> Double? {
      let found = ranks.compactMap { table($0)[key] }
      return found.isEmpty ? nil : found.reduce(0, +) / Double(found.count)
    }
    let partKeys = Set(ranks.flatMap { $0.parts.keys })
    let valueKeys = Set(ranks.flatMap { $0.values.keys })
    let scores = ranks.compactMap(\.scores)
    return StepNumbers(
      loss: ranks.reduce(0) { $0 + $1.loss } / n, accuracy: ranks.reduce(0) { $0 + $1.accuracy } / n,
      parts: Dictionary(uniqueKeysWithValues: partKeys.map { ($0, mean($0, \.parts)!) }),
      values: Dictionary(uniqueKeysWithValues: valueKeys.map { ($0, mean($0, \.values)!) }),
      scores: scores.count == ranks.count ? ScoreRecord.pooled(scores) : nil)
  }
}

extension ProcessGroup {
  /// Every rank's step numbers combined into the global batch's (one JSON all-gather).
  func combine(_ numbers: StepNumbers) -> StepNumbers {
    guard size > 1 else { return numbers }
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    guard let bytes = try? encoder.encode(numbers) else {
      preconditionFailure("StepNumbers: not encodable (non-finite numbers are caught before)")
    }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let all = allGatherBytes(Array(bytes), "the step statistics all-gather").map { part in
      guard let decoded = try? decoder.decode(StepNumbers.self, from: Data(part)) else {
        preconditionFailure("StepNumbers: a rank sent numbers that do not decode")
      }
      return decoded
    }
    return StepNumbers.combined(all)
  }
}
