#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Complex discrete Fourier transforms of length n (a product of 2, 3 and 5) on a batch
/// of `BatchedFFT.lanes` sequences at once, in Double.
///
/// The data are split complex (real and imaginary parts apart) and interleaved by batch:
/// element j of all sequences is one contiguous run of `lanes` numbers, so every
/// butterfly works on whole SIMD vectors. Mixed-radix Stockham autosort (radices 4, 2, 3
/// and 5), natural order in and out, no normalisation: `inverse(forward(x)) = n·x`.
/// Written for the 2-D convolutions of interpolation t-SNE (FIt-SNE), where the batch
/// is 8 rows or columns of the grid.
struct BatchedFFT: Sendable {
  /// Sequences per batch: two SIMD4<Double> vectors per element.
  static let lanes = 8
  /// SIMD vectors per element.
  static let vectors = 2

  struct Stage: Sendable {
    let radix: Int
    /// Product of the radices of the earlier stages.
    let span: Int
    /// Offset of this stage's twiddles: span × (radix − 1) pairs.
    let twiddleOffset: Int
  }

  let n: Int
  let stages: [Stage]
  private let twiddleRe: [Double]
  private let twiddleIm: [Double]

  /// The smallest m ≥ n whose only prime factors are 2, 3 and 5.
  static func goodSize(atLeast n: Int) -> Int {
    var m = max(n, 1)
    while true {
      var r = m
      for p in [2, 3, 5] { while r % p == 0 { r /= p } }
      if r == 1 { return m }
      m += 1
    }
  }

  init(length n: Int) {
    precondition(
      n >= 1 && BatchedFFT.goodSize(atLeast: n) == n,
      "BatchedFFT: length must be a product of 2, 3, 5")
    self.n = n
    var radices = [Int]()
    var rest = n
    while rest % 4 == 0 {
      radices.append(4)
      rest /= 4
    }
    for p in [2, 3, 5] {
      while rest % p == 0 {
        radices.append(p)
        rest /= p
      }
    }
    var stages = [Stage]()
    var re = [Double]()
    var im = [Double]()
    var span = 1
    for radix in radices {
      stages.append(Stage(radix: radix, span: span, twiddleOffset: re.count))
      for k in 0..<span {
        for r in 1..<radix {
          let angle = -2 * Double.pi * Double(r * k) / Double(span * radix)
          re.append(cos(angle))
          im.append(sin(angle))
        }
      }
      span *= radix
    }
    self.stages = stages
    twiddleRe = re
    twiddleIm = im
  }

  /// Transforms the batch in place; `scratch` must hold as much as the data
  /// (n × vectors SIMD vectors each for re and im). Pass re and im swapped for the inverse.
  func transform(
    re: UnsafeMutablePointer<SIMD4<Double>>, im: UnsafeMutablePointer<SIMD4<Double>>,
    scratchRe: UnsafeMutablePointer<SIMD4<Double>>, scratchIm: UnsafeMutablePointer<SIMD4<Double>>
  ) {
    var inRe = re
    var inIm = im
    var outRe = scratchRe
    var outIm = scratchIm
    twiddleRe.withUnsafeBufferPointer { twr in
      twiddleIm.withUnsafeBufferPointer { twi in
        for stage in stages {
          let tr = twr.baseAddress! + stage.twiddleOffset
          let ti = twi.baseAddress! + stage.twiddleOffset
          switch stage.radix {
          case 4: radix4(stage.span, inRe, inIm, outRe, outIm, tr, ti)
          case 2: radix2(stage.span, inRe, inIm, outRe, outIm, tr, ti)
          case 3: radix3(stage.span, inRe, inIm, outRe, outIm, tr, ti)
          default: radix5(stage.span, inRe, inIm, outRe, outIm, tr, ti)
          }
          swap(&inRe, &outRe)
          swap(&inIm, &outIm)
        }
      }
    }
    if inRe != re {
      re.update(from: inRe, count: n * BatchedFFT.vectors)
      im.update(from: inIm, count: n * BatchedFFT.vectors)
    }
  }

  private typealias V = SIMD4<Double>
  private typealias P = UnsafeMutablePointer<SIMD4<Double>>

  private func radix2(
    _ span: Int, _ xr: P, _ xi: P, _ yr: P, _ yi: P, _ tr: UnsafePointer<Double>,
    _ ti: UnsafePointer<Double>
  ) {
    let m = n / 2
    let w = BatchedFFT.vectors
    for block in 0..<(m / span) {
      for k in 0..<span {
        let j = block * span + k
        let out = block * span * 2 + k
        let c = V(repeating: tr[k])
        let s = V(repeating: ti[k])
        for v in 0..<w {
          let ar = xr[j * w + v]
          let ai = xi[j * w + v]
          let br0 = xr[(j + m) * w + v]
          let bi0 = xi[(j + m) * w + v]
          let br = br0 * c - bi0 * s
          let bi = br0 * s + bi0 * c
          yr[out * w + v] = ar + br
          yi[out * w + v] = ai + bi
          yr[(out + span) * w + v] = ar - br
          yi[(out + span) * w + v] = ai - bi
        }
      }
    }
  }

  private func radix4(
    _ span: Int, _ xr: P, _ xi: P, _ yr: P, _ yi: P, _ tr: UnsafePointer<Double>,
    _ ti: UnsafePointer<Double>
  ) {
    let m = n / 4
    let w = BatchedFFT.vectors
    for block in 0..<(m / span) {
      for k in 0..<span {
        let j = block * span + k
        let out = block * span * 4 + k
        let c1 = V(repeating: tr[3 * k])
        let s1 = V(repeating: ti[3 * k])
        let c2 = V(repeating: tr[3 * k + 1])
        let s2 = V(repeating: ti[3 * k + 1])
        let c3 = V(repeating: tr[3 * k + 2])
        let s3 = V(repeating: ti[3 * k + 2])
        for v in 0..<w {
          let x0r = xr[j * w + v]
          let x0i = xi[j * w + v]
          let a1r = xr[(j + m) * w + v]
          let a1i = xi[(j + m) * w + v]
          let a2r = xr[(j + 2 * m) * w + v]
          let a2i = xi[(j + 2 * m) * w + v]
          let a3r = xr[(j + 3 * m) * w + v]
          let a3i = xi[(j + 3 * m) * w + v]
          let x1r = a1r * c1 - a1i * s1
          let x1i = a1r * s1 + a1i * c1
          let x2r = a2r * c2 - a2i * s2
          let x2i = a2r * s2 + a2i * c2
          let x3r = a3r * c3 - a3i * s3
          let x3i = a3r * s3 + a3i * c3
          let t0r = x0r + x2r
          let t0i = x0i + x2i
          let t1r = x0r - x2r
          let t1i = x0i - x2i
          let t2r = x1r + x3r
          let t2i = x1i + x3i
          let t3r = x1r - x3r
          let t3i = x1i - x3i
          yr[out * w + v] = t0r + t2r
          yi[out * w + v] = t0i + t2i
          yr[(out + 2 * span) * w + v] = t0r - t2r
          yi[(out + 2 * span) * w + v] = t0i - t2i
          // y1 = t1 − i·t3, y3 = t1 + i·t3
          yr[(out + span) * w + v] = t1r + t3i
          yi[(out + span) * w + v] = t1i - t3r
          yr[(out + 3 * span) * w + v] = t1r - t3i
          yi[(out + 3 * span) * w + v] = t1i + t3r
        }
      }
    }
  }

  private func radix3(
    _ span: Int, _ xr: P, _ xi: P, _ yr: P, _ yi: P, _ tr: UnsafePointer<Double>,
    _ ti: UnsafePointer<Double>
  ) {
    let m = n / 3
    let w = BatchedFFT.vectors
    let half = V(repeating: -0.5)
    let sine = V(repeating: 3.0.squareRoot() / 2)
    for block in 0..<(m / span) {
      for k in 0..<span {
        let j = block * span + k
        let out = block * span * 3 + k
        let c1 = V(repeating: tr[2 * k])
        let s1 = V(repeating: ti[2 * k])
        let c2 = V(repeating: tr[2 * k + 1])
        let s2 = V(repeating: ti[2 * k + 1])
        for v in 0..<w {
          let x0r = xr[j * w + v]
          let x0i = xi[j * w + v]
          let a1r = xr[(j + m) * w + v]
          let a1i = xi[(j + m) * w + v]
          let a2r = xr[(j + 2 * m) * w + v]
          let a2i = xi[(j + 2 * m) * w + v]
          let x1r = a1r * c1 - a1i * s1
          let x1i = a1r * s1 + a1i * c1
          let x2r = a2r * c2 - a2i * s2
          let x2i = a2r * s2 + a2i * c2
          let sr = x1r + x2r
          let si = x1i + x2i
          let dr = x1r - x2r
          let di = x1i - x2i
          let mr = x0r + half * sr
          let mi = x0i + half * si
          // −i·sin(2π/3)·(x1 − x2)
          let nr = sine * di
          let ni = -(sine * dr)
          yr[out * w + v] = x0r + sr
          yi[out * w + v] = x0i + si
          yr[(out + span) * w + v] = mr + nr
          yi[(out + span) * w + v] = mi + ni
          yr[(out + 2 * span) * w + v] = mr - nr
          yi[(out + 2 * span) * w + v] = mi - ni
        }
      }
    }
  }

  private func radix5(
    _ span: Int, _ xr: P, _ xi: P, _ yr: P, _ yi: P, _ tr: UnsafePointer<Double>,
    _ ti: UnsafePointer<Double>
  ) {
    let m = n / 5
    let w = BatchedFFT.vectors
    let cos1 = V(repeating: cos(2 * Double.pi / 5))
    let cos2 = V(repeating: cos(4 * Double.pi / 5))
    let sin1 = V(repeating: sin(2 * Double.pi / 5))
    let sin2 = V(repeating: sin(4 * Double.pi / 5))
    for block in 0..<(m / span) {
      for k in 0..<span {
        let j = block * span + k
        let out = block * span * 5 + k
        let c1 = V(repeating: tr[4 * k])
        let s1 = V(repeating: ti[4 * k])
        let c2 = V(repeating: tr[4 * k + 1])
        let s2 = V(repeating: ti[4 * k + 1])
        let c3 = V(repeating: tr[4 * k + 2])
        let s3 = V(repeating: ti[4 * k + 2])
        let c4 = V(repeating: tr[4 * k + 3])
        let s4 = V(repeating: ti[4 * k + 3])
        for v in 0..<w {
          let x0r = xr[j * w + v]
          let x0i = xi[j * w + v]
          let a1r = xr[(j + m) * w + v]
          let a1i = xi[(j + m) * w + v]
          let a2r = xr[(j + 2 * m) * w + v]
          let a2i = xi[(j + 2 * m) * w + v]
          let a3r = xr[(j + 3 * m) * w + v]
          let a3i = xi[(j + 3 * m) * w + v]
          let a4r = xr[(j + 4 * m) * w + v]
          let a4i = xi[(j + 4 * m) * w + v]
          let x1r = a1r * c1 - a1i * s1
          let x1i = a1r * s1 + a1i * c1
          let x2r = a2r * c2 - a2i * s2
          let x2i = a2r * s2 + a2i * c2
          let x3r = a3r * c3 - a3i * s3
          let x3i = a3r * s3 + a3i * c3
          let x4r = a4r * c4 - a4i * s4
          let x4i = a4r * s4 + a4i * c4
          let p1r = x1r + x4r
          let p1i = x1i + x4i
          let q1r = x1r - x4r
          let q1i = x1i - x4i
          let p2r = x2r + x3r
          let p2i = x2i + x3i
          let q2r = x2r - x3r
          let q2i = x2i - x3i
          let m1r = x0r + cos1 * p1r + cos2 * p2r
          let m1i = x0i + cos1 * p1i + cos2 * p2i
          let m2r = x0r + cos2 * p1r + cos1 * p2r
          let m2i = x0i + cos2 * p1i + cos1 * p2i
          let n1r = sin1 * q1r + sin2 * q2r
          let n1i = sin1 * q1i + sin2 * q2i
          let n2r = sin2 * q1r - sin1 * q2r
          let n2i = sin2 * q1i - sin1 * q2i
          yr[out * w + v] = x0r + p1r + p2r
          yi[out * w + v] = x0i + p1i + p2i
          // y1 = m1 − i·n1, y4 = m1 + i·n1, y2 = m2 − i·n2, y3 = m2 + i·n2
          yr[(out + span) * w + v] = m1r + n1i
          yi[(out + span) * w + v] = m1i - n1r
          yr[(out + 4 * span) * w + v] = m1r - n1i
          yi[(out + 4 * span) * w + v] = m1i + n1r
          yr[(out + 2 * span) * w + v] = m2r + n2i
          yi[(out + 2 * span) * w + v] = m2i - n2r
          yr[(out + 3 * span) * w + v] = m2r - n2i
          yi[(out + 3 * span) * w + v] = m2i + n2r
        }
      }
    }
  }
}
