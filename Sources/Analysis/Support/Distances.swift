/// Squared Euclidean distances between two rows of Float features, vectorised by hand
/// (a plain loop is a chain of dependent additions: Swift does not reorder float sums).
enum Distances {
  /// ‖a − b‖² summed in Double (exact for ranks and affinities), 4 lanes at a time.
  @inline(__always)
  static func exact(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Double {
    var acc0 = SIMD4<Double>()
    var acc1 = SIMD4<Double>()
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    var j = 0
    while j + 8 <= d {
      let x =
        ra.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
        - rb.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
      // Float differences of Float inputs are exact unless they overflow the exponent
      // range; widen before squaring.
      let lo = SIMD4<Double>(x.lowHalf)
      let hi = SIMD4<Double>(x.highHalf)
      acc0 += lo * lo
      acc1 += hi * hi
      j += 8
    }
    var sum = (acc0 + acc1).sum()
    while j < d {
      let t = Double(a[j]) - Double(b[j])
      sum += t * t
      j += 1
    }
    return sum
  }

  /// a·b in Float, 16 lanes at a time (for approximate search).
  @inline(__always)
  static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
    var acc0 = SIMD8<Float>()
    var acc1 = SIMD8<Float>()
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    var j = 0
    while j + 16 <= d {
      acc0 +=
        ra.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
        * rb.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
      acc1 +=
        ra.loadUnaligned(fromByteOffset: 4 * j + 32, as: SIMD8<Float>.self)
        * rb.loadUnaligned(fromByteOffset: 4 * j + 32, as: SIMD8<Float>.self)
      j += 16
    }
    if j + 8 <= d {
      acc0 +=
        ra.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
        * rb.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
      j += 8
    }
    var sum = (acc0 + acc1).sum()
    while j < d {
      sum += a[j] * b[j]
      j += 1
    }
    return sum
  }
}
