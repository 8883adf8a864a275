import Engine
import Foundation
import Testing
import TestSupport

@Suite struct SafeTensorsTests {
  @Test func roundTrip() throws {
    let dir = TemporaryDirectory()
    let file = SafeTensorsFile(
      tensors: [
        "a.weight": SafeTensor(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, -6])),
        "b": SafeTensor(shape: [], int64s: [42]),
        "empty": SafeTensor(Tensor(zeros: [0, 4])),
        "name \"quoted\"": SafeTensor(Tensor(ones: [1])),
      ], metadata: ["format": "pt"])
    try file.write(to: dir.file("x.safetensors"))
    let back = try SafeTensorsFile.read(dir.file("x.safetensors"))
    #expect(back == file)
    let bytes = file.encoded()
    let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect((8 + headerLength) % 8 == 0)
  }

  @Test func readsPyTorchExportWithInt64Counters() throws {
    let file = try SafeTensorsFile.read(Fixtures.path("resnet18w16.safetensors"))
    let counter = try #require(file.tensors["bn1.num_batches_tracked"])
    #expect(counter.type == .int64 && counter.shape == [] && counter.floats() == [25])
    #expect(file.tensors["conv1.weight"]?.shape == [16, 1, 3, 3])
  }

  @Test func convertsOtherTypes() {
    let half = SafeTensor(shape: [2], type: .float16, bytes: [0x00, 0x3C, 0x00, 0xC0])  // 1, -2
    #expect(half.floats() == [1, -2])
    let bf16 = SafeTensor(shape: [1], type: .bfloat16, bytes: [0x80, 0x3F])  // 1
    #expect(bf16.floats() == [1])
    let doubles = SafeTensor(shape: [1], type: .float64, bytes: withUnsafeBytes(of: 2.5) { Array($0) })
    #expect(doubles.floats() == [2.5])
  }

  @Test func reportsCorruptFiles() throws {
    let good = SafeTensorsFile(tensors: ["w": SafeTensor(Tensor(ones: [4, 4]))]).encoded()
    func problem(_ bytes: [UInt8]) -> String? {
      do {
        _ = try SafeTensorsFile.decode(bytes, path: "m.safetensors")
        return nil
      } catch { return error.problem }
    }
    #expect(problem(Array(good.dropLast(5)))?.contains("truncated: tensor 'w'") == true)
    #expect(problem(Array(good.prefix(5)))?.contains("shorter than the 8-byte header") == true)
    #expect(problem(Array(good.prefix(40)))?.contains("header length") == true)
    var garbage = good
    garbage[8] = UInt8(ascii: "#")
    #expect(problem(garbage)?.contains("not valid JSON") == true)
    #expect(problem(good + [0, 0, 0, 0])?.contains("cover") == true)
    let wrongType = String(decoding: good, as: UTF8.self).replacingOccurrences(of: "F32", with: "C64")
    #expect(problem(Array(wrongType.utf8))?.contains("tensor 'w': unsupported dtype C64") == true)
    let wrongShape = String(decoding: good, as: UTF8.self).replacingOccurrences(of: "[4,4]", with: "[4,5]")
    #expect(problem(Array(wrongShape.utf8))?.contains("tensor 'w': shape [4, 5]") == true)
    #expect(throws: FileError("/no/such.safetensors", "no such file")) { try SafeTensorsFile.read("/no/such.safetensors") }
    // 2^62 elements fit an Int, their 2^64 bytes do not: an error, not a trap.
    let header = Array(#"{"w":{"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,0]}}"#.utf8)
    let huge = (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) } + header
    #expect(problem(huge)?.contains("needs more than an Int of bytes") == true)
  }
}

@Suite struct StateDictTests {
  func model(seed: UInt64 = 0, classes: Int = 10) -> ResNet {
    var rng = RandomGenerator(seed: seed)
    return ResNet(ResNetConfiguration(stem: .cifar, width: 4, inChannels: 1, classes: classes), rng: &rng)
  }

  @Test func roundTripThroughFile() throws {
    let dir = TemporaryDirectory()
    let a = model(seed: 1)
    let b = model(seed: 2)
    #expect(a.stateDict() != b.stateDict())
    try a.saveWeights(to: dir.file("w.safetensors"))
    try b.loadWeights(from: dir.file("w.safetensors"))
    #expect(a.stateDict() == b.stateDict())
  }

  @Test func strictLoadingListsEveryProblem() throws {
    var state = model().stateDict()
    state.removeValue(forKey: "fc.bias")
    state["extra.weight"] = SafeTensor(Tensor(ones: [1]))
    state["fc.weight"] = SafeTensor(Tensor(ones: [3, 32]))
    state["conv1.weight"] = SafeTensor(Tensor(repeating: .nan, shape: [4, 1, 3, 3]))
    state["bn1.running_var"] = SafeTensor(Tensor(shape: [4], scalars: [1, -0.5, 1, 1]))
    let target = model(seed: 5)
    let before = target.stateDict()
    let error = try #require(throws: StateDictError.self) { try target.loadStateDict(state) }
    #expect(error.missing == ["fc.bias"] && error.unexpected == ["extra.weight"])
    #expect(error.mismatched.sorted() == ["bn1.running_var (negative variance)", "fc.weight (model [10, 32], weights [3, 32])"])
    #expect(error.nonFinite == ["conv1.weight"])
    #expect(error.description.hasPrefix("weights do not fit the model: missing keys: fc.bias; unexpected keys: extra.weight"))
    #expect(target.stateDict() == before, "a failed load changes nothing")
  }

  @Test func prefixStrippingAndNonStrictLoading() throws {
    let source = model(seed: 3)
    var state = [String: SafeTensor]()
    for (key, value) in source.stateDict() where !key.hasPrefix("fc.") { state["module.encoder_q." + key] = value }
    state["module.queue"] = SafeTensor(Tensor(ones: [2]))
    let target = model(seed: 4)
    #expect(throws: StateDictError.self) { try target.loadStateDict(state, stripPrefix: "module.encoder_q.") }
    let report = try target.loadStateDict(state, strict: false, stripPrefix: "module.encoder_q.")
    #expect(report.missing == ["fc.weight", "fc.bias"] && report.unexpected.isEmpty)
    #expect(target.stateDict()["layer4.1.bn2.running_var"] == source.stateDict()["layer4.1.bn2.running_var"])
  }

  @Test func fileErrorsNameTheFile() throws {
    let dir = TemporaryDirectory()
    try model(classes: 3).saveWeights(to: dir.file("three.safetensors"))
    let error = try #require(throws: FileError.self) { try model().loadWeights(from: dir.file("three.safetensors")) }
    #expect(error.path == dir.file("three.safetensors") && error.problem.contains("shape mismatches: fc.weight (model [10, 32], weights [3, 32])"))
  }

  @Test func movingAverageTouchesParametersOnly() {
    let online = model(seed: 1)
    let key = model(seed: 2)
    let keyBefore = key.conv1.weight.value.scalars
    online.bn1.runningMean!.value = Tensor(ones: [4])
    key.updateMovingAverage(toward: online, momentum: 0.9)
    let expected = zip(keyBefore, online.conv1.weight.value.scalars).map { 0.9 * $0 + 0.1 * $1 }
    #expect(maxRelativeError(key.conv1.weight.value.scalars, expected) < 1e-6)
    #expect(key.bn1.runningMean!.value.scalars == [0, 0, 0, 0])
    key.updateMovingAverage(toward: online, momentum: 0)
    #expect(key.namedParameters().map { $0.parameter.value.scalars } == online.namedParameters().map { $0.parameter.value.scalars })
  }
}
