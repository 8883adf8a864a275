import Engine
import Foundation

/// Folders of PNG images, one sub-folder per class (torchvision's `ImageFolder`
/// layout): `root/<class name>/[<folders>/]<any name>.png`. Classes are the sub-folders
/// in sorted order; a class's images are all PNGs below its folder, in torchvision's
/// order (by folder, then by name); hidden files and folders are skipped.
public enum ImageFolder {
  /// Reads every PNG under `root`'s class folders. All images must have the same size;
  /// greyscale images are replicated to RGB when any image of the set is in colour.
  public static func read(_ root: String, threads: ThreadCount = .available) throws(FileError)
    -> ImageSet
  {
    let classNames = try visibleEntries(root).filter { isDirectory(root + "/" + $0) }
    guard !classNames.isEmpty else {
      throw FileError(root, "no class folders (expected \(root)/<class name>/<image>.png)")
    }
    var files = [(path: String, label: Int)]()
    for (label, name) in classNames.enumerated() {
      let images = try imageFiles(below: root + "/" + name)
      // torchvision refuses an empty class too: counted, it would shift every later label.
      guard !images.isEmpty else {
        throw FileError(root + "/" + name, "a class folder without .png images (remove it, or add its images)")
      }
      for path in images { files.append((path, label)) }
    }

    let results = Results(count: files.count)
    let paths = files.map(\.path)
    parallelFor(chunks: paths.count, threads: threads) { i in
      results.store(i, Result { () throws(FileError) in try PNGFile.read(paths[i]) })
    }
    var decoded = [PNGFile.Decoded]()
    decoded.reserveCapacity(files.count)
    for result in results.values {
      guard let result else { continue }
      decoded.append(try result.get())
    }
    let first = decoded[0]
    let channels = decoded.contains { $0.channels == 3 } ? 3 : 1
    var pixels = [UInt8]()
    pixels.reserveCapacity(files.count * channels * first.height * first.width)
    for (image, file) in zip(decoded, files) {
      guard image.height == first.height, image.width == first.width else {
        throw FileError(
          file.path,
          "is \(image.width)x\(image.height) but \(files[0].path) is \(first.width)x\(first.height); all images must have one size"
        )
      }
      appendChannelMajor(image, channels: channels, to: &pixels)
    }
    return ImageSet(
      pixels: pixels, labels: files.map(\.label), channels: channels, height: first.height,
      width: first.width,
      classNames: classNames)
  }

  /// Appends a decoded (HWC) image as CHW bytes with `channels` channels.
  static func appendChannelMajor(_ image: PNGFile.Decoded, channels: Int, to pixels: inout [UInt8])
  {
    let plane = image.height * image.width
    for c in 0..<channels {
      let source = image.channels == 1 ? 0 : c
      for p in 0..<plane { pixels.append(image.samples[p * image.channels + source]) }
    }
  }

  /// Writes `images` as PNG class folders under `root` (`root/<class name>/<index>.png`,
  /// a "/" in a class name written as "_"), so a dataset can be exported for other tools
  /// or checked by eye.
  public static func write(_ images: ImageSet, to root: String) throws(FileError) {
    let folders = images.classNames.map { $0.replacingOccurrences(of: "/", with: "_") }
    for i in 0..<images.count {
      let path = "\(root)/\(folders[images.labels[i]])/\(i).png"
      try PNGFile.write(images.image(i), to: path)
    }
  }

  /// The PNG files below `folder`, at any depth, sorted by folder and then by name as
  /// torchvision's `sorted(os.walk(folder))` visits them.
  private static func imageFiles(below folder: String) throws(FileError) -> [String] {
    var found = [(folder: String, name: String)]()
    var pending = [folder]
    var visited = Set<String>()
    while let current = pending.popLast() {
      // A symbolic link back to a folder above would otherwise be walked forever, and
      // two links to one folder would read its images twice.
      guard visited.insert(URL(fileURLWithPath: current).resolvingSymlinksInPath().path).inserted
      else {
        throw FileError(
          current, "is a link to a folder that was already read (a loop or a duplicate)")
      }
      for entry in try visibleEntries(current) {
        let path = current + "/" + entry
        if isDirectory(path) {
          pending.append(path)
        } else if entry.lowercased().hasSuffix(".png") {
          found.append((current, entry))
        } else {
          throw FileError(path, "not a PNG file name (class folders may hold only .png images)")
        }
      }
    }
    return found.sorted { ($0.folder, $0.name) < ($1.folder, $1.name) }.map {
      $0.folder + "/" + $0.name
    }
  }

  private static func visibleEntries(_ folder: String) throws(FileError) -> [String] {
    guard isDirectory(folder) else {
      throw FileError(
        folder,
        FileManager.default.fileExists(atPath: folder)
          ? "is a file, expected a folder" : "no such folder")
    }
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
      throw FileError(folder, "cannot list the folder (permissions?)")
    }
    return entries.filter { !$0.hasPrefix(".") }.sorted()
  }

  private static func isDirectory(_ path: String) -> Bool {
    var directory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &directory)
      && directory.boolValue
  }

  /// Per-file decoding results written from worker threads, each to its own slot.
  private final class Results: @unchecked Sendable {
    private(set) var values: [Result<PNGFile.Decoded, FileError>?]
    private let lock = NSLock()

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func store(_ index: Int, _ result: Result<PNGFile.Decoded, FileError>) {
      lock.lock()
      values[index] = result
      lock.unlock()
    }
  }
}
