import Datasets
import Engine
import Foundation
import TestSupport

/// The path of a committed fixture (Tests/DatasetsTests/Fixtures/<relative>).
func fixturePath(_ relative: String) -> String {
  (Bundle.module.resourcePath ?? ".") + "/Fixtures/" + relative
}

/// A float32 [C, H, W] fixture as an `Image`.
func fixtureImage(_ relative: String) throws -> Image {
  let array = try NPYArray.read(fixturePath(relative))
  precondition(array.shape.count == 3, "fixture \(relative) is not [C, H, W]")
  return Image(
    channels: array.shape[0], height: array.shape[1], width: array.shape[2], pixels: array.floats())
}

/// The largest absolute difference between two equally shaped images (infinity when
/// the shapes differ or a pixel is not finite).
func maxDifference(_ a: Image, _ b: Image) -> Float {
  guard a.channels == b.channels, a.height == b.height, a.width == b.width else { return .infinity }
  return maxAbsoluteDifference(a.pixels, b.pixels)
}

/// Runs `body` and returns the `FileError` it throws, or nil when it succeeds.
func fileError<T>(_ body: () throws(FileError) -> T) -> FileError? {
  do {
    _ = try body()
    return nil
  } catch {
    return error
  }
}
