import Datasets
import Engine

/// Images to run a model on, from a `.npy` file or a dataset, handed out as Float32
/// NCHW batches in [0, 1].
///
/// Accepted `.npy` layouts: float32/float64 [N, C, H, W] with values in [0, 1], and
/// uint8 [N, H, W] (one channel) or [N, H, W, C] (scaled by 1/255).
struct ImageSource {
  let count: Int
  let channels: Int
  let height: Int
  let width: Int
  /// Class labels when the images come from a dataset.
  let labels: [Int]?
  private let batchMaker: (Range<Int>) -> Tensor

  /// Reads and checks a `.npy` file of images.
  init(npy path: String) throws(FileError) {
    let array = try NPYArray.read(path)
    let shape = array.shape
    switch (array.type, shape.count) {
    case (.float32, 4), (.float64, 4):
      (count, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
      let values = array.floats()
      for (i, v) in values.enumerated() where !(v >= -1e-6 && v <= 1 + 1e-6) {
        let what = v.isNaN ? "NaN" : "\(v)"
        throw FileError(path, "element \(i) is \(what): float images must lie in [0, 1] (normalisation happens inside the model)")
      }
      let plane = channels * height * width
      batchMaker = { range in
        Tensor(shape: [range.count, shape[1], shape[2], shape[3]], scalars: Array(values[(range.lowerBound * plane)..<(range.upperBound * plane)]))
      }
    case (.uint8, 3), (.uint8, 4):
      (count, height, width) = (shape[0], shape[1], shape[2])
      channels = shape.count == 4 ? shape[3] : 1
      let bytes = array.bytes
      let (c, h, w) = (channels, height, width)
      batchMaker = { range in
        var values = [Float](repeating: 0, count: range.count * c * h * w)
        for (b, n) in range.enumerated() {
          for y in 0..<h {
            for x in 0..<w {
              for k in 0..<c {
                values[((b * c + k) * h + y) * w + x] = Float(bytes[((n * h + y) * w + x) * c + k]) / 255
              }
            }
          }
        }
        return Tensor(shape: [range.count, c, h, w], scalars: values)
      }
    default:
      throw FileError(path, "expected float32 [N, C, H, W] in [0, 1] or uint8 [N, H, W] / [N, H, W, C] images, got \(array.type) \(shape)")
    }
    guard height > 0 && width > 0 && channels > 0 else { throw FileError(path, "images of shape \(shape) are empty") }
    labels = nil
  }

  /// The images of a dataset split.
  init(_ images: ImageSet) {
    (count, channels, height, width) = (images.count, images.channels, images.height, images.width)
    labels = images.labels
    let plane = images.imageSize
    batchMaker = { range in
      let values = images.pixels[(range.lowerBound * plane)..<(range.upperBound * plane)].map { Float($0) / 255 }
      return Tensor(shape: [range.count, images.channels, images.height, images.width], scalars: values)
    }
  }

  /// Images `range` as a Float32 [n, C, H, W] tensor in [0, 1].
  func batch(_ range: Range<Int>) -> Tensor { batchMaker(range) }
}
