import Engine

/// A matrix of feature vectors, one row per example, as analysis reads them from
/// `features/<tag>.npy` or from a file a user exported from PyTorch.
public struct FeatureMatrix: Sendable, Equatable {
  /// Number of examples (N).
  public var rows: Int
  /// Feature dimension (D).
  public var columns: Int
  /// Row-major values, `rows * columns` long.
  public var values: [Float]

  /// A matrix from row-major values (`rows * columns` of them).
  public init(rows: Int, columns: Int, values: [Float]) {
    precondition(values.count == rows * columns, "FeatureMatrix: value count does not match shape")
    self.rows = rows
    self.columns = columns
    self.values = values
  }

  /// Reads a 2-D `.npy` file of any numeric type and rejects rows with NaN or infinity,
  /// naming the first such row.
  public static func read(_ path: String) throws(FileError) -> FeatureMatrix {
    let array = try NPYArray.read(path)
    guard array.shape.count == 2 else {
      throw FileError(path, "features must be a 2-D array [N, D], found shape \(array.shape)")
    }
    let matrix = FeatureMatrix(
      rows: array.shape[0], columns: array.shape[1], values: array.floats())
    do {
      try matrix.requireFinite()
    } catch {
      throw FileError(path, error.problem)
    }
    return matrix
  }

  /// Throws naming the first row that holds NaN or infinity, or whose squared norm
  /// (which distances and similarities compute in float32, after centring) would overflow
  /// (rows count from 0).
  public func requireFinite() throws(AnalysisInputError) {
    let d = columns
    try values.withUnsafeBufferPointer { v throws(AnalysisInputError) in
      for i in 0..<rows {
        var bad = false
        var squares: Float = 0
        for j in 0..<d {
          let x = v[i * d + j]
          if !x.isFinite { bad = true }
          squares += x * x
        }
        if bad { throw AnalysisInputError("row \(i) contains NaN or infinity") }
        guard (4 * squares).isFinite else {
          let largest = (0..<d).map { abs(v[i * d + $0]) }.max() ?? 0
          throw AnalysisInputError(
            "row \(i) is too large for float32 distances (values up to \(largest), squared norm past 3.4e38); rescale the features")
        }
      }
    }
  }

  /// The rows at `indices`, in that order.
  public func selecting(rows indices: [Int]) -> FeatureMatrix {
    var out = [Float]()
    out.reserveCapacity(indices.count * columns)
    for i in indices { out += values[i * columns..<(i + 1) * columns] }
    return FeatureMatrix(rows: indices.count, columns: columns, values: out)
  }

  /// Every row divided by its Euclidean norm (computed in Double). Throws naming the
  /// first all-zero row, which has no direction.
  public func l2Normalized() throws(AnalysisInputError) -> FeatureMatrix {
    var out = values
    let d = columns
    for i in 0..<rows {
      var sum = 0.0
      for j in 0..<d {
        let x = Double(values[i * d + j])
        sum += x * x
      }
      guard sum > 0 else {
        throw AnalysisInputError("row \(i) is all zeros and cannot be L2-normalised")
      }
      let scale = 1 / sum.squareRoot()
      for j in 0..<d { out[i * d + j] = Float(Double(values[i * d + j]) * scale) }
    }
    return FeatureMatrix(rows: rows, columns: columns, values: out)
  }
}
