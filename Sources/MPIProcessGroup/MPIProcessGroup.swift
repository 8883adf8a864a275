#if MPI
  import CMPI
  import Dispatch
  import Foundation
  import Training

  /// MPI's world as a `ProcessGroup`: one process per rank, started by `mpirun`.
  ///
  /// Every collective is non-blocking and polled against a deadline, so a rank that died
  /// or hangs cannot hang the others: after `timeout` seconds without completion the
  /// waiting rank asks every other rank whether it is alive (ranks answer while they
  /// wait in a collective), prints one error line naming the ranks that did not answer,
  /// and aborts the job (`MPI_Abort`), which ends every rank. When the launcher ends the
  /// job because a rank died, each surviving rank says so before it exits.
  public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    /// Seconds a collective may wait for the other ranks.
    public let timeout: Double
    private let world = clens_mpi_comm_world()
    /// One byte each for pings and their answers, alive as long as sends may read them.
    private let signal = UnsafeMutablePointer<UInt8>.allocate(capacity: 2)
    /// Says why this rank ends when the launcher terminates the job.
    private let termination: any DispatchSourceSignal

    /// Initialises MPI (serialized threading: collectives come from one thread at a
    /// time) and reads the rank and size of the world.
    public init(timeout: Double) {
      var provided: Int32 = 0
      MPI_Init_thread(nil, nil, clens_mpi_thread_serialized(), &provided)
      var rank: Int32 = 0
      var size: Int32 = 0
      MPI_Comm_rank(world, &rank)
      MPI_Comm_size(world, &size)
      self.rank = Int(rank)
      self.size = Int(size)
      self.timeout = timeout
      signal.initialize(repeating: 1, count: 2)
      Foundation.signal(SIGTERM, SIG_IGN)
      termination = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
      let message = "Error: rank \(rank) of \(size): stopped by the MPI launcher, which ends the job when another rank fails (its message names that rank)\n"
      termination.setEventHandler {
        FileHandle.standardError.write(Data(message.utf8))
        exit(1)
      }
      termination.resume()
    }

    deinit { signal.deallocate() }

    /// Ends MPI after a successful run (every rank calls it).
    public func finish() {
      MPI_Finalize()
    }

    /// Ends every rank of the job after this rank prints `message` (its error).
    public func abort(_ message: String) -> Never {
      FileHandle.standardError.write(Data("\(message)\n".utf8))
      MPI_Abort(world, 1)
      exit(1)
    }

    public func allReduceSum<Scalar: CollectiveScalar>(_ values: inout [Scalar], _ purpose: String) {
      guard size > 1, !values.isEmpty else { return }
      let count = Int32(values.count)
      values.withUnsafeMutableBytes { buffer in
        var request: MPI_Request?
        MPI_Iallreduce(
          clens_mpi_in_place(), buffer.baseAddress, count, Self.datatype(Scalar.self), clens_mpi_sum(), world, &request)
        wait(&request, purpose)
      }
    }

    public func allGather<Scalar: CollectiveScalar>(_ values: [Scalar], _ purpose: String) -> [Scalar] {
      guard size > 1 else { return values }
      return [Scalar](unsafeUninitializedCapacity: values.count * size) { buffer, initialized in
        initialized = values.count * size
        values.withUnsafeBytes { source in
          var request: MPI_Request?
          let type = Self.datatype(Scalar.self)
          MPI_Iallgather(
            source.baseAddress, Int32(values.count), type, UnsafeMutableRawPointer(buffer.baseAddress), Int32(values.count),
            type, world, &request)
          wait(&request, purpose)
        }
      }
    }

    private static func datatype<Scalar: CollectiveScalar>(_ type: Scalar.Type) -> MPI_Datatype? {
      switch Scalar.collectiveKind {
      case .float: clens_mpi_float()
      case .double: clens_mpi_double()
      case .int32: clens_mpi_int32()
      case .int64: clens_mpi_int64()
      case .uint8: clens_mpi_uint8()
      }
    }

    // MARK: Waiting with a deadline

    private static let pingTag: Int32 = 7001
    private static let pongTag: Int32 = 7002

    /// Polls `request` until it completes, answering other ranks' pings meanwhile; past
    /// the deadline, finds the ranks that do not answer and aborts the job.
    private func wait(_ request: inout MPI_Request?, _ purpose: String) {
      let start = Date()
      var pause: UInt32 = 1
      var done: Int32 = 0
      while true {
        MPI_Test(&request, &done, clens_mpi_status_ignore())
        if done != 0 { return }
        answerPings()
        if Date().timeIntervalSince(start) > timeout {
          let lost = unresponsiveRanks()
          let who = lost.isEmpty ? "no rank could be named" : "rank\(lost.count > 1 ? "s" : "") \(lost.map(String.init).joined(separator: ", ")) did not answer"
          abort(
            "Error: rank \(rank) of \(size): \(purpose) did not complete in \(Int(timeout)) s (\(who)); stopping the job"
          )
        }
        usleep(pause)
        pause = min(pause * 2, 1000)
      }
    }

    /// Answers every ping waiting for this rank.
    private func answerPings() {
      var flag: Int32 = 0
      var status = MPI_Status()
      while true {
        MPI_Iprobe(clens_mpi_any_source(), Self.pingTag, world, &flag, &status)
        guard flag != 0 else { return }
        var byte: UInt8 = 0
        MPI_Recv(&byte, 1, clens_mpi_uint8(), status.MPI_SOURCE, Self.pingTag, world, clens_mpi_status_ignore())
        var request: MPI_Request?
        MPI_Isend(signal + 1, 1, clens_mpi_uint8(), status.MPI_SOURCE, Self.pongTag, world, &request)
        MPI_Request_free(&request)
      }
    }

    /// Pings every other rank and returns those that do not answer within a few seconds.
    private func unresponsiveRanks() -> [Int] {
      var pending = Set((0..<size).filter { $0 != rank })
      for other in pending {
        var request: MPI_Request?
        MPI_Isend(signal, 1, clens_mpi_uint8(), Int32(other), Self.pingTag, world, &request)
        MPI_Request_free(&request)
      }
      let deadline = Date().addingTimeInterval(min(10, max(timeout / 4, 1)))
      while !pending.isEmpty && Date() < deadline {
        answerPings()
        for other in pending {
          var flag: Int32 = 0
          MPI_Iprobe(Int32(other), Self.pongTag, world, &flag, clens_mpi_status_ignore())
          if flag != 0 {
            var byte: UInt8 = 0
            MPI_Recv(&byte, 1, clens_mpi_uint8(), Int32(other), Self.pongTag, world, clens_mpi_status_ignore())
            pending.remove(other)
          }
        }
        usleep(1000)
      }
      return pending.sorted()
    }
  }
#endif
