import Engine

/// Class labels, one per feature row, as stored in `features/<tag>.labels.npy`.
public enum LabelVector {
  /// Reads a 1-D integer `.npy` file (a column vector [N, 1] is accepted too) and checks
  /// that it has one label per feature row.
  public static func read(_ path: String, expectedCount: Int) throws(FileError) -> [Int] {
    let array = try NPYArray.read(path)
    guard array.shape.count == 1 || (array.shape.count == 2 && array.shape[1] == 1) else {
      throw FileError(path, "labels must be a 1-D array [N], found shape \(array.shape)")
    }
    guard let labels = array.integers() else {
      throw FileError(path, "labels must be whole numbers")
    }
    guard labels.count == expectedCount else {
      throw FileError(
        path, "has \(labels.count) labels but the features have \(expectedCount) rows")
    }
    return labels
  }
}
