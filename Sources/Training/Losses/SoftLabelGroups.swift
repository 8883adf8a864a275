/// Group ids for soft label vectors: rows whose vectors are exactly equal share an id
/// (numbered in order of first appearance). Core-tuning's contrastive positives are the
/// rows of one group. The released code instead encodes a vector u as Σ_c u_c·10^c, which
/// overflows int64 from 19 classes on and can merge distinct vectors in float32; exact
/// equality works for any number of classes.
public enum SoftLabelGroups {
  /// One id per row of `targets` (`rows` vectors of `classes` values, row-major).
  public static func ids(_ targets: [Float], classes: Int) -> [Int] {
    precondition(classes > 0 && targets.count % classes == 0, "SoftLabelGroups: targets are not [rows, classes]")
    var seen = [[UInt32]: Int]()
    return stride(from: 0, to: targets.count, by: classes).map { start in
      let key = targets[start..<start + classes].map(\.bitPattern)
      if let id = seen[key] { return id }
      let id = seen.count
      seen[key] = id
      return id
    }
  }
}
