import Engine

/// A matrix of feature vectors, one row per example, as analysis reads them from
/// `features/<tag>.npy` or from a file a user exported from PyTorch.
public struct FeatureMatrix: Sendable {
  public var rows: Int
  public var columns: Int
  /// Row-major values, `rows * columns` long.
  public var values: [Float]

  public init(rows: Int, columns: Int, values: [Float]) {
    precondition(values.count == rows * columns, "FeatureMatrix: value count does not match shape")
    self.rows = rows
    self.columns = columns
    self.values = values
  }

  /// Reads a 2-D `.npy` file of any numeric type.
  public static func read(_ path: String) throws(FileError) -> FeatureMatrix {
    let array = try NPYArray.read(path)
    guard array.shape.count == 2 else {
      throw FileError(path, "features must be a 2-D array [N, D], found shape \(array.shape)")
    }
    return FeatureMatrix(rows: array.shape[0], columns: array.shape[1], values: array.floats())
  }
}
