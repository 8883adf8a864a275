import Foundation
import Training

/// What an MPI launcher (`mpirun`) tells a process, read from its environment before MPI
/// starts, and the process group it joins.
public enum MPILaunch {
  /// Whether a launcher (Open MPI, MPICH/Hydra, PMIx) started this process as one of
  /// several ranks.
  public static var startedSeveralRanks: Bool {
    let sizes = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"].compactMap { variable($0) }
    return sizes.contains { $0 > 1 }
  }

  /// How many ranks run on this node, when the launcher says.
  public static var localRanks: Int? {
    ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"].compactMap { variable($0) }.first
  }

  /// Whether this build can join an MPI job (`swift build --traits MPI`).
  public static var isAvailable: Bool {
    #if MPI
      true
    #else
      false
    #endif
  }

  /// MPI's world when a launcher started several ranks and this build has MPI; nil
  /// otherwise. A collective waits at most `timeout` seconds.
  public static func world(timeout: Double) -> (any ProcessGroup)? {
    #if MPI
      startedSeveralRanks ? MPIProcessGroup(timeout: timeout) : nil
    #else
      nil
    #endif
  }

  private static func variable(_ name: String) -> Int? {
    ProcessInfo.processInfo.environment[name].flatMap(Int.init)
  }
}
