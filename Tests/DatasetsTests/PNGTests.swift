import Datasets
import Engine
import Foundation
import TestSupport
import Testing

struct PNGTests {
  /// Files PIL wrote, decoded by libpng through the shim.
  @Test(arguments: ["grey8", "rgb8", "rgba8", "grey_alpha8", "palette", "grey16", "grey1"])
  func readsWhatPILWrites(name: String) throws {
    let decoded = try PNGFile.read(fixturePath("files/\(name).png"))
    let expected = try NPYArray.read(fixturePath("files/\(name).expected.npy"))
    #expect([decoded.channels, decoded.height, decoded.width] == expected.shape)
    // Decoded is HWC; the expectation CHW.
    let plane = decoded.height * decoded.width
    var planar = [UInt8](repeating: 0, count: decoded.samples.count)
    for p in 0..<plane {
      for c in 0..<decoded.channels {
        planar[c * plane + p] = decoded.samples[p * decoded.channels + c]
      }
    }
    #expect(planar == expected.bytes)
  }

  @Test func encodeDecodeRoundTripsEveryLayout() throws {
    let directory = TemporaryDirectory()
    var rng = RandomGenerator(seed: 5)
    for channels in 1...4 {
      for interlaced in [false, true] {
        let samples = (0..<(9 * 11 * channels)).map { _ in UInt8(rng.int(below: 256)) }
        let path = directory.file("c\(channels)-\(interlaced).png")
        try Data(
          PNGFile.encode(
            samples: samples, channels: channels, height: 9, width: 11, interlaced: interlaced)
        )
        .write(to: URL(fileURLWithPath: path))
        let decoded = try PNGFile.read(path)
        // Alpha is dropped: grey+alpha reads as grey, RGBA as RGB.
        let kept = channels <= 2 ? 1 : 3
        #expect(decoded.channels == kept && decoded.height == 9 && decoded.width == 11)
        let expected = (0..<(9 * 11)).flatMap { p in (0..<kept).map { samples[p * channels + $0] } }
        #expect(decoded.samples == expected)
      }
    }
    let wide = (0..<(4 * 3)).map { UInt16($0 * 5000) }
    let path = directory.file("sixteen.png")
    try Data(PNGFile.encode(samples16: wide, channels: 3, height: 2, width: 2)).write(
      to: URL(fileURLWithPath: path))
    #expect(try PNGFile.read(path).samples == wide.map { UInt8((Double($0) / 257).rounded()) })
  }

  @Test func corruptPNGsGiveTheDocumentedErrors() throws {
    let directory = TemporaryDirectory()
    var rng = RandomGenerator(seed: 6)
    let samples = (0..<(40 * 40 * 3)).map { _ in UInt8(rng.int(below: 256)) }
    let good = try PNGFile.encode(samples: samples, channels: 3, height: 40, width: 40)
    func problem(_ bytes: [UInt8]) throws -> String? {
      let path = directory.file("bad.png")
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      let error = fileError { () throws(FileError) in try PNGFile.read(path) }
      #expect(error?.path == path)
      return error?.problem
    }
    // A changed byte in the IHDR chunk (after the 8-byte signature and the chunk's
    // length and type) no longer matches the chunk's CRC.
    var badCRC = good
    badCRC[8 + 8 + 3] ^= 0x01
    let crcProblem = try problem(badCRC)
    #expect(crcProblem == "corrupt PNG: IHDR: CRC error")
    // Inside the compressed image data, zlib's own check fails first.
    var badData = good
    badData[8 + 25 + 8 + 20] ^= 0x5A
    let dataProblem = try problem(badData)
    #expect(dataProblem == "corrupt PNG: IDAT: incorrect data check")
    #expect(try problem(Array(good.prefix(good.count / 2))) == "corrupt PNG: Read Error")
    var magic = good
    magic[1] = 0x51
    #expect(try problem(magic) == "not a PNG file (bad signature)")
    #expect(try problem(Array(good.prefix(5))) == "not a PNG file (bad signature)")
    #expect(
      fileError { () throws(FileError) in try PNGFile.read(directory.file("missing.png")) }?.problem
        == "no such file")
  }

  @Test func imageFoldersReadClassesInSortedOrder() throws {
    let directory = TemporaryDirectory()
    let grey = Image(channels: 1, height: 4, width: 3, repeating: 0.4)
    var colour = Image(channels: 3, height: 4, width: 3, repeating: 0)
    colour[2, 1, 1] = 1
    try PNGFile.write(grey, to: directory.file("zebra/a.png"))
    try PNGFile.write(colour, to: directory.file("ant/b.png"))
    try PNGFile.write(grey, to: directory.file("ant/c.PNG"))
    try Data().write(to: URL(fileURLWithPath: directory.file("ant/.DS_Store")))
    let set = try ImageFolder.read(directory.path, threads: ThreadCount(2))
    #expect(set.classNames == ["ant", "zebra"] && set.labels == [0, 0, 1])
    // One colour image makes the set RGB; grey images are replicated.
    #expect(set.channels == 3 && set.height == 4 && set.width == 3)
    #expect(set.image(0) == colour)
    #expect(set.imageBytes(2).allSatisfy { $0 == 102 })

    // PNGs in folders below a class folder belong to that class, after its own files
    // (torchvision walks the tree); links back up are an error, not an endless walk.
    try PNGFile.write(grey, to: directory.file("ant/deeper/d.png"))
    try PNGFile.write(colour, to: directory.file("ant/deeper/still/e.png"))
    let nested = try ImageFolder.read(directory.path, threads: ThreadCount(2))
    #expect(nested.labels == [0, 0, 0, 0, 1] && nested.image(3) == colour)
    try FileManager.default.createSymbolicLink(
      atPath: directory.file("ant/deeper/up"), withDestinationPath: directory.file("ant"))
    #expect(
      fileError { () throws(FileError) in try ImageFolder.read(directory.path) }?.problem
        == "is a link to a folder that was already read (a loop or a duplicate)")
    try FileManager.default.removeItem(atPath: directory.file("ant/deeper"))
    // An empty class folder is an error naming it, not a class with no images.
    try FileManager.default.createDirectory(atPath: directory.file("bee"), withIntermediateDirectories: true)
    #expect(
      fileError { () throws(FileError) in try ImageFolder.read(directory.path) }
        == FileError(directory.file("bee"), "a class folder without .png images (remove it, or add its images)"))
    try FileManager.default.removeItem(atPath: directory.file("bee"))

    let exported = TemporaryDirectory()
    try ImageFolder.write(set, to: exported.path)
    #expect(try ImageFolder.read(exported.path) == set)
    var slashed = set
    slashed.classNames = ["T-shirt/top", "bag"]
    let exportedSlash = TemporaryDirectory()
    try ImageFolder.write(slashed, to: exportedSlash.path)
    #expect(try ImageFolder.read(exportedSlash.path).classNames == ["T-shirt_top", "bag"])
  }

  @Test func badImageFoldersAreReported() throws {
    let directory = TemporaryDirectory()
    #expect(
      fileError { () throws(FileError) in try ImageFolder.read(directory.path) }?.problem.hasPrefix(
        "no class folders") == true)
    try PNGFile.write(Image(channels: 1, height: 4, width: 3), to: directory.file("a/1.png"))
    try PNGFile.write(Image(channels: 1, height: 5, width: 3), to: directory.file("b/2.png"))
    #expect(
      fileError { () throws(FileError) in try ImageFolder.read(directory.path) }
        == FileError(
          directory.file("b/2.png"),
          "is 3x5 but \(directory.file("a/1.png")) is 3x4; all images must have one size"))
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory.file("b/2.png")))
    #expect(
      fileError { () throws(FileError) in try ImageFolder.read(directory.path) }
        == FileError(directory.file("b/2.png"), "not a PNG file (bad signature)"))
    try Data([1]).write(to: URL(fileURLWithPath: directory.file("b/notes.txt")))
    #expect(
      fileError { () throws(FileError) in try ImageFolder.read(directory.path) }?.problem
        == "not a PNG file name (class folders may hold only .png images)")
    #expect(
      fileError { () throws(FileError) in try ImageFolder.read(directory.file("none")) }?.problem
        == "no such folder")
  }
}
