import Engine
import Foundation
import Testing
import TestSupport

@Suite struct NPYTests {
  @Test func roundTripsEveryType() throws {
    let dir = TemporaryDirectory()
    let arrays = [
      NPYArray(shape: [2, 3], floats: [1, 2, 3, 4, 5, -6.5]),
      NPYArray(shape: [3], doubles: [0.25, -1e300, 7]),
      NPYArray(shape: [4], int64s: [0, -1, Int64.max, 9]),
      NPYArray(shape: [2, 2, 1], uint8s: [0, 255, 7, 8]),
      NPYArray(shape: [], floats: [3.5]),
      NPYArray(shape: [0, 5], floats: []),
    ]
    for (i, array) in arrays.enumerated() {
      let path = dir.file("a\(i).npy")
      try array.write(to: path)
      #expect(try NPYArray.read(path) == array)
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count % 64 == array.bytes.count % 64)
    }
  }

  /// Bytes NumPy 2.4 wrote for `np.save(f, np.arange(6, dtype='<f4').reshape(2, 3))`.
  @Test func readsNumPyOutput() throws {
    var file: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0]
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    header += String(repeating: " ", count: 118 - header.utf8.count - 1) + "\n"
    file += Array(header.utf8)
    file += [Float](arrayLiteral: 0, 1, 2, 3, 4, 5).withUnsafeBytes { Array($0) }
    let array = try NPYArray.decode(file, path: "x.npy")
    #expect(array.shape == [2, 3])
    #expect(array.floats() == [0, 1, 2, 3, 4, 5])
    #expect(array.integers() == [0, 1, 2, 3, 4, 5])
  }

  @Test func reportsCorruptFiles() throws {
    let good = NPYArray(shape: [4, 2], floats: Array(repeating: 1, count: 8)).encoded()
    func problem(_ bytes: [UInt8]) -> String? {
      do {
        _ = try NPYArray.decode(bytes, path: "f.npy")
        return nil
      } catch { return error.problem }
    }
    #expect(problem(Array(good.dropLast(3)))?.hasPrefix("truncated data") == true)
    #expect(problem(Array(good.prefix(20)))?.hasPrefix("truncated .npy header") == true)
    #expect(problem([0x50, 0x4B] + good.dropFirst(2))?.contains("bad magic") == true)
    #expect(problem(good + [0])?.contains("unexpected bytes") == true)
    var wrongType = good
    let range = wrongType.firstRange(of: Array("<f4".utf8))!
    wrongType.replaceSubrange(range, with: Array("<c8".utf8))
    #expect(problem(wrongType)?.contains("unsupported dtype '<c8'") == true)
    let hugeHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 4), }\n"
    let huge = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(hugeHeader.utf8.count), 0] + Array(hugeHeader.utf8)
    #expect(problem(huge)?.contains("impossibly large") == true)
    #expect(throws: FileError("/no/such.npy", "no such file")) { try NPYArray.read("/no/such.npy") }
    // A header quoting binary garbage still makes one short printable line.
    let garbledHeader =
      Array("{'descr': '".utf8) + [0x3C, 0x0A, 0x00] + Array(repeating: 0xFF, count: 600)
      + Array("', 'fortran_order': False, 'shape': (2,), }\n".utf8)
    let length = garbledHeader.count
    let garbled = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + garbledHeader
    let message = try #require(problem(garbled))
    #expect(message.contains("unsupported dtype '<\\u{A}\\u{0}") && !message.contains("\n"), "\(message)")
    #expect(message.count <= 301 && message.hasSuffix("…"), "\(message)")
  }
}
