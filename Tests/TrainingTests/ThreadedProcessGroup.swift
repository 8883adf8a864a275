import Foundation
import Training

/// P ranks of a data-parallel group as P threads of this process, meeting in shared
/// memory: the collectives of `ProcessGroup` without MPI, so the data-parallel algebra
/// is tested everywhere (the MPI transport itself is tested through `mpirun` in the CLI
/// tests).
final class ThreadedProcessGroup: ProcessGroup, @unchecked Sendable {
  let rank: Int
  let size: Int
  private let rendezvous: Rendezvous

  private init(rank: Int, rendezvous: Rendezvous) {
    self.rank = rank
    self.size = rendezvous.size
    self.rendezvous = rendezvous
  }

  /// Runs `body(group)` for every rank of a group of `size`, each on its own thread, and
  /// returns the results in rank order.
  static func run<Result>(size: Int, _ body: @escaping @Sendable (ThreadedProcessGroup) throws -> Result) throws -> [Result] {
    let rendezvous = Rendezvous(size: size)
    let results = Results<Result>(count: size)
    let done = DispatchGroup()
    for rank in 0..<size {
      done.enter()
      let thread = Thread {
        results.set(rank, Swift.Result { try body(ThreadedProcessGroup(rank: rank, rendezvous: rendezvous)) })
        done.leave()
      }
      thread.stackSize = 64 << 20
      thread.start()
    }
    done.wait()
    return try results.values.map { try $0!.get() }
  }

  func allReduceSum<Scalar: CollectiveScalar>(_ values: inout [Scalar], _ purpose: String) {
    let parts = rendezvous.exchange(rank, values).map { $0 as! [Scalar] }
    values = parts[0].indices.map { i in parts.dropFirst().reduce(parts[0][i]) { add($0, $1[i]) } }
  }

  func allGather<Scalar: CollectiveScalar>(_ values: [Scalar], _ purpose: String) -> [Scalar] {
    rendezvous.exchange(rank, values).flatMap { $0 as! [Scalar] }
  }

  func abort(_ message: String) -> Never { preconditionFailure("rank \(rank): \(message)") }

  func finish() {}

  private func add<Scalar: CollectiveScalar>(_ a: Scalar, _ b: Scalar) -> Scalar {
    switch (a, b) {
    case let (a as Float, b as Float): a + b as! Scalar
    case let (a as Double, b as Double): a + b as! Scalar
    case let (a as Int32, b as Int32): a + b as! Scalar
    case let (a as Int64, b as Int64): a + b as! Scalar
    case let (a as UInt8, b as UInt8): a &+ b as! Scalar
    default: preconditionFailure("ThreadedProcessGroup: unknown scalar")
    }
  }

  /// Where the threads leave their parts and wait for each other.
  private final class Rendezvous: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var slots: [Any?]
    private var arrived = 0
    private var generation = 0

    init(size: Int) {
      self.size = size
      slots = Array(repeating: nil, count: size)
    }

    /// Every rank's `value`, once all ranks have given theirs.
    func exchange(_ rank: Int, _ value: Any) -> [Any] {
      condition.lock()
      defer { condition.unlock() }
      slots[rank] = value
      waitForAll()
      let all = slots.map { $0! }
      waitForAll()
      return all
    }

    private func waitForAll() {
      let current = generation
      arrived += 1
      if arrived == size {
        arrived = 0
        generation += 1
        condition.broadcast()
      } else {
        while generation == current { condition.wait() }
      }
    }
  }

  private final class Results<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Swift.Result<Value, any Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Swift.Result<Value, any Error>) {
      lock.lock()
      values[index] = value
      lock.unlock()
    }
  }
}
