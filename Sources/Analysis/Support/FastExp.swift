/// exp(x) for eight Floats at once (Cephes' `expf` scheme: x = n·ln2 + r with |r| ≤ ln2/2,
/// a degree-6 polynomial for e^r, 2^n from the exponent bits; about 1 ulp). Inputs below
/// −87.3 return about 1e-38 rather than 0, which is negligible in the sums it serves.
@inline(__always)
func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
  var clamped = x
  let low = SIMD8<Float>(repeating: -87.3)
  let high = SIMD8<Float>(repeating: 88.7)
  clamped.replace(with: low, where: clamped .< low)
  clamped.replace(with: high, where: clamped .> high)
  // Adding 1.5·2²³ rounds to an integer (nearest, ties to even) and leaves it in the low
  // mantissa bits; generic SIMD rounding and Float→Int conversion compile to scalar loops.
  let magic = SIMD8<Float>(repeating: 12_582_912)
  let shifted = clamped * 1.442_695_04 + magic
  let n = shifted - magic
  var r = clamped - n * 0.693_359_375
  r = r - n * -2.121_944_4e-4
  var p: SIMD8<Float> = SIMD8(repeating: 1.987_569_15e-4)
  p = p * r + 1.398_199_950_7e-3
  p = p * r + 8.333_451_907_3e-3
  p = p * r + 4.166_579_589_4e-2
  p = p * r + 1.666_666_545_9e-1
  p = p * r + 5.000_000_120_1e-1
  p = p * r * r + r + 1
  let exponent = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127
  let scale = unsafeBitCast(exponent &<< 23, to: SIMD8<Float>.self)
  return p * scale
}
