import Foundation

/// The processes that train one model together (data parallelism): each holds the same
/// parameters, takes its shard of every global batch, and meets the others in the
/// collectives below. `SingleProcess` is the group of one; under `mpirun` it is MPI's
/// world (the `MPIProcessGroup` module).
///
/// Collectives are called by every rank in the same order. A collective that does not
/// complete (a rank died or hangs) ends the whole job with an error line, from inside the
/// call, so callers never see a half-finished one; that is why they do not throw.
public protocol ProcessGroup: AnyObject {
  /// This process's index, 0 ..< size; rank 0 writes the run directory.
  var rank: Int { get }
  /// How many processes train together.
  var size: Int { get }
  /// Element-wise sums of every rank's `values` (the same length on every rank), in place.
  func allReduceSum<Scalar: CollectiveScalar>(_ values: inout [Scalar], _ purpose: String)
  /// Every rank's `values` (the same length on every rank), concatenated in rank order.
  func allGather<Scalar: CollectiveScalar>(_ values: [Scalar], _ purpose: String) -> [Scalar]
  /// Ends every rank of the job after this rank prints `message` (its error).
  func abort(_ message: String) -> Never
  /// Ends the group's communication after a successful run; every rank calls it.
  func finish()
}

/// The element types collectives carry.
public protocol CollectiveScalar: Sendable {
  static var collectiveKind: CollectiveKind { get }
}

/// Which MPI datatype a `CollectiveScalar` travels as.
public enum CollectiveKind: Sendable { case float, double, int32, int64, uint8 }

extension Float: CollectiveScalar {
  public static var collectiveKind: CollectiveKind { .float }
}
extension Double: CollectiveScalar {
  public static var collectiveKind: CollectiveKind { .double }
}
extension Int32: CollectiveScalar {
  public static var collectiveKind: CollectiveKind { .int32 }
}
extension Int64: CollectiveScalar {
  public static var collectiveKind: CollectiveKind { .int64 }
}
extension UInt8: CollectiveScalar {
  public static var collectiveKind: CollectiveKind { .uint8 }
}

/// The group of one process: every collective returns its input.
public final class SingleProcess: ProcessGroup {
  public init() {}
  public var rank: Int { 0 }
  public var size: Int { 1 }
  public func allReduceSum<Scalar: CollectiveScalar>(_ values: inout [Scalar], _ purpose: String) {}
  public func allGather<Scalar: CollectiveScalar>(_ values: [Scalar], _ purpose: String) -> [Scalar] { values }
  public func abort(_ message: String) -> Never {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
    exit(1)
  }
  public func finish() {}
}

extension ProcessGroup {
  /// Every rank's `bytes`, of any length, in rank order (lengths travel first, then the
  /// bytes padded to the longest).
  public func allGatherBytes(_ bytes: [UInt8], _ purpose: String) -> [[UInt8]] {
    guard size > 1 else { return [bytes] }
    let lengths = allGather([Int64(bytes.count)], purpose).map { Int($0) }
    let longest = lengths.max() ?? 0
    let padded = allGather(bytes + [UInt8](repeating: 0, count: longest - bytes.count), purpose)
    return lengths.enumerated().map { rank, length in Array(padded[(rank * longest)..<(rank * longest + length)]) }
  }
}
