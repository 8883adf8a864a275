import Engine
import Foundation
import Testing

/// The `.pth` reader against checkpoints written by torch.save
/// (scripts/fixtures/pytorch_checkpoints.py): the same tensors as torch.load in both
/// formats, nested checkpoints, and hostile files refused without running anything.
@Suite struct PyTorchCheckpointTests {
  static func path(_ name: String) -> String { Fixtures.path("pytorch/" + name) }

  @Test(arguments: ["mixed.pth", "mixed-legacy.pth"]) func readsEveryStorageTypeAndView(file: String) throws {
    let checkpoint = try PyTorchCheckpoint.read(Self.path(file))
    #expect(checkpoint.format == (file.contains("legacy") ? "legacy" : "zip"))
    let expected = try SafeTensorsFile.read(Self.path("mixed-expected.safetensors")).tensors
    let read = try checkpoint.stateDict()
    #expect(Set(read.keys) == Set(expected.keys))
    for (name, tensor) in expected {
      #expect(read[name] == tensor, "\(name): \(String(describing: read[name]?.shape)) \(String(describing: read[name]?.type))")
    }
    // What a user sees: the entries beside the state dict, and each tensor's stored type.
    let top = Dictionary(uniqueKeysWithValues: checkpoint.topLevel.map { ($0.name, $0.kind) })
    #expect(top["args"] == "argparse.Namespace" && top["epoch"] == "int" && top["state_dict"] == "dict of 16")
    let items = Dictionary(uniqueKeysWithValues: try checkpoint.items().map { ($0.name, $0) })
    #expect(items["state_dict.half"]?.dtype == "float16" && items["state_dict.weight_t"]?.shape == [3, 4])
    #expect(items["optimizer.param_groups.0.lr"]?.kind == "float")
    #expect(checkpoint.defaultStateDictKey == "state_dict")
  }

  @Test func aMoCoCheckpointGivesTheExportedWeights() throws {
    let checkpoint = try PyTorchCheckpoint.read(Self.path("moco-resnet18w16.pth.tar"))
    #expect(checkpoint.format == "legacy")
    let reference = try SafeTensorsFile.read(Fixtures.path("resnet18w16.safetensors")).tensors
    let state = try checkpoint.stateDict()
    #expect(state.count == reference.count)
    for (name, tensor) in reference {
      #expect(state["module.encoder_q." + name] == tensor, "\(name)")
    }
    #expect(try checkpoint.stateDict(key: "state_dict") == state)
    let plain = try PyTorchCheckpoint.read(Self.path("resnet18w16.pth")).stateDict()
    #expect(plain == reference)
    #expect(try WeightsFile.tensors(Self.path("resnet18w16.pth")) == reference)
    #expect(try WeightsFile.tensors(Fixtures.path("resnet18w16.safetensors")) == reference)
  }

  @Test func aStateDictKeyThatIsNotThereNamesWhatIs() throws {
    let checkpoint = try PyTorchCheckpoint.read(Self.path("mixed.pth"))
    let error = try #require(throws: FileError.self) { try checkpoint.stateDict(key: "model") }
    #expect(error.problem.contains("no entry 'model'") && error.problem.contains("state_dict (dict of 16)"))
    let notADict = try #require(throws: FileError.self) { try checkpoint.stateDict(key: "epoch") }
    #expect(notADict.problem.contains("'epoch' is a int"))
    let aList = try #require(throws: FileError.self) { try checkpoint.stateDict(key: "optimizer.param_groups") }
    #expect(aList.problem.contains("'optimizer.param_groups' is a list"))
  }

  /// Hostile files: each refused with one error naming the problem, nothing executed.
  @Test(arguments: [
    ("evil-reduce.pth", "posix.system"), ("evil-eval.pth", "builtins.eval"), ("evil-legacy.pth", "posix.system"),
    ("zip-bomb.pth", "compressed"), ("truncated-storage.pth", "truncated"), ("huge-view.pth", "more bytes than the file"),
  ])
  func hostileFilesAreRefused(file: String, problem: String) throws {
    let marker = "/tmp/clens-pwned"
    try? FileManager.default.removeItem(atPath: marker)
    let error = try #require(throws: FileError.self) { try PyTorchCheckpoint.read(Self.path(file)) }
    #expect(error.problem.contains(problem), "\(error)")
    #expect(error.path == Self.path(file))
    #expect(!FileManager.default.fileExists(atPath: marker))
  }

  /// A legacy checkpoint around a hand-written main pickle (after the magic number,
  /// protocol version 1001 and an empty system-information dict; before an empty list of
  /// storages).
  static func legacy(_ pickle: [UInt8]) -> [UInt8] {
    [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]
      + [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e] + [0x80, 0x02, 0x7d, 0x2e] + pickle + [0x80, 0x02, 0x5d, 0x2e]
  }

  @Test func hostilePicklesHitTheirBounds() throws {
    let deepLists = [0x80, 0x02] + [UInt8](repeating: 0x5d, count: 200_000) + [UInt8](repeating: 0x61, count: 199_999) + [0x2e]
    let cases: [(String, [UInt8], String)] = [
      ("huge memo index", [0x80, 0x02, 0x4e, 0x72, 0xff, 0xff, 0xff, 0x7f, 0x2e], "memo index"),
      ("unwritten memo", [0x80, 0x02, 0x6a, 0x00, 0x00, 0x10, 0x00, 0x2e], "read before it is written"),
      ("marks", [0x80, 0x02] + [UInt8](repeating: 0x28, count: 70_000) + [0x2e], "nested marks"),
      ("string past the end", [0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x61], "truncated"),
      ("protocol 0", [0x80, 0x02, 0x49, 0x31, 0x0a, 0x2e], "opcode 0x49"),
      ("empty stack", [0x80, 0x02, 0x30, 0x2e], "empty stack"),
      ("deep lists", deepLists, "a list, not a dict"),
    ]
    for (name, pickle, problem) in cases {
      let error = try #require(throws: FileError.self, "\(name)") {
        try PyTorchCheckpoint.decode(Self.legacy(pickle), path: "f.pth").stateDict()
      }
      #expect(error.problem.contains(problem), "\(name): \(error.problem)")
    }
    let nested = try PyTorchCheckpoint.decode(Self.legacy(deepLists), path: "f.pth")
    #expect(throws: FileError.self) { try nested.items() }
  }

  /// Thousands of mutated checkpoints (bytes changed, cut, repeated): each reads or
  /// fails with a FileError, never a crash or a hang.
  @Test(arguments: ["mixed.pth", "mixed-legacy.pth"]) func mutatedCheckpointsNeverCrash(file: String) throws {
    let original = Array(try Data(contentsOf: URL(fileURLWithPath: Self.path(file))))
    var rng = RandomGenerator(seed: 42)
    var read = 0
    for _ in 0..<1500 {
      var bytes = original
      switch rng.int(below: 3) {
      case 0:
        for _ in 0..<(1 + rng.int(below: 8)) { bytes[rng.int(below: bytes.count)] = UInt8(rng.int(below: 256)) }
      case 1:
        bytes = Array(bytes.prefix(rng.int(below: bytes.count)))
      default:
        let start = rng.int(below: bytes.count)
        let length = min(1 + rng.int(below: 64), bytes.count - start)
        bytes.insert(contentsOf: bytes[start..<(start + length)], at: rng.int(below: bytes.count))
      }
      if let checkpoint = try? PyTorchCheckpoint.decode(bytes, path: file) {
        _ = try? checkpoint.items()
        _ = try? checkpoint.stateDict()
        read += 1
      }
    }
    // Some mutations land in bytes nothing reads (padding, names); most are caught.
    #expect(read > 0 && read < 1500)
  }
}
