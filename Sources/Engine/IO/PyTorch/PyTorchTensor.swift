/// Tensors as PyTorch stores them: views (offset, size, stride) into typed storages.
enum PyTorchTensor {
  /// The elements of the view, row-major, as a safetensors entry of the storage's
  /// `StorageKind.readType`.
  static func gather(_ storage: PickleStorage, offset: Int, size: [Int], stride: [Int]) -> SafeTensor {
    let count = size.reduce(1, *)
    let contiguous = zip(size, stride).reversed().reduce((true, 1)) { state, pair in
      (state.0 && (pair.0 <= 1 || pair.1 == state.1), state.1 * pair.0)
    }.0
    let element = storage.kind.size
    let base = storage.bytes.startIndex
    if contiguous && (storage.kind == .float || storage.kind == .long) {
      let type = storage.kind.readType
      // A view of a whole storage read for itself takes its array as it is: no copy.
      if offset == 0, storage.start == 0, count * element == storage.buffer.count {
        return SafeTensor(shape: size, type: type, bytes: storage.buffer)
      }
      return SafeTensor(shape: size, type: type, bytes: Array(storage.bytes[(base + offset * element)..<(base + (offset + count) * element)]))
    }
    var indices = [Int]()
    indices.reserveCapacity(count)
    if contiguous {
      indices = Array(offset..<(offset + count))
    } else if count > 0 {
      var position = [Int](repeating: 0, count: size.count)
      for _ in 0..<count {
        indices.append(offset + zip(position, stride).reduce(0) { $0 + $1.0 * $1.1 })
        var axis = size.count - 1
        while axis >= 0 {
          position[axis] += 1
          if position[axis] < size[axis] { break }
          position[axis] = 0
          axis -= 1
        }
      }
    }
    let bytes = storage.bytes
    func raw(_ index: Int) -> UInt64 {
      var value: UInt64 = 0
      for byte in 0..<element { value |= UInt64(bytes[base + index * element + byte]) << (8 * UInt64(byte)) }
      return value
    }
    switch storage.kind {
    case .float, .half, .bfloat16, .double:
      let values: [Float] = indices.map { index in
        let bits = raw(index)
        switch storage.kind {
        case .half: return Float(Float16(bitPattern: UInt16(bits)))
        case .bfloat16: return Float(bitPattern: UInt32(bits) << 16)
        case .double: return Float(Double(bitPattern: bits))
        default: return Float(bitPattern: UInt32(bits))
        }
      }
      return SafeTensor(shape: size, type: storage.kind.readType, bytes: values.withUnsafeBytes { Array($0) })
    case .long:
      return SafeTensor(shape: size, int64s: indices.map { Int64(bitPattern: raw($0)) })
    case .int, .short, .char:
      let values: [Int32] = indices.map { index in
        let bits = raw(index)
        switch storage.kind {
        case .short: return Int32(Int16(bitPattern: UInt16(bits)))
        case .char: return Int32(Int8(bitPattern: UInt8(bits)))
        default: return Int32(bitPattern: UInt32(bits))
        }
      }
      return SafeTensor(shape: size, type: storage.kind.readType, bytes: values.withUnsafeBytes { Array($0) })
    case .byte, .bool:
      return SafeTensor(shape: size, type: storage.kind.readType, bytes: indices.map { UInt8(raw($0)) })
    }
  }
}
